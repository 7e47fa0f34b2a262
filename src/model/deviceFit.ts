import type { Settings } from '../config/settings.ts';
import { estimateRun, type DeviceSpeed, type RunEstimate } from './speed.ts';

/**
 * Settings that fit this device: "Quick" (one run in about 5 minutes) and the exercises' scale
 * (about two and a half minutes a run). The rule, the same for both:
 *
 * 1. A ladder of scales, smallest first, each one that learns visibly in its epochs (the first
 *    rungs were trained here on SwiftShader; the last is the book's own run).
 * 2. Take the largest rung whose estimated time (speed.ts: steps timed on this device, scaled by
 *    FLOPs) is within the budget.
 * 3. If even the smallest is over, keep it and cut its training and test examples in proportion
 *    to fit, down to a floor below which nothing is learned in a few epochs.
 *
 * Everything else (dropout, the architecture variant, seed, backend, kernels) stays as the
 * person set it; the estimate accounts for what it costs.
 */

export type Scale = Pick<
  Settings,
  'imageSize' | 'width' | 'batchSize' | 'learningRate' | 'trainExamples' | 'testExamples' | 'epochs'
>;

export const QUICK_BUDGET_MS = 5 * 60_000;
/**
 * Two and a half minutes: the network sits at the loss of guessing for its first 150 steps or
 * so at lr 0.1 (docs/estimates.md), and an exercise's answer needs about 300.
 */
export const EXERCISE_RUN_BUDGET_MS = 150_000;

type Shape = Pick<Scale, 'imageSize' | 'width' | 'batchSize' | 'learningRate'>;
type Amount = Pick<Scale, 'trainExamples' | 'testExamples' | 'epochs'>;

/** The network and step of each rung, shared by both ladders; the last is the book's (§8.1). */
const RUNG_SHAPES: readonly Shape[] = [
  { imageSize: 65, width: 0.1, batchSize: 32, learningRate: 0.1 },
  { imageSize: 96, width: 0.25, batchSize: 64, learningRate: 0.05 },
  { imageSize: 128, width: 0.5, batchSize: 128, learningRate: 0.05 },
  { imageSize: 224, width: 1, batchSize: 128, learningRate: 0.01 },
];
const BOOK_AMOUNT: Amount = { trainExamples: 60_000, testExamples: 10_000, epochs: 10 };

function ladder(amounts: readonly Amount[]): Scale[] {
  return RUNG_SHAPES.map((shape, rung) => ({ ...shape, ...amounts[rung] }));
}

/**
 * Quick's ladder. The first rung (with 1000 test examples) reached 71.8% validation accuracy
 * in 4 epochs, 295 s from the Train click (two-core machine, SwiftShader, dropout 0.5); the
 * book's PyTorch code reaches 66–75% at a similar scale (67 px, width 0.125, 4,000 examples,
 * 4 epochs, lr 0.1). Learning here is counted in steps: 2800 examples (350 steps) reached 58%.
 */
export const QUICK_RUNGS: readonly Scale[] = ladder([
  { trainExamples: 4000, testExamples: 500, epochs: 7 },
  { trainExamples: 12_000, testExamples: 2000, epochs: 5 },
  { trainExamples: 30_000, testExamples: 5000, epochs: 6 },
  BOOK_AMOUNT,
]);

/**
 * The exercises' ladder: four epochs, so that a four-run exercise answers in about ten minutes.
 * The first rung makes 500 steps: at 300 its lr 0.1 run reached only 44–49%, a noisy curve
 * barely apart from the others; at 500 about 65% (docs/estimates.md).
 */
export const EXERCISE_RUNGS: readonly Scale[] = ladder([
  { trainExamples: 4000, testExamples: 400, epochs: 4 },
  { trainExamples: 6000, testExamples: 1000, epochs: 4 },
  { trainExamples: 15_000, testExamples: 2000, epochs: 5 },
  BOOK_AMOUNT,
]);

/** Below this many training examples a few epochs learn nothing visible. */
export const MIN_FITTED_TRAIN_EXAMPLES = 1000;
/**
 * The exercises' floor: 250 steps at batch 32, where lr 0.1 has just left the loss of guessing
 * (43% and 54% validation accuracy in two runs here); fewer would make every run read "about
 * chance". On a slower device a run then takes longer than the budget, and the page says so.
 */
export const EXERCISE_MIN_TRAIN_EXAMPLES = 2000;
const MIN_FITTED_TEST_EXAMPLES = 200;

export interface FittedSettings {
  settings: Settings;
  estimate: RunEstimate;
  /** Index in the ladder. */
  rung: number;
  /** The smallest rung had to be cut to fit; its estimate may still be over at the floor. */
  shrunk: boolean;
}

/** Rounded down to a multiple of `step`, at least `floor`. */
function roundDown(value: number, step: number, floor: number): number {
  return Math.max(floor, Math.floor(value / step) * step);
}

/**
 * The largest rung of `rungs` that fits `budgetMs` on this device, on top of `base`; null until
 * the device's speed is known.
 */
export function fitToDevice(
  base: Settings,
  speed: DeviceSpeed | null,
  budgetMs: number,
  rungs: readonly Scale[],
  minTrainExamples = MIN_FITTED_TRAIN_EXAMPLES,
): FittedSettings | null {
  for (let rung = rungs.length - 1; rung >= 0; rung--) {
    const settings = { ...base, ...rungs[rung] };
    const estimate = estimateRun(settings, speed);
    if (estimate === null) return null;
    if (estimate.totalMs <= budgetMs) return { settings, estimate, rung, shrunk: false };
  }
  // Even the smallest rung is over budget: fewer examples, in proportion to the time over.
  const smallest = { ...base, ...rungs[0] };
  const estimate = estimateRun(smallest, speed);
  if (estimate === null) return null;
  const fraction =
    Math.max(0, budgetMs - estimate.startupMs) / (estimate.totalMs - estimate.startupMs);
  const { batchSize } = smallest;
  const smaller: Settings = {
    ...smallest,
    // Whole batches: a short last batch is a new shape, whose shaders a software GPU compiles
    // for seconds (11 s at 65 px, width 0.1 on SwiftShader) in the first epoch.
    trainExamples: roundDown(
      smallest.trainExamples * fraction,
      batchSize,
      Math.ceil(minTrainExamples / batchSize) * batchSize,
    ),
    testExamples: roundDown(smallest.testExamples * fraction, 50, MIN_FITTED_TEST_EXAMPLES),
  };
  const smallerEstimate = estimateRun(smaller, speed);
  if (smallerEstimate === null) return null;
  return { settings: smaller, estimate: smallerEstimate, rung: 0, shrunk: true };
}

/** "65 px, width 0.1, 4000 training and 1000 test examples, 4 epochs, batch 32, lr 0.1". */
export function describeScale(settings: Scale): string {
  return (
    `${settings.imageSize} px, width ${settings.width}, ${settings.trainExamples} training and ` +
    `${settings.testExamples} test examples, ${settings.epochs} epochs, batch ` +
    `${settings.batchSize}, lr ${settings.learningRate}`
  );
}
