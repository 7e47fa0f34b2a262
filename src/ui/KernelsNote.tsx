import type { KernelTrialView, KernelTuningView } from '../session/trainerState.ts';
import { kernelTrialText, kernelTuningText } from './kernelTrialText.ts';

/**
 * What tuning our kernels and the kernel trial are doing, or found, on this GPU; nothing when
 * neither applies.
 */
export function KernelsNote({
  trial,
  tuning,
}: {
  trial: KernelTrialView | null;
  tuning: KernelTuningView | null;
}) {
  return (
    <>
      {tuning !== null && (
        <p
          className="muted"
          data-testid="kernel-tuning"
          data-status={tuningStatusOf(tuning)}
          data-tuned={tuning.status === 'done' ? tuning.tuning.tuned : undefined}
          data-from-cache={tuning.status === 'done' ? tuning.tuning.fromCache : tuning.fromCache}
        >
          {kernelTuningText(tuning)}
        </p>
      )}
      {trial !== null && (
        <p
          className="muted"
          data-testid="kernel-trial"
          data-reason={trial.status === 'done' ? trial.result.reason : trial.status}
        >
          {kernelTrialText(trial)}
        </p>
      )}
    </>
  );
}

/** 'tuning' while in progress; then 'tuned' (some shapes timed now) or 'cached' (none). */
function tuningStatusOf(view: KernelTuningView): 'tuning' | 'tuned' | 'cached' {
  if (view.status === 'tuning') return 'tuning';
  return view.tuning.tuned > 0 ? 'tuned' : 'cached';
}
