/**
 * A small line-based template filler, for the PyTorch export's .py template (a mustache subset
 * whose markers cannot clash with Python, which has no `{{` in this script):
 * - `{{name}}` inside a line is replaced by the string value `name`;
 * - a line that is only `{{name}}` is replaced by the lines of a string[] value (none: the line
 *   goes);
 * - lines between `{{#flag}}` and `{{/flag}}` stay when `flag` is true, between `{{^flag}}` and
 *   `{{/flag}}` when it is false; each marker stands alone on its line, and sections may nest;
 * - a line that starts with `{{!` is a template comment and goes.
 * A name with no value, an unclosed section or a marker left in the output throws, so a typo in
 * the template fails its tests instead of reaching a download. Pure: no DOM.
 */

export type TemplateValue = string | readonly string[] | boolean;
export type TemplateValues = Readonly<Record<string, TemplateValue>>;

const SECTION = /^\{\{([#^/])(\w+)\}\}$/;
const LINES = /^\{\{(\w+)\}\}$/;
const INLINE = /\{\{(\w+)\}\}/g;

function valueOf(values: TemplateValues, name: string | undefined): TemplateValue {
  const value = name === undefined ? undefined : values[name];
  if (value === undefined || !Object.hasOwn(values, name ?? '')) {
    throw new Error(`template: no value for {{${name}}}`);
  }
  return value;
}

/** `template` with its sections kept or dropped and its placeholders filled from `values`. */
export function fillTemplate(template: string, values: TemplateValues): string {
  const output: string[] = [];
  // Open sections, innermost last; a line is written only when every open section is kept.
  const open: { name: string; keep: boolean }[] = [];
  for (const line of template.split('\n')) {
    const section = SECTION.exec(line);
    if (section !== null) {
      const [, kind, name] = section as unknown as [string, '#' | '^' | '/', string];
      if (kind === '/') {
        if (open.pop()?.name !== name) throw new Error(`template: unexpected {{/${name}}}`);
        continue;
      }
      const flag = valueOf(values, name);
      if (typeof flag !== 'boolean') throw new Error(`template: {{${kind}${name}}} needs a flag`);
      open.push({ name, keep: kind === '#' ? flag : !flag });
      continue;
    }
    if (!open.every((section) => section.keep) || line.startsWith('{{!')) continue;
    const whole = LINES.exec(line);
    if (whole !== null) {
      const value = valueOf(values, whole[1]);
      if (typeof value === 'boolean') throw new Error(`template: {{${whole[1]}}} is a flag`);
      output.push(...(typeof value === 'string' ? [value] : value));
      continue;
    }
    const filled = line.replace(INLINE, (_, name: string) => {
      const value = valueOf(values, name);
      if (typeof value !== 'string') throw new Error(`template: {{${name}}} needs a string`);
      return value;
    });
    output.push(filled);
  }
  const unclosed = open.at(-1);
  if (unclosed !== undefined) throw new Error(`template: {{${unclosed.name}}} is not closed`);
  return output.join('\n');
}
