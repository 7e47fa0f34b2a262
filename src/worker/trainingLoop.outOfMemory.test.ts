import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import type { Split } from '../common/types.ts';
import type { PreflightProblem } from '../model/preflight.ts';
import type { FromWorker } from './protocol.ts';
import { RunControl } from './runControl.ts';
import { runTraining } from './trainingLoop.ts';

/**
 * A GPU that runs out of memory, faked at the trial step (preflight.ts): `problemAt` says what
 * a trial step at a batch meets; a step it lets through runs for real on the CPU backend.
 */
type ProblemAt = (batchSize: number) => PreflightProblem | null;
const gpu = vi.hoisted(() => ({
  problemAt: (() => null) as ProblemAt,
  tried: [] as number[],
  /** 'free' for each emptying of TF.js's buffer pool, and the batch of each trial step. */
  events: [] as (number | 'free')[],
}));

vi.mock('../model/preflight.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../model/preflight.ts')>();
  return {
    ...original,
    preflightVariant: (...args: Parameters<typeof original.preflightVariant>) => {
      const batchSize = args[4] ?? 2;
      gpu.tried.push(batchSize);
      gpu.events.push(batchSize);
      const problem = gpu.problemAt(batchSize);
      return problem === null ? original.preflightVariant(...args) : Promise.resolve(problem);
    },
    freePooledGpuBuffers: () => {
      gpu.events.push('free');
      original.freePooledGpuBuffers();
    },
  };
});

const OUT_OF_MEMORY: PreflightProblem = {
  outOfMemory: true,
  message: 'This variant cannot train on cpu: injected out of memory',
};

/** Images never reach the network here: the run ends at its trial step. */
function split(count: number): Split {
  return {
    count,
    imageSize: 28,
    pixels: new Uint8Array(count * 28 * 28),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
  };
}

const SETTINGS: Settings = {
  ...DEFAULT_SETTINGS,
  batchSize: 32,
  epochs: 1,
  imageSize: 65,
  width: 0.05,
  trainExamples: 48,
  testExamples: 20,
  backend: 'cpu',
};

async function run(settings: Settings, control = new RunControl()) {
  const messages: FromWorker[] = [];
  const outcome = await runTraining({
    runId: 3,
    kernels: null,
    settings,
    train: split(60),
    test: split(20),
    control,
    emit: (message) => messages.push(message),
  });
  return { outcome, messages };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

beforeEach(() => {
  gpu.tried = [];
  gpu.events = [];
});

describe('a run whose first step runs out of GPU memory', () => {
  it('fails before any batch, with the estimate and the largest halved batch that ran', async () => {
    gpu.problemAt = (batchSize) => (batchSize > 8 ? OUT_OF_MEMORY : null);
    const tensorsBefore = tf.memory().numTensors;
    const { outcome, messages } = await run(SETTINGS);
    expect(outcome).toEqual({
      status: 'failed',
      message:
        'Out of GPU memory at batch 32: a training step at 65 px needs about 2 MB (estimate). ' +
        'A trial step at batch 8 (about 1 MB) ran on this GPU: set the batch size to 8 or less.',
    });
    // The run's batch, then halved until a trial step ran (for real, at 8).
    expect(gpu.tried).toEqual([32, 16, 8]);
    // Each step starts from an empty buffer pool, and one that ran out leaves it empty.
    expect(gpu.events).toEqual(['free', 32, 'free', 'free', 16, 'free', 'free', 8]);
    // Nothing was reported: no runStarted, no batch.
    expect(messages).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('says so when even batch 1 runs out', async () => {
    gpu.problemAt = () => OUT_OF_MEMORY;
    const { outcome, messages } = await run({ ...SETTINGS, batchSize: 4 });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(
      /^Out of GPU memory at batch 4: .* Even a trial step at batch 1 ran out: choose a smaller image size or width\.$/,
    );
    expect(gpu.tried).toEqual([4, 2, 1]);
    expect(messages).toEqual([]);
  });

  it('ends stopped, trying nothing more, when the person stops meanwhile', async () => {
    const control = new RunControl();
    gpu.problemAt = (batchSize) => {
      if (batchSize === 16) control.stop();
      return OUT_OF_MEMORY;
    };
    const { outcome } = await run(SETTINGS, control);
    expect(outcome).toEqual({
      status: 'stopped',
      message: 'Stopped while looking for a batch size that fits, before the first batch.',
    });
    expect(gpu.tried).toEqual([32, 16]);
  });

  it('is told apart from a variant the backend cannot train, which fails as before', async () => {
    const unsupported = { outOfMemory: false, message: 'This variant cannot train on cpu: no' };
    gpu.problemAt = () => unsupported;
    const { outcome } = await run(SETTINGS);
    expect(outcome).toEqual({ status: 'failed', message: unsupported.message });
    expect(gpu.tried).toEqual([32]);
  });
});
