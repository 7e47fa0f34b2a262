import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, draftFromSettings, type SettingsDraft } from './settings.ts';
import { draftFromQuery, queryFromDraft } from './url.ts';

const defaults = (): SettingsDraft => draftFromSettings({ ...DEFAULT_SETTINGS });

describe('settings in the URL', () => {
  it('round-trips every setting', () => {
    const draft = {
      ...defaults(),
      learningRate: '0.1',
      batchSize: '32',
      imageSize: '65',
      backend: 'cpu',
    };
    const query = queryFromDraft(draft);
    expect(query).toContain('lr=0.1');
    expect(query).toContain('batch=32');
    expect(query).toContain('size=65');
    expect(draftFromQuery(`?${query}`)).toEqual({ draft, notices: [] });
  });

  it('ignores bad and unknown parameters with a notice each, keeping the defaults', () => {
    const { draft, notices } = draftFromQuery(
      '?lr=abc&dropout=2&batch=64&backend=tpu&evil=%3Cscript%3E',
    );
    expect(draft.learningRate).toBe('0.01');
    expect(draft.dropout).toBe('0.5');
    expect(draft.batchSize).toBe('64');
    expect(draft.backend).toBe('webgpu');
    expect(notices).toHaveLength(4);
    expect(notices[0]).toMatch(/Ignored lr=abc from the link: Learning rate "abc" is not a number/);
    expect(notices.join(' ')).toMatch(/Ignored unknown link parameter "evil"/);
  });

  it('shortens very long values in notices', () => {
    const { notices } = draftFromQuery(`?lr=${'9'.repeat(500)}`);
    expect(notices[0]!.length).toBeLessThan(300);
  });
});
