import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import { validateSettings } from '../model/settingsCheck.ts';
import { settingsDifferences } from './compare.ts';
import { EXERCISES, expandExercise, findExercise } from './exercises.ts';

const defaults = (): Settings => ({ ...DEFAULT_SETTINGS });

/** A quick configuration someone might set before running an exercise in a browser. */
const small: Settings = {
  ...DEFAULT_SETTINGS,
  imageSize: 65,
  width: 0.1,
  trainExamples: 2048,
  testExamples: 512,
  epochs: 3,
  seed: 7,
  backend: 'cpu',
};

function expand(id: string, base: Settings): Settings[] {
  const result = expandExercise(id, base);
  if (!result.ok) throw new Error(result.message);
  return result.runs;
}

describe('EXERCISES', () => {
  it('lists the six exercises with unique ids, a title and the guide’s sentence', () => {
    expect(EXERCISES.map((e) => e.id)).toEqual([
      'learning-rate',
      'dropout',
      'batch-size',
      'simplify',
      'batch-norm',
      'activation',
    ]);
    for (const exercise of EXERCISES) {
      expect(exercise.title.length).toBeGreaterThan(0);
      expect(exercise.title.length).toBeLessThanOrEqual(20);
      expect(exercise.question).toMatch(/^[A-Z].*\.$/);
      expect(exercise.variations.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('each exercise varies exactly one setting and includes the book’s value', () => {
    for (const exercise of EXERCISES) {
      const keys = new Set(exercise.variations.flatMap((v) => Object.keys(v)));
      expect(keys.size).toBe(1);
      const [key] = [...keys] as (keyof Settings)[];
      expect(exercise.variations.map((v) => (v as Partial<Settings>)[key])).toContain(
        DEFAULT_SETTINGS[key],
      );
    }
  });

  it('findExercise finds by id and returns null otherwise', () => {
    expect(findExercise('dropout')?.title).toBe('Dropout');
    expect(findExercise('nope')).toBeNull();
  });
});

describe('expandExercise', () => {
  it.each([
    ['learning-rate', 'learningRate', [0.1, 0.01, 0.001, 0.0001]],
    ['dropout', 'dropout', [0.3, 0.5, 0.7]],
    ['batch-size', 'batchSize', [64, 128, 256]],
    ['simplify', 'dropConv', ['conv3', 'conv4', 'conv5', 'none']],
    ['batch-norm', 'batchNorm', ['off', 'on']],
    ['activation', 'activation', ['relu', 'sigmoid']],
  ] as const)('%s against the defaults sets %s to %j', (id, key, values) => {
    const runs = expand(id, defaults());
    expect(runs.map((s) => s[key])).toEqual(values);
    for (const run of runs) {
      expect(run).toEqual({ ...DEFAULT_SETTINGS, [key]: run[key] });
      expect(validateSettings(run).ok).toBe(true);
    }
  });

  it('holds every other setting of the base', () => {
    for (const exercise of EXERCISES) {
      const runs = expand(exercise.id, small);
      expect(runs).toHaveLength(exercise.variations.length);
      runs.forEach((run, i) => {
        expect(run).toEqual({ ...small, ...exercise.variations[i] });
      });
      // Nothing but the varied setting tells the runs apart.
      const differences = new Set(runs.flatMap((run) => settingsDifferences(run, small)));
      expect(differences.size).toBe(exercise.variations.length - 1);
    }
  });

  it('applies the variation over a base that already has that setting changed', () => {
    const runs = expand('activation', { ...small, activation: 'sigmoid' });
    expect(runs.map((s) => s.activation)).toEqual(['relu', 'sigmoid']);
  });

  it('returns fresh objects: changing a run changes neither the base nor another run', () => {
    const base = defaults();
    const runs = expand('dropout', base);
    runs[0].seed = 99;
    expect(base.seed).toBe(1);
    expect(runs[1].seed).toBe(1);
  });

  it('refuses the whole exercise when a batch size exceeds the training examples', () => {
    const result = expandExercise('batch-size', { ...small, trainExamples: 128 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain('“Batch size” exercise cannot run with these settings');
    expect(result.message).toContain(
      'run 3 of 3 (batch 256): Batch size 256 is larger than the 128 training examples',
    );
    expect(result.message).not.toContain('run 1 of 3');
    expect(result.message).not.toContain('run 2 of 3');
    expect(result.message).toMatch(
      /Raise Training examples to at least 256 to run this exercise\.$/,
    );
  });

  it('names every failing run and asks for the largest batch size', () => {
    const result = expandExercise('batch-size', { ...small, trainExamples: 100 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain('run 2 of 3 (batch 128)');
    expect(result.message).toContain('run 3 of 3 (batch 256)');
    expect(result.message).toContain('at least 256');
    expect(result.message).not.toContain('..');
  });

  it('refuses when the base is invalid in a setting the exercise does not vary', () => {
    const result = expandExercise('learning-rate', { ...small, imageSize: 20 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain('run 1 of 4 (lr 0.1): Image size 20 px is too small');
    expect(result.message).toMatch(/Change the settings so that every run is valid/);
  });

  it('refuses an unknown exercise, listing the known ones', () => {
    const result = expandExercise('momentum', defaults());
    expect(result).toEqual({
      ok: false,
      message: expect.stringContaining('Unknown exercise "momentum"; known: learning-rate,'),
    });
  });
});

describe('the exercise scale', () => {
  it('keeps the batch-size exercise’s ratios around the fitted batch, at equal steps', () => {
    const fitted = { ...small, batchSize: 32, trainExamples: 4000, epochs: 4 };
    const result = expandExercise('batch-size', fitted, { atExerciseScale: true });
    if (!result.ok) throw new Error(result.message);
    expect(result.runs.map((run) => run.batchSize)).toEqual([16, 32, 64]);
    expect(result.runs.map((run) => run.epochs)).toEqual([2, 4, 8]);
    expect(result.runs.map((run) => (run.trainExamples / run.batchSize) * run.epochs)).toEqual([
      500, 500, 500,
    ]);
    // The others are the book's variations.
    const lr = expandExercise('learning-rate', fitted, { atExerciseScale: true });
    if (!lr.ok) throw new Error(lr.message);
    expect(lr.runs.map((run) => run.learningRate)).toEqual([0.1, 0.01, 0.001, 0.0001]);
  });
});
