import { memo } from 'react';
import { bookResultText } from '../config/bookResult.ts';
import {
  deviceWords,
  estimateBasisText,
  formatEstimate,
  type DeviceSpeed,
  type RunEstimate as Estimate,
} from '../model/speed.ts';

/**
 * Beside Train: how long the form's settings will take on this device, and how that was found
 * (a step timed at these very settings, or scaled from one by FLOPs).
 */
export const RunEstimate = memo(function RunEstimate({
  estimate,
  speed,
  timing,
  bookRun,
}: {
  estimate: Estimate | null;
  speed: DeviceSpeed | null;
  /** The backend is up but has not timed a step yet. */
  timing: boolean;
  /** The form holds the book's settings: its published result is the reference. */
  bookRun: boolean;
}) {
  const reference = bookRun && (
    <p className="muted small" data-testid="book-result">
      {bookResultText()}
    </p>
  );
  if (estimate === null || speed === null) {
    return (
      <div className="estimate">
        <p className="muted" data-testid="run-estimate">
          {timing ? 'Timing this device to estimate the run…' : 'No estimate for these settings.'}
        </p>
        {reference}
      </div>
    );
  }
  return (
    <div className="estimate">
      <p data-testid="run-estimate">
        This run: <strong>{formatEstimate(estimate.totalMs)}</strong> on {deviceWords(speed.kind)}
      </p>
      <p className="muted small" data-testid="estimate-basis">
        {estimateBasisText(estimate, speed)}
      </p>
      {reference}
    </div>
  );
});
