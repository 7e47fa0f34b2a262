import type { KernelTrialView } from '../session/trainerState.ts';
import { KERNEL_TRIAL_TOLERANCE } from '../model/kernelDecision.ts';

function formatMs(milliseconds: number): string {
  return milliseconds >= 100
    ? `${Math.round(milliseconds)} ms`
    : `${milliseconds.toPrecision(2)} ms`;
}

/** Where the kernel sets differed most: the network's output or a weight's gradient. */
function whereOf(mostDifferent: string): string {
  return mostDifferent === 'output' ? 'in the network’s output' : `in ${mostDifferent}’s gradient`;
}

/** What the kernel trial is doing, or found, on this GPU, in words (see model/kernelTrial.ts). */
export function kernelTrialText(view: KernelTrialView): string {
  if (view.status === 'timing') {
    return (
      `Timing TF.js’s kernels and this project’s on this GPU, ${view.stepsPerKernel} steps ` +
      'each, before the first batch (once per network shape)…'
    );
  }
  if (view.status === 'checking') {
    return (
      'Checking that this project’s kernels compute what TF.js’s do on this GPU, one step ' +
      'each, before the first batch (once per network shape)…'
    );
  }
  const { result, fromEarlierRun } = view;
  const { stockMsPerStep, optimizedMsPerStep, maxRelativeDifference } = result;
  const timed = stockMsPerStep !== null && optimizedMsPerStep !== null;
  const when =
    `${timed ? 'Timed' : 'Checked'} on this GPU` +
    (fromEarlierRun ? ' before an earlier run of this shape' : '');
  const agreement = `both agree to ${maxRelativeDifference.toExponential(0)}`;
  if (result.reason === 'disagree') {
    return (
      `${when}: this project’s kernels computed a different output or gradients from TF.js’s ` +
      `(relative difference ${Number.isNaN(maxRelativeDifference) ? 'NaN' : maxRelativeDifference.toPrecision(2)} ` +
      `${whereOf(result.mostDifferent)}; allowed ${KERNEL_TRIAL_TOLERANCE}), so this run uses ` +
      'TF.js’s instead. Please report this with your GPU’s name.'
    );
  }
  if (result.reason === 'agree' || !timed) {
    return (
      `${when}: this project’s kernels compute the same output and gradients as TF.js’s ` +
      `(${agreement}), so this run uses them, as Kernels asks.`
    );
  }
  const times =
    `a step (forward and backward) took ${formatMs(optimizedMsPerStep)} with this project’s ` +
    `kernels and ${formatMs(stockMsPerStep)} with TF.js’s`;
  return result.reason === 'faster'
    ? `${when}: ${times}, so this run uses ours ` +
        `(${(stockMsPerStep / optimizedMsPerStep).toFixed(1)}× faster); ${agreement}.`
    : `${when}: ${times}, so this run uses TF.js’s.`;
}
