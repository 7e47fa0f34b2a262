import { describe, expect, it } from 'vitest';
import { fillTemplate } from './fillTemplate.ts';

describe('fillTemplate', () => {
  it('fills inline strings and whole-line lists, keeping the text around them', () => {
    const template = 'A = {{a}}  # {{b}}\n{{list}}\nend\n';
    expect(fillTemplate(template, { a: '1', b: 'x', list: ['l1', 'l2'] })).toBe(
      'A = 1  # x\nl1\nl2\nend\n',
    );
    expect(fillTemplate(template, { a: '1', b: 'x', list: [] })).toBe('A = 1  # x\nend\n');
  });

  it('keeps {{#flag}} sections when true and {{^flag}} sections when false, nested too', () => {
    const template = '{{#on}}\nyes\n{{^deep}}\nshallow\n{{/deep}}\n{{/on}}\n{{^on}}\nno\n{{/on}}';
    expect(fillTemplate(template, { on: true, deep: false })).toBe('yes\nshallow');
    expect(fillTemplate(template, { on: true, deep: true })).toBe('yes');
    expect(fillTemplate(template, { on: false, deep: false })).toBe('no');
  });

  it('drops template comments and leaves Python braces alone', () => {
    expect(fillTemplate("{{! why }}\nprint(f'{x:>5}')", {})).toBe("print(f'{x:>5}')");
  });

  it('throws on a missing value, a wrong kind of value and an unbalanced section', () => {
    expect(() => fillTemplate('{{a}}', {})).toThrow(/no value for \{\{a\}\}/);
    expect(() => fillTemplate('x {{a}}', { a: ['1'] })).toThrow(/needs a string/);
    expect(() => fillTemplate('{{#a}}\n{{/a}}', { a: 'yes' })).toThrow(/needs a flag/);
    expect(() => fillTemplate('{{#a}}\nx', { a: true })).toThrow(/not closed/);
    expect(() => fillTemplate('{{/a}}', {})).toThrow(/unexpected/);
  });
});
