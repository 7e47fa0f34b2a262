import { useState } from 'react';
import { parseNumericSetting } from '../config/settings.ts';

/**
 * Changes the learning rate of the run in progress: it applies from the next batch, is kept in
 * the run's history and marked on the charts. Checked with the form's rule.
 */
export function LearningRateControl({
  current,
  onApply,
}: {
  current: number;
  onApply: (learningRate: number) => void;
}) {
  const [text, setText] = useState(String(current));
  const parsed = parseNumericSetting('learningRate', text);
  return (
    <form
      className="lr-control"
      onSubmit={(event) => {
        event.preventDefault();
        if (parsed.ok) onApply(parsed.value);
      }}
    >
      <label htmlFor="live-learning-rate">Learning rate now</label>
      <input
        id="live-learning-rate"
        type="text"
        inputMode="decimal"
        autoComplete="off"
        value={text}
        aria-invalid={!parsed.ok}
        aria-describedby="live-learning-rate-hint"
        onChange={(event) => setText(event.target.value)}
      />
      <button type="submit" disabled={!parsed.ok || parsed.value === current}>
        Apply
      </button>
      <small id="live-learning-rate-hint" className={parsed.ok ? 'hint' : 'error'}>
        {parsed.ok ? `in force: ${current}; applies from the next batch` : parsed.message}
      </small>
    </form>
  );
}
