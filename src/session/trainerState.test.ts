import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../config/settings.ts';
import { FASHION_MNIST_INFO } from '../data/uploadedData.ts';
import type { FromWorker } from '../worker/protocol.ts';
import { speedShapeKey, timingOf } from '../model/speed.ts';
import {
  currentDataId,
  dataSetInfoOf,
  decimate,
  deviceSpeedOf,
  estimatedRemainingMs,
  INITIAL_TRAINER_STATE,
  MAX_BATCH_LOSS_POINTS,
  timePerBatchMs,
  trainerReducer,
  type TrainerAction,
  type TrainerState,
} from './trainerState.ts';
import {
  metricsOf,
  runStartedMessage,
  TEST_FILTERS,
  TEST_PREDICTIONS,
} from '../../test/fixtures/session.ts';

const settings = { ...DEFAULT_SETTINGS, epochs: 2 };
const worker = (message: FromWorker): TrainerAction => ({ type: 'worker', message });
const reduce = (actions: TrainerAction[], state: TrainerState = INITIAL_TRAINER_STATE) =>
  actions.reduce(trainerReducer, state);
/** An epochMetrics message for `epoch` of run `runId`. */
const epochEnded = (runId: number, epoch: number): TrainerAction =>
  worker({
    type: 'epochMetrics',
    runId,
    metrics: metricsOf(epoch),
    confusion: new Int32Array(100),
    predictions: TEST_PREDICTIONS,
    firstLayerFilters: TEST_FILTERS,
  });
/** A batchMetrics message of run 1. */
const batchReported = (
  points: Float64Array,
  batchesDone: number,
  elapsedMs: number,
  tensorCount: number,
): TrainerAction =>
  worker({
    type: 'batchMetrics',
    runId: 1,
    points,
    batchesDone,
    elapsedMs,
    tensorCount,
    tensorBytes: 1e6,
  });
const started: TrainerAction[] = [
  { type: 'trainRequested', runId: 1, dataSet: FASHION_MNIST_INFO, settings },
  worker(runStartedMessage(1)),
];

describe('trainer state', () => {
  it('moves through loading data, training, paused, done', () => {
    let state = reduce([
      { type: 'trainRequested', runId: 1, dataSet: FASHION_MNIST_INFO, settings },
    ]);
    expect(state.runState).toBe('loading data');
    state = reduce(started.slice(1), state);
    expect(state.runState).toBe('training');
    state = reduce([worker({ type: 'paused', runId: 1 })], state);
    expect(state.runState).toBe('paused');
    state = reduce([worker({ type: 'resumed', runId: 1 })], state);
    expect(state.runState).toBe('training');
    state = reduce([worker({ type: 'runEnded', runId: 1, status: 'done', message: null })], state);
    expect(state.runState).toBe('done');
  });

  it('appends only the new batch points and epoch rows', () => {
    const state = reduce([
      ...started,
      batchReported(Float64Array.of(0.4, 2.3, 0.8, 2.1), 8, 800, 40),
      batchReported(Float64Array.of(1, 2.0), 10, 1000, 42),
      epochEnded(1, 1),
    ]);
    expect(state.run?.batchLoss).toEqual([
      { x: 0.4, y: 2.3 },
      { x: 0.8, y: 2.1 },
      { x: 1, y: 2.0 },
    ]);
    expect(state.run?.epochMetrics).toEqual([metricsOf(1)]);
    expect(state.run?.batchesDone).toBe(10);
    expect(state.run?.tensors).toEqual({ latest: 42, min: 40, max: 42, bytes: 1e6, maxBytes: 1e6 });
    expect(state.run?.tensors).toEqual({ latest: 42, min: 40, max: 42, bytes: 1e6, maxBytes: 1e6 });
  });

  it('shows a kernel trial while it times, then what it chose', () => {
    const trial = {
      stockMsPerStep: 120,
      optimizedMsPerStep: 40,
      timedStepsPerKernel: 3,
      maxRelativeDifference: 2e-6,
      mostDifferent: 'output',
      choice: 'optimized',
      reason: 'faster',
    } as const;
    let state = reduce([
      started[0],
      worker({ type: 'kernelTrialStarted', runId: 1, mode: 'time', stepsPerKernel: 4 }),
    ]);
    expect(state.run?.kernelTrial).toEqual({ status: 'timing', stepsPerKernel: 4 });
    state = reduce(
      [
        worker({ type: 'kernelTrialDone', runId: 0, trial, fromEarlierRun: false }),
        worker({ type: 'kernelTrialDone', runId: 1, trial, fromEarlierRun: true }),
      ],
      state,
    );
    expect(state.run?.kernelTrial).toEqual({ status: 'done', result: trial, fromEarlierRun: true });
    expect(state.run?.kernels).toBe('optimized');
    // The next run starts without one.
    state = reduce(
      [{ type: 'trainRequested', runId: 2, dataSet: FASHION_MNIST_INFO, settings }],
      state,
    );
    expect(state.run?.kernelTrial).toBeNull();
  });

  it('shows the kernels being tuned, shape by shape, then what the shapes use', () => {
    const progress = (shapesDone: number, current: string | null) =>
      worker({
        type: 'kernelTuning',
        runId: 1,
        shapesDone,
        shapesTotal: 14,
        current,
        fromCache: 0,
      });
    let state = reduce([started[0], progress(0, null), progress(3, 'conv2 dW')]);
    expect(state.run?.kernelTuning).toEqual({
      status: 'tuning',
      shapesDone: 3,
      shapesTotal: 14,
      current: 'conv2 dW',
      fromCache: 0,
    });
    const tuning = {
      shapes: 14,
      tuned: 14,
      fromCache: 0,
      byVariant: { workgroup: 9, register: 5 },
      complete: true,
      cacheProblem: null,
    };
    state = reduce(
      [
        // A stale run's message changes nothing.
        worker({ type: 'kernelTuningDone', runId: 0, tuning, fromEarlierRun: true }),
        worker({ type: 'kernelTuningDone', runId: 1, tuning, fromEarlierRun: false }),
      ],
      state,
    );
    expect(state.run?.kernelTuning).toEqual({ status: 'done', tuning, fromEarlierRun: false });
    state = reduce(
      [{ type: 'trainRequested', runId: 2, dataSet: FASHION_MNIST_INFO, settings }],
      state,
    );
    expect(state.run?.kernelTuning).toBeNull();
  });

  it('shows a check of the kernels (kernels optimized): no timing, ours or refused', () => {
    const checked = {
      stockMsPerStep: null,
      optimizedMsPerStep: null,
      timedStepsPerKernel: 0,
      maxRelativeDifference: 3e-6,
      mostDifferent: 'conv1/kernel',
      choice: 'optimized',
      reason: 'agree',
    } as const;
    let state = reduce([
      started[0],
      worker({ type: 'kernelTrialStarted', runId: 1, mode: 'check', stepsPerKernel: 1 }),
    ]);
    expect(state.run?.kernelTrial).toEqual({ status: 'checking' });
    const timings = state.speed.timings;
    state = reduce(
      [worker({ type: 'kernelTrialDone', runId: 1, trial: checked, fromEarlierRun: false })],
      state,
    );
    expect(state.run?.kernels).toBe('optimized');
    // Nothing was timed: the speed estimate keeps what it had.
    expect(state.speed.timings).toBe(timings);
    const refused = {
      ...checked,
      maxRelativeDifference: 2,
      choice: 'stock',
      reason: 'disagree',
    } as const;
    state = reduce(
      [worker({ type: 'kernelTrialDone', runId: 1, trial: refused, fromEarlierRun: false })],
      state,
    );
    expect(state.run?.kernels).toBe('stock');
    expect(state.run?.kernelTrial).toEqual({
      status: 'done',
      result: refused,
      fromEarlierRun: false,
    });
  });

  it('ignores messages of an earlier run', () => {
    const state = reduce([
      ...started,
      epochEnded(0, 1),
      worker({ type: 'runEnded', runId: 0, status: 'failed', message: 'old' }),
    ]);
    expect(state.run?.epochMetrics).toEqual([]);
    expect(state.runState).toBe('training');
  });

  it('keeps the failure message and what was recorded', () => {
    const state = reduce([
      ...started,
      epochEnded(1, 1),
      worker({
        type: 'runEnded',
        runId: 1,
        status: 'failed',
        message: 'diverged at epoch 2, batch 3',
      }),
    ]);
    expect(state.runState).toBe('failed');
    expect(state.run?.endMessage).toBe('diverged at epoch 2, batch 3');
    expect(state.run?.epochMetrics).toHaveLength(1);
  });

  it('a worker crash fails the active run', () => {
    const state = reduce([...started, worker({ type: 'workerError', message: 'boom' })]);
    expect(state.runState).toBe('failed');
    expect(state.workerError).toBe('boom');
  });

  it('a crashed worker fails the active run and keeps what was recorded', () => {
    const state = reduce([
      ...started,
      epochEnded(1, 1),
      worker({ type: 'workerCrashed', message: 'out of memory' }),
    ]);
    expect(state.runState).toBe('failed');
    expect(state.run?.endMessage).toMatch(
      /worker crashed \(out of memory\); a new one was started/,
    );
    expect(state.run?.epochMetrics).toHaveLength(1);
    expect(state.backend).toBeNull();
  });

  it('a lost GPU device fails the active run and says a new worker was started', () => {
    const state = reduce([
      ...started,
      worker({ type: 'deviceLost', message: 'The GPU device was lost (unknown): reset' }),
    ]);
    expect(state.runState).toBe('failed');
    expect(state.run?.endMessage).toMatch(/device was lost .*A new worker was started/);
  });

  it('estimates the time left from the time per batch so far', () => {
    const state = reduce([...started, batchReported(Float64Array.of(0.5, 2), 5, 500, 40)]);
    // 15 batches left at 100 ms each.
    expect(estimatedRemainingMs(state.run!)).toBe(1500);
  });

  it('bounds the per-batch history by decimating', () => {
    const points = Float64Array.from({ length: 2 * (MAX_BATCH_LOSS_POINTS + 1) }, (_, i) => i);
    const state = reduce([...started, batchReported(points, 1, 1, 40)]);
    expect(state.run!.batchLoss.length).toBeLessThanOrEqual(MAX_BATCH_LOSS_POINTS);
    expect(state.run!.batchLoss.at(-1)).toEqual({ x: points.at(-2), y: points.at(-1) });
    expect(
      decimate([
        { x: 0, y: 0 },
        { x: 1, y: 1 },
        { x: 2, y: 2 },
      ]),
    ).toEqual([
      { x: 1, y: 1 },
      { x: 2, y: 2 },
    ]);
  });

  it('records each learning-rate change and the rate in force', () => {
    const state = reduce([
      ...started,
      worker({ type: 'learningRateChanged', runId: 1, x: 0.5, learningRate: 0.05 }),
      worker({ type: 'learningRateChanged', runId: 99, x: 0.7, learningRate: 9 }),
      worker({ type: 'learningRateChanged', runId: 1, x: 1.25, learningRate: 0.001 }),
    ]);
    expect(state.run?.learningRate).toBe(0.001);
    expect(state.run?.learningRateChanges).toEqual([
      { x: 0.5, learningRate: 0.05 },
      { x: 1.25, learningRate: 0.001 },
    ]);
  });
});

describe('Pause and Stop during a step', () => {
  it('says at once that it pauses after the step in progress, until the worker has paused', () => {
    let state = reduce([...started, { type: 'pauseRequested' }]);
    expect(state.runState).toBe('training');
    expect(state.run?.pauseRequested).toBe(true);
    // No batch measured yet: no estimate of the step's length.
    expect(timePerBatchMs(state.run!)).toBeNull();
    state = reduce([batchReported(Float64Array.of(0.4, 2.3), 4, 104_000, 40)], state);
    expect(timePerBatchMs(state.run!)).toBe(26_000);
    expect(state.run?.pauseRequested).toBe(true);
    state = reduce([worker({ type: 'paused', runId: 1 })], state);
    expect(state.runState).toBe('paused');
    expect(state.run?.pauseRequested).toBe(false);
    // A pause asked for while nothing trains changes nothing.
    expect(reduce([{ type: 'pauseRequested' }], state)).toBe(state);
    // A run that ends before the step does is no longer pausing.
    const ended = reduce([
      ...started,
      { type: 'pauseRequested' },
      worker({ type: 'runEnded', runId: 1, status: 'done', message: null }),
    ]);
    expect(ended.run?.pauseRequested).toBe(false);
  });

  it('a Stop the worker could not answer in time ends the run stopped, keeping what was recorded', () => {
    const state = reduce([
      ...started,
      batchReported(Float64Array.of(0.4, 2.3, 0.8, 2.1), 8, 800, 40),
      batchReported(Float64Array.of(1, 2.0), 10, 1000, 42),
      epochEnded(1, 1),
      worker({ type: 'checkpointSaved', runId: 1, epoch: 1 }),
      batchReported(Float64Array.of(1.2, 1.9), 12, 1200, 42),
      { type: 'pauseRequested' },
      { type: 'stopForced', runId: 1 },
    ]);
    expect(state.runState).toBe('stopped');
    expect(state.run?.endStatus).toBe('stopped');
    expect(state.run?.pauseRequested).toBe(false);
    // Batch 3 of epoch 2 was in progress (12 of 10 a epoch reported).
    expect(state.run?.endMessage).toMatch(
      /^Stopped in epoch 2, batch 3: the step in progress did not end within 1\.5 s, so the worker was ended and a new one started\. Everything up to the last report is kept\. Resume \(under Runs\) continues from the checkpoint after epoch 1\.$/,
    );
    expect(state.run?.batchLoss).toHaveLength(4);
    expect(state.run?.epochMetrics).toEqual([metricsOf(1)]);
    expect(state.run?.checkpointEpoch).toBe(1);
    expect(state.workerError).toBeNull();
    // The new worker reports its backend afresh.
    expect(state.backend).toBeNull();
  });

  it('says where the run was when stopped before its first batch, and that it starts again', () => {
    const loading = reduce([
      { type: 'trainRequested', runId: 1, dataSet: FASHION_MNIST_INFO, settings },
      { type: 'stopForced', runId: 1 },
    ]);
    expect(loading.runState).toBe('stopped');
    expect(loading.run?.endMessage).toMatch(
      /^Stopped before the first batch: .* Resume \(under Runs\) starts it again from epoch 1\.$/,
    );
    const timing = reduce([
      { type: 'trainRequested', runId: 1, dataSet: FASHION_MNIST_INFO, settings },
      worker({ type: 'kernelTrialStarted', runId: 1, mode: 'time', stepsPerKernel: 4 }),
      { type: 'stopForced', runId: 1 },
    ]);
    expect(timing.run?.endMessage).toMatch(/^Stopped while timing the kernels, before the first/);
    const checking = reduce([
      { type: 'trainRequested', runId: 1, dataSet: FASHION_MNIST_INFO, settings },
      worker({ type: 'kernelTrialStarted', runId: 1, mode: 'check', stepsPerKernel: 1 }),
      { type: 'stopForced', runId: 1 },
    ]);
    expect(checking.run?.endMessage).toMatch(/^Stopped while checking the kernels, before the/);
    const tuning = reduce([
      { type: 'trainRequested', runId: 1, dataSet: FASHION_MNIST_INFO, settings },
      worker({
        type: 'kernelTuning',
        runId: 1,
        shapesDone: 2,
        shapesTotal: 14,
        current: null,
        fromCache: 0,
      }),
      { type: 'stopForced', runId: 1 },
    ]);
    expect(tuning.run?.endMessage).toMatch(/^Stopped while tuning the kernels, before the first/);
    const firstStep = reduce([...started, { type: 'stopForced', runId: 1 }]);
    expect(firstStep.run?.endMessage).toMatch(/^Stopped in epoch 1, batch 1: /);
  });

  it('a late forced stop does not touch a run that already ended, or a newer run', () => {
    const done = reduce([
      ...started,
      worker({ type: 'runEnded', runId: 1, status: 'done', message: null }),
    ]);
    const after = reduce([{ type: 'stopForced', runId: 1 }], done);
    expect(after.runState).toBe('done');
    expect(after.run?.endStatus).toBe('done');
    const newer = reduce(
      [
        { type: 'trainRequested', runId: 2, dataSet: FASHION_MNIST_INFO, settings },
        { type: 'stopForced', runId: 1 },
      ],
      done,
    );
    expect(newer.runState).toBe('loading data');
    expect(newer.run?.endStatus).toBeNull();
  });

  it('a run resumed from its start has no checkpoint and an empty history', () => {
    const state = reduce([
      {
        type: 'trainRequested',
        runId: 3,
        dataSet: FASHION_MNIST_INFO,
        settings,
        resumed: {
          epochsDone: 0,
          batchLoss: [],
          epochMetrics: [],
          learningRateChanges: [],
          learningRate: settings.learningRate,
          elapsedMs: 0,
        },
        from: 'start',
      },
    ]);
    expect(state.run?.checkpointEpoch).toBeNull();
    expect(state.run?.batchLoss).toEqual([]);
    expect(state.runState).toBe('loading data');
  });
});

describe('the kept model', () => {
  it('is the last run’s when it ended done, until the next run starts or the worker is replaced', () => {
    let state = reduce([
      { type: 'trainRequested', runId: 1, dataSet: FASHION_MNIST_INFO, settings },
      worker({ type: 'modelKept', runId: 1, key: 'run-a', epochs: 2 }),
      worker({ type: 'runEnded', runId: 1, status: 'done', message: null }),
    ]);
    expect(state.heldModel).toEqual({ key: 'run-a', epochs: 2 });
    // Messages about model tasks belong to the history, not the trainer.
    expect(reduce([worker({ type: 'modelSaved', key: 'run-a', epochs: 2 })], state)).toBe(state);
    state = reduce(
      [{ type: 'trainRequested', runId: 2, dataSet: FASHION_MNIST_INFO, settings }],
      state,
    );
    expect(state.heldModel).toBeNull();
    // A stale run's model is not taken.
    state = reduce([worker({ type: 'modelKept', runId: 1, key: 'run-a', epochs: 2 })], state);
    expect(state.heldModel).toBeNull();
    state = reduce(
      [
        worker({ type: 'modelKept', runId: 2, key: 'run-b', epochs: 2 }),
        worker({ type: 'runEnded', runId: 2, status: 'done', message: null }),
        worker({ type: 'workerCrashed', message: 'gone' }),
      ],
      state,
    );
    expect(state.heldModel).toBeNull();
  });

  it('a run continued from a saved model has no checkpoint until its first epoch', () => {
    const resumed = {
      epochsDone: 2,
      batchLoss: [],
      epochMetrics: [metricsOf(1), metricsOf(2)],
      learningRateChanges: [],
      learningRate: 0.01,
      elapsedMs: 2000,
    };
    const fromModel = reduce([
      {
        type: 'trainRequested',
        runId: 1,
        dataSet: FASHION_MNIST_INFO,
        settings,
        resumed,
        from: 'savedModel',
      },
    ]);
    expect(fromModel.run?.checkpointEpoch).toBeNull();
    expect(fromModel.run?.epochMetrics).toHaveLength(2);
    const fromCheckpoint = reduce([
      { type: 'trainRequested', runId: 1, dataSet: FASHION_MNIST_INFO, settings, resumed },
    ]);
    expect(fromCheckpoint.run?.checkpointEpoch).toBe(2);
  });

  it('derives images per second between reports and tracks tensor memory and its peak', () => {
    // Batch size 128: 4 batches in 2 s, then 4 more in 1 s.
    const state = reduce([
      ...started,
      batchReported(Float64Array.of(0.25, 2.2), 4, 2000, 40),
      batchReported(Float64Array.of(0.5, 2.1), 8, 3000, 40),
    ]);
    expect(state.run?.throughput).toEqual([
      { x: 0.25, y: 256 },
      { x: 0.5, y: 512 },
    ]);
    expect(state.run?.tensorMegabytes).toEqual([
      { x: 0.25, y: 1 },
      { x: 0.5, y: 1 },
    ]);
    expect(state.run?.tensors?.maxBytes).toBe(1e6);
  });
});

describe('the data choice', () => {
  const summary = {
    id: 'upload-0badf00d',
    files: {
      trainImages: 'train-images-idx3-ubyte.gz',
      trainLabels: 'train-labels-idx1-ubyte.gz',
      testImages: 't10k-images-idx3-ubyte.gz',
      testLabels: 't10k-labels-idx1-ubyte.gz',
    },
    trainCount: 60_000,
    testCount: 10_000,
    imageSize: 28,
  };
  const digits = Array.from({ length: 10 }, (_, i) => String(i));

  it('is Fashion-MNIST until files are accepted', () => {
    expect(currentDataId(INITIAL_TRAINER_STATE.data)).toBe('fashion-mnist');
    expect(dataSetInfoOf(INITIAL_TRAINER_STATE.data)).toEqual({
      ok: true,
      info: FASHION_MNIST_INFO,
    });
  });

  it('checks chosen files, then trains on them under default names', () => {
    const checking = reduce([{ type: 'dataFilesChosen', fileNames: ['a', 'b', 'c', 'd'] }]);
    expect(checking.data.checking).toEqual(['a', 'b', 'c', 'd']);
    const state = reduce([worker({ type: 'dataChosen', summary })], checking);
    expect(state.data.checking).toBeNull();
    expect(state.data.uploaded).toEqual(summary);
    expect(currentDataId(state.data)).toBe('upload-0badf00d');
    expect(dataSetInfoOf(state.data)).toEqual({
      ok: true,
      info: { id: 'upload-0badf00d', name: 'Your data', classNames: digits },
    });
  });

  it('takes the person’s names, refuses bad ones, and keeps them for the same files', () => {
    const names = [...digits];
    names[0] = 'zero';
    let state = reduce([
      worker({ type: 'dataChosen', summary }),
      { type: 'dataNamesEdited', name: ' MNIST ', classNames: names },
    ]);
    expect(dataSetInfoOf(state.data)).toMatchObject({
      ok: true,
      info: { name: 'MNIST', classNames: ['zero', ...digits.slice(1)] },
    });
    state = reduce([worker({ type: 'dataChosen', summary })], state);
    expect(state.data.name).toBe(' MNIST ');
    state = reduce(
      [{ type: 'dataNamesEdited', classNames: ['a', 'a', ...digits.slice(2)] }],
      state,
    );
    expect(dataSetInfoOf(state.data)).toEqual({
      ok: false,
      message: 'Classes 0 and 1 are both called "a"; each class needs its own name.',
    });
    // Other files start again from the default names.
    state = reduce(
      [worker({ type: 'dataChosen', summary: { ...summary, id: 'upload-1' } })],
      state,
    );
    expect(state.data.name).toBe('Your data');
    expect(state.data.classNames).toEqual(digits);
  });

  it('keeps the data it had when files are refused, and shows why', () => {
    const state = reduce([
      worker({ type: 'dataChosen', summary }),
      { type: 'dataFilesChosen', fileNames: ['x'] },
      worker({ type: 'dataRejected', message: 'Choose four IDX files.' }),
    ]);
    expect(state.data.uploaded).toEqual(summary);
    expect(state.data.problem).toBe('Choose four IDX files.');
    expect(state.data.checking).toBeNull();
    const back = reduce([worker({ type: 'dataChosen', summary: null })], state);
    expect(back.data.uploaded).toBeNull();
    expect(back.data.problem).toBeNull();
  });

  it('keeps accepted files across a worker crash but not files still being checked', () => {
    const accepted = reduce([
      worker({ type: 'dataChosen', summary }),
      worker({ type: 'workerCrashed', message: 'boom' }),
    ]);
    expect(accepted.data.uploaded).toEqual(summary);
    const checking = reduce([
      { type: 'dataFilesChosen', fileNames: ['a'] },
      worker({ type: 'workerCrashed', message: 'boom' }),
    ]);
    expect(checking.data.checking).toBeNull();
    expect(checking.data.problem).toMatch(/choose them again/);
  });

  it('gives the run the data set it trains on', () => {
    const info = { id: 'upload-0badf00d', name: 'MNIST', classNames: digits };
    const state = reduce([{ type: 'trainRequested', runId: 1, dataSet: info, settings }]);
    expect(state.run?.dataSet).toBe(info);
  });
});

describe('the device’s speed', () => {
  const report = (isSoftware: boolean): FromWorker => ({
    type: 'backend',
    report: {
      requested: 'webgpu',
      backend: 'webgpu',
      fallbackReason: null,
      adapter: {
        vendor: 'google',
        architecture: 'swiftshader',
        device: '',
        description: '',
        isSoftware,
        isSwiftShader: isSoftware,
        limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 },
      },
    },
  });
  const probed = worker({
    type: 'speedMeasured',
    timing: timingOf(settings, 900, 'probe'),
    firstStepExtraMs: 15_000,
  });

  it('is unknown until a step is timed, then holds the probe’s timing', () => {
    let state = reduce([worker(report(true))]);
    expect(deviceSpeedOf(state.backend, state.speed)).toBeNull();
    state = reduce([probed], state);
    const speed = deviceSpeedOf(state.backend, state.speed)!;
    expect(speed.kind).toBe('software GPU');
    expect(speed.firstStepExtraMs).toBe(15_000);
    expect(speed.timings.map((t) => [t.msPerStep, t.source])).toEqual([[900, 'probe']]);
  });

  it('adds each epoch of a run as a timing of its shape (validation excluded)', () => {
    const state = reduce([worker(report(true)), probed, ...started, epochEnded(1, 1)]);
    // 100 training images per second at batch 128: 1.28 s a step.
    const run = state.speed.timings.find((t) => t.source === 'run')!;
    expect(run.msPerStep).toBeCloseTo(1280);
    expect(run.shapeKey).toBe(speedShapeKey(settings));
  });

  it('starts afresh on another adapter, and keeps its timings when the same one reports again', () => {
    const state = reduce([worker(report(true)), probed]);
    expect(reduce([worker(report(true))], state).speed.timings).toHaveLength(1);
    expect(reduce([worker(report(false))], state).speed.timings).toHaveLength(0);
  });
});
