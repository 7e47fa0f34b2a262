import { type Settings } from '../config/settings.ts';
import { validateSettings } from '../model/settingsCheck.ts';
import { settingLabel, SETTING_KEYS_IN_ORDER } from './compare.ts';

/**
 * The guide's practical exercises (§9, plus §7.1's ReLU-versus-sigmoid) as presets: each queues
 * one run per variation, every run otherwise on the person's current settings, so the runs
 * differ only in what the exercise is about.
 */

export interface ExerciseDefinition {
  id: string;
  /** Short, for a button or a legend group: "Learning rate". */
  title: string;
  /** The guide's own sentence. */
  question: string;
  /** Applied one at a time over the base settings; one run each, in this order. */
  variations: readonly Partial<Settings>[];
  /**
   * At the exercise scale (fitted to the device, model/deviceFit.ts), variations relative to
   * the fitted settings instead, where the book's values would not fit that scale.
   */
  scaledVariations?: (base: Settings) => Partial<Settings>[];
  /** What the scaled variations change besides the book's, shown beside the question. */
  scaledNote?: string;
}

export const EXERCISES = [
  {
    id: 'learning-rate',
    title: 'Learning rate',
    question: 'Try 0.1, 0.001, and 0.0001 to see how they affect convergence.',
    // The book's 0.01 is included so the exercise compares against it under the same settings.
    variations: [
      { learningRate: 0.1 },
      { learningRate: 0.01 },
      { learningRate: 0.001 },
      { learningRate: 0.0001 },
    ],
  },
  {
    id: 'dropout',
    title: 'Dropout',
    question: 'Test p=0.3 and p=0.7 to observe effects on overfitting.',
    variations: [{ dropout: 0.3 }, { dropout: 0.5 }, { dropout: 0.7 }],
  },
  {
    id: 'batch-size',
    title: 'Batch size',
    question: 'Try 64 and 256 to see effects on training stability and memory usage.',
    variations: [{ batchSize: 64 }, { batchSize: 128 }, { batchSize: 256 }],
    // The book's 64 and 256 are half and twice its 128; at a few thousand examples a batch of
    // 256 makes too few steps to learn, so the exercise scale keeps the ratios around its batch.
    // It also keeps the number of steps: the network spends its first 150–250 steps at the loss
    // of guessing, so the doubled batch over the same epochs (half the steps) could stay near
    // chance. Equal steps compare the batches step for step, where stability shows.
    scaledVariations: (base: Settings) => [
      {
        batchSize: Math.max(1, Math.round(base.batchSize / 2)),
        epochs: Math.max(1, Math.round(base.epochs / 2)),
      },
      { batchSize: base.batchSize, epochs: base.epochs },
      { batchSize: base.batchSize * 2, epochs: base.epochs * 2 },
    ],
    scaledNote: 'At the exercise scale every run takes the same number of steps.',
  },
  {
    id: 'simplify',
    title: 'Simplify',
    question:
      'Remove one convolutional layer to see if you can maintain accuracy with fewer parameters.',
    variations: [
      { dropConv: 'conv3' },
      { dropConv: 'conv4' },
      { dropConv: 'conv5' },
      { dropConv: 'none' },
    ],
  },
  {
    id: 'batch-norm',
    title: 'Batch norm',
    question:
      'Insert batch norm layers after convolutions to potentially improve training speed and stability.',
    variations: [{ batchNorm: 'off' }, { batchNorm: 'on' }],
  },
  {
    id: 'activation',
    title: 'Activation',
    question: 'AlexNet replaced sigmoid activations with ReLU for several reasons.',
    variations: [{ activation: 'relu' }, { activation: 'sigmoid' }],
  },
] as const satisfies readonly ExerciseDefinition[];

export type ExerciseId = (typeof EXERCISES)[number]['id'];

export function findExercise(id: string): ExerciseDefinition | null {
  return EXERCISES.find((exercise) => exercise.id === id) ?? null;
}

export type ExpandResult = { ok: true; runs: Settings[] } | { ok: false; message: string };

/** "lr 0.1" or "batch 256, no conv4": what a variation sets, in the comparison labels' terms. */
function variationLabel(variation: Partial<Settings>): string {
  return SETTING_KEYS_IN_ORDER.filter((key) => variation[key] !== undefined)
    .map((key) => settingLabel(key, variation[key] as Settings[typeof key]))
    .join(', ');
}

function withoutFinalPeriod(message: string): string {
  return message.endsWith('.') ? message.slice(0, -1) : message;
}

/**
 * One Settings per variation of the exercise, each the base with the variation applied. All or
 * nothing: if any run would be invalid with this base (batch size 256 with 128 training
 * examples), none is returned and the message names each such run, the rule it breaks and, for
 * the batch size, what to change.
 */
export function expandExercise(
  id: string,
  base: Settings,
  options: { atExerciseScale?: boolean } = {},
): ExpandResult {
  const exercise = findExercise(id);
  if (exercise === null) {
    const known = EXERCISES.map((e) => e.id).join(', ');
    return { ok: false, message: `Unknown exercise "${id.slice(0, 40)}"; known: ${known}.` };
  }
  const variations =
    options.atExerciseScale === true && exercise.scaledVariations !== undefined
      ? exercise.scaledVariations(base)
      : exercise.variations;
  const total = variations.length;
  const runs: Settings[] = [];
  const problems: string[] = [];
  let largestBatchSize = 0;
  variations.forEach((variation, i) => {
    const settings: Settings = { ...base, ...variation };
    const result = validateSettings(settings);
    if (result.ok) {
      runs.push(result.settings);
      return;
    }
    const messages = SETTING_KEYS_IN_ORDER.flatMap((key) => {
      const message = result.errors[key];
      return message === undefined ? [] : [withoutFinalPeriod(message)];
    });
    problems.push(
      `run ${i + 1} of ${total} (${variationLabel(variation)}): ${messages.join('; ')}`,
    );
    if (result.errors.batchSize !== undefined && settings.batchSize > settings.trainExamples) {
      largestBatchSize = Math.max(largestBatchSize, settings.batchSize);
    }
  });
  if (problems.length === 0) return { ok: true, runs };
  // The form already explains single-field rules; the one rule an exercise itself can break is
  // the batch size against the training examples, whose fix is in another field.
  const advice =
    largestBatchSize > 0
      ? `Raise Training examples to at least ${largestBatchSize} to run this exercise.`
      : 'Change the settings so that every run is valid to run this exercise.';
  return {
    ok: false,
    message: `The “${exercise.title}” exercise cannot run with these settings: ${problems.join('. ')}. ${advice}`,
  };
}
