import {
  CHOICE_KEYS,
  CHOICE_RULES,
  DEFAULT_SETTINGS,
  NUMERIC_KEYS,
  NUMERIC_RULES,
  choiceProblem,
  draftFromSettings,
  parseNumericSetting,
  type SettingsDraft,
} from './settings.ts';

/**
 * Settings mirrored in the URL query (`?lr=0.01&batch=128…`) so a configuration can be shared
 * as a link. Values are checked with the same rules as the form; a bad value is ignored and
 * reported, never applied.
 */

export interface QueryParseResult {
  draft: SettingsDraft;
  /** One sentence per ignored parameter, shown to the person. */
  notices: string[];
}

const MAX_NOTICE_VALUE_CHARS = 40;

function shown(value: string): string {
  return value.length > MAX_NOTICE_VALUE_CHARS
    ? `${value.slice(0, MAX_NOTICE_VALUE_CHARS)}…`
    : value;
}

export function draftFromQuery(search: string): QueryParseResult {
  const params = new URLSearchParams(search);
  const draft = draftFromSettings({ ...DEFAULT_SETTINGS });
  const notices: string[] = [];
  const known = new Set<string>();
  for (const key of NUMERIC_KEYS) {
    const urlKey = NUMERIC_RULES[key].urlKey;
    known.add(urlKey);
    const value = params.get(urlKey);
    if (value === null) continue;
    const parsed = parseNumericSetting(key, value);
    if (parsed.ok) draft[key] = value.trim();
    else notices.push(`Ignored ${urlKey}=${shown(value)} from the link: ${parsed.message}`);
  }
  for (const key of CHOICE_KEYS) {
    const urlKey = CHOICE_RULES[key].urlKey;
    known.add(urlKey);
    const value = params.get(urlKey);
    if (value === null) continue;
    const problem = choiceProblem(key, value);
    if (problem === null) draft[key] = value;
    else notices.push(`Ignored ${urlKey}=${shown(value)} from the link: ${problem}`);
  }
  for (const name of new Set(params.keys())) {
    if (!known.has(name)) notices.push(`Ignored unknown link parameter "${shown(name)}".`);
  }
  return { draft, notices };
}

/** The query string (without "?") that reproduces this draft. */
export function queryFromDraft(draft: SettingsDraft): string {
  const params = new URLSearchParams();
  for (const key of NUMERIC_KEYS) params.set(NUMERIC_RULES[key].urlKey, draft[key].trim());
  for (const key of CHOICE_KEYS) params.set(CHOICE_RULES[key].urlKey, draft[key]);
  return params.toString();
}
