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

/** What kernels 'auto' found on this GPU, in words (see model/kernelTrial.ts). */
export function kernelTrialText(view: KernelTrialView): string {
  if (view.status === 'timing') {
    return (
      `Timing TF.js’s kernels and this project’s on this GPU, ${view.stepsPerKernel} steps ` +
      'each, before the first batch (once per network shape)…'
    );
  }
  const { result, fromEarlierRun } = view;
  const { stockMsPerStep, optimizedMsPerStep, maxRelativeDifference } = result;
  const when = fromEarlierRun
    ? 'Timed on this GPU before an earlier run of this shape'
    : 'Timed on this GPU';
  const times =
    `a step (forward and backward) took ${formatMs(optimizedMsPerStep)} with this project’s ` +
    `kernels and ${formatMs(stockMsPerStep)} with TF.js’s`;
  switch (result.reason) {
    case 'faster':
      return (
        `${when}: ${times}, so this run uses ours (${(stockMsPerStep / optimizedMsPerStep).toFixed(1)}× ` +
        `faster); both agree to ${maxRelativeDifference.toExponential(0)}.`
      );
    case 'not faster':
      return `${when}: ${times}, so this run uses TF.js’s.`;
    case 'disagree':
      return (
        `${when}: this project’s kernels computed a different output or gradients from TF.js’s ` +
        `(relative difference ${Number.isNaN(maxRelativeDifference) ? 'NaN' : maxRelativeDifference.toPrecision(2)} ` +
        `${whereOf(result.mostDifferent)}; allowed ${KERNEL_TRIAL_TOLERANCE}), so this run uses ` +
        'TF.js’s. Please report this with your GPU’s name.'
      );
  }
}
