import type { KernelTrialView } from '../session/trainerState.ts';
import { kernelTrialText } from './kernelTrialText.ts';

/** What the kernel trial is doing, or found, on this GPU; nothing when no trial applies. */
export function KernelsNote({ trial }: { trial: KernelTrialView | null }) {
  if (trial === null) return null;
  return (
    <p
      className="muted"
      data-testid="kernel-trial"
      data-reason={trial.status === 'done' ? trial.result.reason : trial.status}
    >
      {kernelTrialText(trial)}
    </p>
  );
}
