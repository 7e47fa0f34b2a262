import type { KernelTrialView, KernelTuningView } from '../session/trainerState.ts';
import { KERNEL_TRIAL_TOLERANCE } from '../model/kernelDecision.ts';
import type { KernelTuningSummary } from '../worker/protocol.ts';

/** Our kernels' variants (kernels/variants.ts), as the worker reports them. */
type KernelVariant = keyof KernelTuningSummary['byVariant'];

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

/** Each variant's kernels, for people. */
const VARIANT_NAMES: Readonly<Record<KernelVariant, string>> = {
  register: 'register-tiled',
  workgroup: 'workgroup-tiled',
  subgroup: 'subgroup',
};

function shapesText(count: number): string {
  return `${count} shape${count === 1 ? '' : 's'}`;
}

/**
 * Tuning this project's kernels for the run's op shapes, in words (worker/kernelTuning.ts):
 * "Tuning kernels for this GPU: 3 of 14 shapes…", then which variants the shapes use and where
 * the choices came from.
 */
export function kernelTuningText(view: KernelTuningView): string {
  if (view.status === 'tuning') {
    const { shapesDone, shapesTotal, current, fromCache } = view;
    return (
      `Tuning kernels for this GPU: ${shapesDone} of ${shapesText(shapesTotal)}` +
      (current === null ? '' : ` (now ${current})`) +
      (fromCache > 0 ? `; ${fromCache} more chosen earlier` : '') +
      ', before the first batch (once per GPU and browser version)…'
    );
  }
  const { tuning, fromEarlierRun } = view;
  const variants = Object.keys(VARIANT_NAMES) as KernelVariant[];
  const counts = variants
    .flatMap((variant) => {
      const count = tuning.byVariant[variant] ?? 0;
      return count > 0 ? [{ variant, count }] : [];
    })
    .sort((a, b) => b.count - a.count);
  const [most, ...rest] = counts;
  let uses =
    most === undefined
      ? 'no shapes'
      : most.count === tuning.shapes
        ? `all ${shapesText(tuning.shapes)} use the ${VARIANT_NAMES[most.variant]} kernels`
        : `${most.count} of ${shapesText(tuning.shapes)} use the ` +
          `${VARIANT_NAMES[most.variant]} kernels`;
  for (const { variant, count } of rest) uses += `, ${count} the ${VARIANT_NAMES[variant]} ones`;
  const when = fromEarlierRun ? ' before an earlier run of this shape' : '';
  let source: string;
  if (tuning.tuned === 0 && tuning.fromCache === tuning.shapes) {
    source = ' Chosen earlier on this GPU and kept in this browser; nothing was timed now.';
  } else if (tuning.fromCache > 0) {
    source = ` ${tuning.tuned} timed now, ${tuning.fromCache} chosen earlier.`;
  } else if (tuning.tuned === 0) {
    source = ' Not tuned: kernels optimized uses this project’s kernels as they are.';
  } else {
    source = '';
  }
  const untuned = tuning.shapes - tuning.tuned - tuning.fromCache;
  const budget =
    tuning.complete || untuned === 0
      ? ''
      : ` The tuning time ran out: ${shapesText(untuned)} use the register-tiled kernels ` +
        'this time and are tuned on a later run.';
  const cache = tuning.cacheProblem === null ? '' : ` ${tuning.cacheProblem}`;
  return `Tuned for this GPU${when}: ${uses}.${source}${budget}${cache}`;
}
