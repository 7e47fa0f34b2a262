import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES, type Settings } from '../config/settings.ts';
import { architectureOf, trainingMemoryOf } from '../model/settingsCheck.ts';
import type { Split, KernelChoice, ExportedModel, RunEndStatus } from '../common/types.ts';
import {
  batchCount,
  epochOrder,
  gatherBatch,
  stratifiedSubset,
  type PixelBatch,
} from '../data/sampling.ts';
import { alexNetLayers } from '../model/architecture.ts';
import { buildAlexNet } from '../model/alexnet.ts';
import { computeLayerTable } from '../model/layerTable.ts';
import { confusionMatrix } from '../model/metrics.ts';
import { largestBatchThatRuns, outOfMemoryMessage } from '../model/outOfMemory.ts';
import {
  freePooledGpuBuffers,
  compileTrialStep,
  preflightVariant,
  type PreflightProblem,
} from '../model/preflight.ts';
import {
  evaluateBatch,
  predictWithConfidence,
  prepareImages,
  trainStep,
} from '../model/training.ts';

import type { StoredWeight } from '../storage/checkpointStore.ts';
import type { FromWorker } from './protocol.ts';
import { BlockingWork } from './blockingWork.ts';
import type { StartupTimer } from './startupTimer.ts';
import { yieldToEventLoop, type RunControl } from './runControl.ts';

/**
 * The training run: the book's `trainer.fit` for one settings object. Runs wherever tfjs has a
 * backend (the worker in the app, Node with the CPU backend in unit tests). It talks to the
 * outside only through `emit`, so the worker session stays free of training details.
 *
 * runTraining is three stages: startRun (network, preflight, resume, runStarted), then per epoch
 * trainEpochBatches (the batches, read back and posted a loss window at a time, with
 * summarizeLossWindow) and epochReport (validation, sample predictions, filters).
 */

/** Validation images whose predictions are shown after every epoch. */
export const PREDICTION_SAMPLES = 32;

/** Batches averaged into one loss point; also how often losses are read back from the GPU. */
export const LOSS_WINDOW_BATCHES = 4;
/** Batch points are posted at most this often, so a fast GPU cannot flood the main thread. */
export const BATCH_POST_INTERVAL_MS = 250;

/** The state of a run after an epoch: all a resume needs (plain SGD keeps no other state). */
export interface EpochState {
  epochsDone: number;
  elapsedMs: number;
  learningRate: number;
  /** In model.weights order. */
  weights: StoredWeight[];
}

export interface RunInput {
  runId: number;
  /** Which convolution kernels are registered (reported only); null off WebGPU. */
  kernels: KernelChoice | null;
  settings: Settings;
  train: Split;
  test: Split;
  control: RunControl;
  emit: (message: FromWorker, transfer?: Transferable[]) => void;
  /** Continue from here instead of from freshly initialised weights. */
  resume?: EpochState | null;
  /** Keeps the weights after each epoch (IndexedDB in the app); a failure does not stop training. */
  saveCheckpoint?: (state: EpochState) => Promise<void>;
  /**
   * Takes the trained model of a run that ends done, instead of its being disposed: the caller
   * owns it then (and disposes it). Not called for a run that ends otherwise.
   */
  keepModel?: (model: tf.LayersModel, state: Omit<EpochState, 'weights'>) => void;
  /**
   * Given on a backend that computes synchronously (CPU): called before each stretch of work
   * with how long it is expected to hold the thread (blockingWork.ts).
   */
  announceBlocking?: (expectedMs: number) => void;
  /** Times the run's start; its first loss point then posts startupTimed (startupTimer.ts). */
  startup?: StartupTimer;
  /**
   * This worker has trained this network shape before (the same device, kernels and batch):
   * the trial step would only repeat what that run showed, so it is skipped.
   */
  skipTrialStep?: boolean;
  /** Called once, when the run's first loss point is read back. */
  onFirstPoint?: () => void;
}

/** The run's synchronous work, announced through `announce` when given (blockingWork.ts). */
function blockingWorkOf(
  settings: Settings,
  announce: ((expectedMs: number) => void) | undefined,
): BlockingWork {
  const table = computeLayerTable(alexNetLayers(architectureOf(settings)), settings.imageSize);
  const multiplyAdds = table.ok ? table.table.totalMultiplyAddsPerImage : 0;
  return new BlockingWork(multiplyAdds, announce ?? null);
}

/** Every weight of the model (batch-norm moving statistics included), read back as plain data. */
export async function readWeights(model: tf.LayersModel): Promise<StoredWeight[]> {
  const values = model.getWeights(); // the variables themselves: not disposed
  return Promise.all(
    model.weights.map(async (weight, index) => {
      const data = (await values[index].data()) as Float32Array;
      return { name: weight.originalName, shape: values[index].shape, data: data.slice().buffer };
    }),
  );
}

/** Loads checkpointed weights into the model; a message when they do not fit it. */
export function restoreWeights(
  model: tf.LayersModel,
  weights: readonly StoredWeight[],
): string | null {
  const expected = model.getWeights(); // the variables themselves: not disposed
  const mismatch =
    weights.length !== expected.length ||
    weights.some(
      (weight, i) =>
        weight.shape.length !== expected[i].shape.length ||
        weight.shape.some((size, axis) => size !== expected[i].shape[axis]) ||
        weight.data.byteLength !== 4 * weight.shape.reduce((a, b) => a * b, 1),
    );
  if (mismatch) {
    return (
      'The checkpoint does not fit this run’s network (its weights have other shapes), ' +
      'so it cannot be resumed. Start it again with Train.'
    );
  }
  const tensors = weights.map((weight) => tf.tensor(new Float32Array(weight.data), weight.shape));
  model.setWeights(tensors);
  for (const tensor of tensors) tensor.dispose();
  return null;
}

/** The run's network, built from its settings, with stored weights; or why they do not fit. */
export function restoredModel(
  settings: Settings,
  weights: readonly StoredWeight[],
): { model: tf.LayersModel; problem: null } | { model: null; problem: string } {
  const model = buildAlexNet(
    alexNetLayers(architectureOf(settings)),
    settings.imageSize,
    settings.seed,
  );
  const problem = restoreWeights(model, weights);
  if (problem === null) return { model, problem: null };
  model.dispose();
  return { model: null, problem };
}

/**
 * Validation loss and accuracy of a model on the run's validation subset (the same images, in
 * the same batches, as after each of its epochs); null when stopped.
 */
export async function validateModel(
  model: tf.LayersModel,
  settings: Settings,
  test: Split,
  control: RunControl,
  announceBlocking?: (expectedMs: number) => void,
): Promise<{ loss: number; accuracy: number } | null> {
  const testIndices = stratifiedSubset(test.labels, settings.testExamples, settings.seed);
  const blocking = blockingWorkOf(settings, announceBlocking);
  const result = await evaluate(model, test, testIndices, settings, control, blocking);
  return result === null ? null : { loss: result.loss, accuracy: result.accuracy };
}

/**
 * The model in TF.js's Layers format (what `model.save` writes: Keras-style topology, weight
 * specs and the weights in one buffer), for a model.json and a weights file.
 */
export async function exportModel(model: tf.LayersModel): Promise<ExportedModel> {
  let exported = null as ExportedModel | null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const { modelTopology, weightSpecs, weightData } = artifacts;
      if (
        typeof modelTopology !== 'object' ||
        modelTopology instanceof ArrayBuffer ||
        weightSpecs === undefined ||
        weightData === undefined
      ) {
        throw new Error('TF.js handed over an incomplete model');
      }
      // TF.js 4.22 may split large weights over several buffers.
      exported = {
        modelTopology,
        weightSpecs,
        weightData: tf.io.CompositeArrayBuffer.join(weightData),
      };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (exported === null) throw new Error('TF.js did not hand over the model');
  return exported;
}

export interface RunOutcome {
  status: RunEndStatus;
  message: string | null;
}

interface PendingStep {
  loss: tf.Scalar;
  correct: tf.Scalar;
  size: number;
}

/** One async readback for several steps: [loss0, correct0, loss1, correct1, …]. */
async function readSteps(steps: readonly PendingStep[]): Promise<Float32Array> {
  const packed = tf.tidy(() => tf.stack(steps.flatMap((step) => [step.loss, step.correct])));
  try {
    return (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
    for (const step of steps) {
      step.loss.dispose();
      step.correct.dispose();
    }
  }
}

/** Mean loss, accuracy and confusion matrix of the model on `indices` of `split`, no dropout. */
async function evaluate(
  model: tf.LayersModel,
  split: Split,
  indices: Uint32Array,
  settings: Settings,
  control: RunControl,
  blocking: BlockingWork,
): Promise<{ loss: number; accuracy: number; confusion: Int32Array } | null> {
  // Sums and predictions stay on the device until the end: one readback per validation pass.
  let totals = tf.zeros([2]);
  const predictions: tf.Tensor1D[] = [];
  try {
    for (let start = 0; start < indices.length; start += settings.batchSize) {
      if (control.stopping) return null;
      const end = Math.min(start + settings.batchSize, indices.length);
      // A short last batch starts earlier, to be full size; its first images are not counted.
      const from = Math.max(0, end - settings.batchSize);
      const skipFirst = start - from;
      const batch = gatherBatch(split, indices, from, end);
      const [next, predicted] = blocking.forward(batch.size, () =>
        tf.tidy(() => {
          const images = prepareImages(
            batch.pixels,
            batch.size,
            split.imageSize,
            settings.imageSize,
          );
          const labels = tf.tensor1d(batch.labels.subarray(skipFirst), 'int32');
          const result = evaluateBatch(model, images, labels, NUM_CLASSES, skipFirst);
          return [
            totals.add(tf.stack([result.lossSum, result.correct])),
            result.predicted,
          ] as const;
        }),
      );
      totals.dispose();
      totals = next;
      predictions.push(predicted);
      // Bound how far the GPU queue runs ahead, and let a Stop message in.
      if ((start / settings.batchSize) % LOSS_WINDOW_BATCHES === LOSS_WINDOW_BATCHES - 1) {
        await totals.data();
      }
      await yieldToEventLoop();
    }
    const [lossSum = NaN, correct = NaN] = await totals.data();
    const allPredicted = tf.concat(predictions);
    const predicted = await allPredicted.data();
    allPredicted.dispose();
    const trueLabels = Array.from(indices, (index) => split.labels[index]);
    return {
      loss: lossSum / indices.length,
      accuracy: correct / indices.length,
      confusion: confusionMatrix(trueLabels, predicted, NUM_CLASSES),
    };
  } finally {
    totals.dispose();
    for (const tensor of predictions) tensor.dispose();
  }
}

/**
 * A loss ten times that of guessing uniformly (ln 10 ≈ 2.3 for ten classes) only comes from
 * weights that have blown up; training does not come back from there.
 */
export const EXPLODED_LOSS = 10 * Math.log(NUM_CLASSES);

function divergedMessage(epoch: number, batch: number, loss: number, learningRate: number): string {
  const what = Number.isFinite(loss)
    ? `reached ${loss.toPrecision(3)}, more than ten times the loss of guessing`
    : `became ${loss}`;
  return (
    `Training diverged at epoch ${epoch}, batch ${batch}: the loss ${what}. ` +
    `Everything up to there is kept. Try a smaller learning rate, e.g. ${learningRate / 10}.`
  );
}

/**
 * One loss window read back from the device: its sums, or where in it the loss blew up. Values
 * come as [meanLoss0, correct0, meanLoss1, correct1, …], one pair per batch; sizes are the
 * batches' image counts.
 */
export type LossWindow =
  | { diverged: false; lossSum: number; correctSum: number; size: number }
  | {
      diverged: true;
      /** Index in the window of the first batch whose loss blew up. */
      badIndex: number;
      loss: number;
      /** Sums over the sound batches before it. */
      lossSum: number;
      size: number;
    };

/** Folds one window's batches, stopping at the first loss that is not finite or exploded. */
export function summarizeLossWindow(
  values: ArrayLike<number>,
  sizes: readonly number[],
): LossWindow {
  let lossSum = 0;
  let correctSum = 0;
  let size = 0;
  for (const [index, batchSize] of sizes.entries()) {
    const loss = values[2 * index];
    if (!Number.isFinite(loss) || loss > EXPLODED_LOSS) {
      return { diverged: true, badIndex: index, loss, lossSum, size };
    }
    lossSum += loss * batchSize;
    size += batchSize;
    correctSum += values[2 * index + 1];
  }
  return { diverged: false, lossSum, correctSum, size };
}

/** Training time of a run, pauses excluded, continuing from a resumed run's time. */
class RunClock {
  private readonly startedAt = performance.now();
  private pausedMs = 0;

  constructor(private readonly elapsedBeforeMs: number) {}

  addPause(pausedMs: number): void {
    this.pausedMs += pausedMs;
  }

  elapsedMs(): number {
    return this.elapsedBeforeMs + performance.now() - this.startedAt - this.pausedMs;
  }
}

/**
 * The batch points not yet posted, and how many batches are done. Points are posted at most every
 * BATCH_POST_INTERVAL_MS, and always at the end of an epoch or of the run.
 */
class BatchPoints {
  private unsent: number[] = [];
  private lastPostAt = -Infinity;

  constructor(
    private readonly runId: number,
    private readonly emit: RunInput['emit'],
    private readonly clock: RunClock,
    public batchesDone: number,
  ) {}

  /** A point at fractional epoch `x` (1.5 = half-way through epoch 2). */
  add(x: number, meanLoss: number): void {
    this.unsent.push(x, meanLoss);
  }

  /** Posts the unsent points when the interval has passed, or when `force`. */
  post(force: boolean): void {
    if (!force && performance.now() - this.lastPostAt < BATCH_POST_INTERVAL_MS) return;
    this.flush();
  }

  /** Posts whatever is unsent (before the run ends early). */
  flush(): void {
    if (this.unsent.length === 0) return;
    const points = Float64Array.from(this.unsent);
    this.unsent = [];
    this.lastPostAt = performance.now();
    // Live tensors and their bytes, to show that nothing accumulates from batch to batch.
    const { numTensors, numBytes } = tf.memory();
    this.emit(
      {
        type: 'batchMetrics',
        runId: this.runId,
        points,
        batchesDone: this.batchesDone,
        elapsedMs: this.clock.elapsedMs(),
        tensorCount: numTensors,
        tensorBytes: numBytes,
      },
      [points.buffer],
    );
  }
}

/** Everything the stages of one run share; built by startRun. */
interface TrainingRun {
  input: RunInput;
  model: tf.LayersModel;
  optimizer: tf.SGDOptimizer;
  blocking: BlockingWork;
  trainIndices: Uint32Array;
  testIndices: Uint32Array;
  batchesPerEpoch: number;
  /** The validation images whose predictions are shown after every epoch. */
  samples: PixelBatch;
  /** In force now: the person may change it during the run. */
  learningRate: number;
  clock: RunClock;
  points: BatchPoints;
  /** The run's start being timed (startupTimer.ts), until its first loss point. */
  startup: StartupTimer | null;
  /** No loss point yet: the first comes after one batch, so the chart starts at once. */
  awaitingFirstPoint: boolean;
  /** Steps trained but not yet read back (at most one loss window). */
  pending: PendingStep[];
}

/** One epoch's training batches, summed. */
export interface EpochTraining {
  lossSum: number;
  correctSum: number;
  /** Images trained on. */
  seen: number;
  /** Training time of the epoch, pauses and validation excluded. */
  trainMs: number;
}

/**
 * One trial step of the run's network at `batchSize` (preflight.ts); null when it runs. It starts
 * with TF.js's buffer pool emptied, so that its out-of-memory scope judges this run's memory, not
 * buffers kept from earlier work (the speed probe, an earlier run or try); after running out, the
 * pool is emptied again, since it then holds invalid buffers that nothing may reuse.
 */
async function trialStep(
  model: tf.LayersModel,
  settings: Settings,
  blocking: BlockingWork,
  batchSize: number,
): Promise<PreflightProblem | null> {
  freePooledGpuBuffers();
  const problem = await blocking.training(batchSize, () =>
    preflightVariant(model, settings.imageSize, NUM_CLASSES, 1, batchSize),
  );
  if (problem?.outOfMemory === true) freePooledGpuBuffers();
  return problem;
}

/**
 * The run's first step ran out of GPU memory: halves the batch until a trial step runs (each in
 * its own error scopes) and fails the run with the estimate and that batch. Stopped (or failed
 * by the GPU) meanwhile, it ends so.
 */
async function outOfMemoryOutcome(
  model: tf.LayersModel,
  settings: Settings,
  blocking: BlockingWork,
  control: RunControl,
): Promise<RunOutcome> {
  const fitting = await largestBatchThatRuns(
    settings.batchSize,
    async (batchSize) =>
      !control.stopping && (await trialStep(model, settings, blocking, batchSize)) === null,
  );
  if (control.stopping) {
    if (control.failure !== null) return { status: 'failed', message: control.failure };
    return {
      status: 'stopped',
      message: 'Stopped while looking for a batch size that fits, before the first batch.',
    };
  }
  const estimateAt = (batchSize: number) =>
    trainingMemoryOf({ ...settings, batchSize })?.totalBytes ?? null;
  const message = outOfMemoryMessage({
    batchSize: settings.batchSize,
    imageSize: settings.imageSize,
    estimateBytes: estimateAt(settings.batchSize),
    fitting: fitting === null ? null : { batchSize: fitting, estimateBytes: estimateAt(fitting) },
  });
  return { status: 'failed', message };
}

/**
 * Builds the network and optimizer, checks the variant trains here, restores a resumed run's
 * weights and posts runStarted. Whatever it returns as a run is the caller's to dispose.
 */
async function startRun(input: RunInput): Promise<TrainingRun | RunOutcome> {
  const { runId, kernels, settings, train, test, emit } = input;
  const resume = input.resume ?? null;
  const trainIndices = stratifiedSubset(train.labels, settings.trainExamples, settings.seed);
  const testIndices = stratifiedSubset(test.labels, settings.testExamples, settings.seed);
  const batchesPerEpoch = batchCount(trainIndices.length, settings.batchSize);
  const model = buildAlexNet(
    alexNetLayers(architectureOf(settings)),
    settings.imageSize,
    settings.seed,
  );
  const blocking = blockingWorkOf(settings, input.announceBlocking);
  // A variant the backend cannot train (a missing kernel, a shader the GPU rejects) fails here,
  // before the first batch, with what the backend said. It is a step at the run's batch size:
  // the shaders it compiles are the run's own (or the speed probe's, already compiled), where
  // a smaller batch would compile a second set (17 s of 65 px, width 0.1 on SwiftShader).
  // The step runs in an out-of-memory error scope: a batch the GPU cannot hold fails here too,
  // with the batch that does (outOfMemoryOutcome), rather than as a GPU error midway.
  const startup = input.startup;
  startup?.mark('modelBuild');
  // Every pipeline of the step at once, before the trial step runs them (a no-op when a speed
  // probe or an earlier run compiled them: the shaders take shapes as uniforms).
  if (startup !== undefined) {
    startup.pipelinesCompiled = await compileTrialStep(
      model,
      settings.imageSize,
      NUM_CLASSES,
      1,
      settings.batchSize,
    );
    startup.mark('compile');
  }
  const trialProblem =
    input.skipTrialStep === true
      ? null
      : await trialStep(model, settings, blocking, settings.batchSize);
  startup?.mark('preflight');
  if (trialProblem !== null) {
    try {
      return trialProblem.outOfMemory
        ? await outOfMemoryOutcome(model, settings, blocking, input.control)
        : { status: 'failed', message: trialProblem.message };
    } finally {
      model.dispose();
    }
  }
  if (resume !== null) {
    const problem = restoreWeights(model, resume.weights);
    if (problem !== null) {
      model.dispose();
      return { status: 'failed', message: problem };
    }
  }
  const learningRate = resume?.learningRate ?? settings.learningRate;
  // Plain SGD keeps no state besides the rate, so weights and rate are all a resume needs.
  const optimizer = tf.train.sgd(learningRate);
  // A fixed set of validation images whose predictions are shown after every epoch.
  const sampleStride = Math.max(1, Math.floor(testIndices.length / PREDICTION_SAMPLES));
  const sampleOrder = testIndices
    .filter((_, i) => i % sampleStride === 0)
    .slice(0, PREDICTION_SAMPLES);
  const samples = gatherBatch(test, sampleOrder, 0, sampleOrder.length);
  const samplePixels = samples.pixels.slice();
  const sampleLabels = Uint8Array.from(samples.labels);
  emit(
    {
      type: 'runStarted',
      runId,
      epochs: settings.epochs,
      batchesPerEpoch,
      trainExamples: trainIndices.length,
      testExamples: testIndices.length,
      kernels,
      samples: { imageSize: test.imageSize, pixels: samplePixels, labels: sampleLabels },
      resumedFromEpoch: resume?.epochsDone ?? 0,
    },
    [samplePixels.buffer, sampleLabels.buffer],
  );
  const clock = new RunClock(resume?.elapsedMs ?? 0);
  const firstEpoch = resume?.epochsDone ?? 0;
  return {
    input,
    model,
    optimizer,
    blocking,
    trainIndices,
    testIndices,
    batchesPerEpoch,
    samples,
    learningRate,
    clock,
    points: new BatchPoints(runId, emit, clock, firstEpoch * batchesPerEpoch),
    startup: startup ?? null,
    awaitingFirstPoint: true,
    pending: [],
  };
}

/**
 * The training batches of epoch `epoch` (0-based): between batches it yields for pause, stop and
 * learning-rate changes; every LOSS_WINDOW_BATCHES it reads the window's losses back, ends the
 * run if they diverged, and adds the window's mean loss as a point.
 */
async function trainEpochBatches(
  run: TrainingRun,
  epoch: number,
): Promise<EpochTraining | RunOutcome> {
  const { runId, settings, train, control, emit } = run.input;
  const { batchesPerEpoch, points } = run;
  const order = epochOrder(run.trainIndices, settings.seed, epoch);
  const epochStartedAt = performance.now();
  let epochPausedMs = 0;
  let lossSum = 0;
  let correctSum = 0;
  let seen = 0;
  for (let batch = 0; batch < batchesPerEpoch; batch++) {
    const { action, pausedMs } = await control.checkpoint(
      () => emit({ type: 'paused', runId }),
      () => emit({ type: 'resumed', runId }),
    );
    epochPausedMs += pausedMs;
    run.clock.addPause(pausedMs);
    if (action === 'stop') {
      points.flush();
      if (control.failure !== null) return { status: 'failed', message: control.failure };
      return { status: 'stopped', message: `Stopped in epoch ${epoch + 1}, batch ${batch + 1}.` };
    }

    const newLearningRate = control.takeLearningRate();
    if (newLearningRate !== null && newLearningRate !== run.learningRate) {
      run.learningRate = newLearningRate;
      run.optimizer.setLearningRate(newLearningRate);
      const x = epoch + batch / batchesPerEpoch;
      emit({ type: 'learningRateChanged', runId, x, learningRate: newLearningRate });
    }

    const start = batch * settings.batchSize;
    const examples = gatherBatch(
      train,
      order,
      start,
      Math.min(start + settings.batchSize, order.length),
    );
    const images = prepareImages(
      examples.pixels,
      examples.size,
      train.imageSize,
      settings.imageSize,
    );
    const labels = tf.tensor1d(examples.labels, 'int32');
    const step = run.blocking.training(examples.size, () =>
      trainStep(run.model, run.optimizer, images, labels, NUM_CLASSES),
    );
    images.dispose();
    labels.dispose();
    run.pending.push({ ...step, size: examples.size });
    points.batchesDone++;

    const lastOfEpoch = batch === batchesPerEpoch - 1;
    const windowBatches = run.awaitingFirstPoint ? 1 : LOSS_WINDOW_BATCHES;
    if (run.pending.length < windowBatches && !lastOfEpoch) continue;
    const window = run.pending.splice(0);
    const summary = summarizeLossWindow(
      await readSteps(window),
      window.map((step) => step.size),
    );
    if (summary.diverged) {
      // 1-based batch number within the epoch.
      const badBatch = batch - window.length + summary.badIndex + 2;
      // Keep the sound batches of this window as a last point.
      if (summary.size > 0) {
        points.add(epoch + (badBatch - 1) / batchesPerEpoch, summary.lossSum / summary.size);
      }
      points.flush();
      return {
        status: 'diverged',
        message: divergedMessage(epoch + 1, badBatch, summary.loss, run.learningRate),
      };
    }
    lossSum += summary.lossSum;
    correctSum += summary.correctSum;
    seen += summary.size;
    points.add(epoch + (batch + 1) / batchesPerEpoch, summary.lossSum / summary.size);
    if (run.awaitingFirstPoint) {
      run.input.onFirstPoint?.();
      if (run.startup !== null) {
        run.startup.mark('firstStep');
        emit({ type: 'startupTimed', runId, timings: run.startup.timings() });
      }
    }
    points.post(lastOfEpoch || run.awaitingFirstPoint);
    run.awaitingFirstPoint = false;
  }
  return { lossSum, correctSum, seen, trainMs: performance.now() - epochStartedAt - epochPausedMs };
}

/** What epochReport needs besides the model: the run's settings, data and validation subset. */
export interface EpochReportInput {
  runId: number;
  settings: Settings;
  test: Split;
  /** The validation subset (stratifiedSubset of the test split). */
  testIndices: Uint32Array;
  /** The sample images shown with their predictions. */
  samples: PixelBatch;
  control: RunControl;
  blocking: BlockingWork;
}

/**
 * The report after epoch `epoch` (0-based): validation loss, accuracy and confusion matrix,
 * the sample images' predictions and conv1's filters, with the epoch's training sums. Null when
 * the run was stopped or failed meanwhile (a GPU error makes results garbage: never reported).
 * The message's typed arrays are listed in `transfer`.
 */
export async function epochReport(
  model: tf.LayersModel,
  input: EpochReportInput,
  epoch: number,
  training: EpochTraining,
  elapsedMs: () => number,
): Promise<{
  message: Extract<FromWorker, { type: 'epochMetrics' }>;
  transfer: Transferable[];
} | null> {
  const { runId, settings, test, samples, control, blocking } = input;
  const validation = await evaluate(model, test, input.testIndices, settings, control, blocking);
  if (validation === null) return null;
  const sampleImages = prepareImages(
    samples.pixels,
    samples.size,
    test.imageSize,
    settings.imageSize,
  );
  const sampleResult = blocking.forward(samples.size, () =>
    predictWithConfidence(model, sampleImages),
  );
  sampleImages.dispose();
  let predicted: Uint8Array;
  let confidence: Float32Array;
  try {
    predicted = Uint8Array.from(await sampleResult.predicted.data());
    confidence = Float32Array.from(await sampleResult.confidence.data());
  } finally {
    sampleResult.predicted.dispose();
    sampleResult.confidence.dispose();
  }
  // conv1's kernel [k, k, inputChannels, filters]: what the first layer has learned.
  const firstKernel = model.getLayer('conv1').getWeights()[0]; // the variable: not disposed
  const [kernelSize, , inputChannels, filterCount] = firstKernel.shape;
  const filterWeights = Float32Array.from(await firstKernel.data());
  if (control.failure !== null) return null;
  const { confusion } = validation;
  return {
    message: {
      type: 'epochMetrics',
      runId,
      confusion,
      predictions: { predicted, confidence },
      firstLayerFilters: { kernelSize, inputChannels, filterCount, weights: filterWeights },
      metrics: {
        epoch: epoch + 1,
        trainLoss: training.lossSum / training.seen,
        trainAccuracy: training.correctSum / training.seen,
        valLoss: validation.loss,
        valAccuracy: validation.accuracy,
        imagesPerSecond: training.seen / (training.trainMs / 1000),
        elapsedMs: elapsedMs(),
      },
    },
    transfer: [confusion.buffer, predicted.buffer, confidence.buffer, filterWeights.buffer],
  };
}

/** Keeps the weights after `epochsDone` epochs; a failure is reported and training goes on. */
async function saveEpochCheckpoint(run: TrainingRun, epochsDone: number): Promise<void> {
  const { runId, emit, saveCheckpoint } = run.input;
  if (saveCheckpoint === undefined) return;
  // The data order of every epoch follows from the seed, so weights and rate suffice.
  try {
    await saveCheckpoint({
      epochsDone,
      elapsedMs: run.clock.elapsedMs(),
      learningRate: run.learningRate,
      weights: await readWeights(run.model),
    });
    emit({ type: 'checkpointSaved', runId, epoch: epochsDone });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    emit({ type: 'checkpointFailed', runId, epoch: epochsDone, message });
  }
}

/**
 * A whole run: start, then for each epoch its training batches (trainEpochBatches), its report
 * (epochReport) and a checkpoint, until done, stopped, diverged or failed.
 */
export async function runTraining(input: RunInput): Promise<RunOutcome> {
  const started = await startRun(input);
  if (!('model' in started)) return started;
  const run = started;
  const { settings, control, emit } = input;
  // Whether the model went to keepModel (the caller disposes it then).
  let kept = false;
  try {
    for (let epoch = input.resume?.epochsDone ?? 0; epoch < settings.epochs; epoch++) {
      const training = await trainEpochBatches(run, epoch);
      if ('status' in training) return training;
      const report = await epochReport(
        run.model,
        { ...input, testIndices: run.testIndices, samples: run.samples, blocking: run.blocking },
        epoch,
        training,
        () => run.clock.elapsedMs(),
      );
      if (report === null) {
        if (control.failure !== null) return { status: 'failed', message: control.failure };
        return { status: 'stopped', message: `Stopped during validation of epoch ${epoch + 1}.` };
      }
      emit(report.message, report.transfer);
      if (epoch + 1 < settings.epochs) await saveEpochCheckpoint(run, epoch + 1);
    }
    if (input.keepModel !== undefined) {
      input.keepModel(run.model, {
        epochsDone: settings.epochs,
        elapsedMs: run.clock.elapsedMs(),
        learningRate: run.learningRate,
      });
      kept = true;
    }
    return { status: 'done', message: null };
  } finally {
    for (const step of run.pending) {
      step.loss.dispose();
      step.correct.dispose();
    }
    run.optimizer.dispose();
    if (!kept) run.model.dispose();
  }
}
