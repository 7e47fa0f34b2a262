import { useEffect, useMemo, useState } from 'react';
import { type Settings, type SettingsDraft, type ValidationResult } from '../config/settings.ts';
import { validateDraft } from '../model/settingsCheck.ts';
import { draftFromQuery, queryFromDraft } from '../config/url.ts';

export interface SettingsDraftState {
  draft: SettingsDraft;
  validation: ValidationResult;
  /** Link parameters that were ignored, one sentence each. */
  urlNotices: string[];
  setField: (key: keyof Settings, value: string) => void;
  /** Sets several fields at once (Quick), as if typed. */
  setFields: (values: Partial<Settings>) => void;
}

/**
 * The form's text values, read from the URL once and mirrored back into it on every change,
 * with the shared validator's verdict.
 */
export function useSettingsDraft(): SettingsDraftState {
  const [initial] = useState(() => draftFromQuery(window.location.search));
  const [draft, setDraft] = useState<SettingsDraft>(initial.draft);
  const validation = useMemo(() => validateDraft(draft), [draft]);

  useEffect(() => {
    const url = new URL(window.location.href);
    url.search = queryFromDraft(draft);
    window.history.replaceState(null, '', url);
  }, [draft]);

  const setField = useMemo(
    () => (key: keyof Settings, value: string) => setDraft((old) => ({ ...old, [key]: value })),
    [],
  );
  const setFields = useMemo(
    () => (values: Partial<Settings>) =>
      setDraft((old) => {
        const next = { ...old };
        for (const [key, value] of Object.entries(values)) {
          next[key as keyof Settings] = String(value);
        }
        return next;
      }),
    [],
  );
  return { draft, validation, urlNotices: initial.notices, setField, setFields };
}
