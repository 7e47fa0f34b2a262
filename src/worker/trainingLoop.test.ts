import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../config/settings.ts';
import { architectureOf } from '../model/settingsCheck.ts';
import { FASHION_MNIST_FILES, parseFashionMnist } from '../data/fashionMnist.ts';
import type { Split } from '../common/types.ts';
import type { FromWorker } from './protocol.ts';
import { alexNetLayers } from '../model/architecture.ts';
import { computeLayerTable } from '../model/layerTable.ts';
import { expectedBlockingMs, trainingFlops } from './blockingWork.ts';
import { RunControl } from './runControl.ts';
import {
  EXPLODED_LOSS,
  epochReport,
  exportModel,
  readWeights,
  restoredModel,
  runTraining,
  summarizeLossWindow,
  validateModel,
  type EpochState,
} from './trainingLoop.ts';
import { BlockingWork } from './blockingWork.ts';
import { gatherBatch, stratifiedSubset } from '../data/sampling.ts';
import { buildAlexNet } from '../model/alexnet.ts';
import { evaluateBatch, prepareImages } from '../model/training.ts';
import { modelFiles } from '../history/modelExport.ts';
import { makeRecord } from '../../test/fixtures/runRecords.ts';
import { TINY as TINY_SESSION } from '../../test/fixtures/workerSession.ts';

const DATA_DIR = '/usr/share/datasets/fashion-mnist/';
let train: Split;
let test: Split;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const read = (name: string) => new Uint8Array(readFileSync(DATA_DIR + name));
  ({ train, test } = await parseFashionMnist({
    trainImages: read(FASHION_MNIST_FILES.trainImages),
    trainLabels: read(FASHION_MNIST_FILES.trainLabels),
    testImages: read(FASHION_MNIST_FILES.testImages),
    testLabels: read(FASHION_MNIST_FILES.testLabels),
  }));
});

/** The fixture's tiny network (CPU backend) on more images; real Fashion-MNIST. */
const TINY: Settings = { ...TINY_SESSION, trainExamples: 48, testExamples: 20 };

function collect() {
  const messages: FromWorker[] = [];
  return { messages, emit: (message: FromWorker) => messages.push(message) };
}

describe('training loop', () => {
  it('trains epoch by epoch, reports batch windows and epoch metrics, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const { messages, emit } = collect();
    const outcome = await runTraining({
      runId: 7,
      kernels: null,
      settings: TINY,
      train,
      test,
      control: new RunControl(),
      emit,
    });
    expect(outcome).toEqual({ status: 'done', message: null });
    expect(tf.memory().numTensors).toBe(before);

    expect(messages[0]).toMatchObject({
      type: 'runStarted',
      runId: 7,
      batchesPerEpoch: 6,
      trainExamples: 48,
      testExamples: 20,
    });
    const epochs = messages.flatMap((m) => (m.type === 'epochMetrics' ? [m.metrics] : []));
    expect(epochs.map((m) => m.epoch)).toEqual([1, 2]);
    for (const m of epochs) {
      expect(m.trainLoss).toBeGreaterThan(0);
      expect(m.valAccuracy).toBeGreaterThanOrEqual(0);
      expect(m.valAccuracy).toBeLessThanOrEqual(1);
      expect(m.imagesPerSecond).toBeGreaterThan(0);
      // Accuracy is a count of whole images out of the subset.
      expect(Math.abs(m.valAccuracy * 20 - Math.round(m.valAccuracy * 20))).toBeLessThan(1e-6);
    }
    // Sample images for the predictions grid: all 20 validation images here, with predictions.
    const started = messages[0];
    if (started.type !== 'runStarted') throw new Error('runStarted first');
    expect(started.samples.labels).toHaveLength(20);
    expect(started.samples.pixels).toHaveLength(20 * 28 * 28);
    for (const m of messages) {
      if (m.type !== 'epochMetrics') continue;
      expect(m.predictions.predicted).toHaveLength(20);
      // conv1 at width 0.05: 5 filters of 11×11×1.
      expect(m.firstLayerFilters).toMatchObject({
        kernelSize: 11,
        inputChannels: 1,
        filterCount: 5,
      });
      expect(m.firstLayerFilters.weights).toHaveLength(11 * 11 * 5);
      expect(Math.max(...m.predictions.confidence)).toBeLessThanOrEqual(1);
      expect(Math.min(...m.predictions.confidence)).toBeGreaterThanOrEqual(0.1 - 1e-6);
    }
    // The confusion matrix counts every validation image once.
    const confusions = messages.flatMap((m) => (m.type === 'epochMetrics' ? [m.confusion] : []));
    expect(confusions).toHaveLength(2);
    for (const [i, confusion] of confusions.entries()) {
      expect(confusion.reduce((a, b) => a + b, 0)).toBe(20);
      let diagonal = 0;
      for (let c = 0; c < 10; c++) diagonal += confusion[c * 11];
      expect(diagonal / 20).toBeCloseTo(epochs[i].valAccuracy, 6);
    }
    const points = messages.flatMap((m) => (m.type === 'batchMetrics' ? Array.from(m.points) : []));
    const xs = points.filter((_, i) => i % 2 === 0);
    expect(xs.at(-1)).toBe(2);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(messages.filter((m) => m.type === 'batchMetrics').at(-1)).toMatchObject({
      batchesDone: 12,
    });
  });

  it('gives the same metrics for the same seed', async () => {
    const settings = { ...TINY, epochs: 1, trainExamples: 16 };
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const { messages, emit } = collect();
      await runTraining({
        runId: i,
        kernels: null,
        settings,
        train,
        test,
        control: new RunControl(),
        emit,
      });
      runs.push(
        messages.flatMap((m) =>
          m.type === 'epochMetrics' ? [m.metrics.valLoss, m.metrics.trainLoss] : [],
        ),
      );
    }
    expect(runs[0]).toEqual(runs[1]);
  });

  it('stops within one batch and pauses until resumed', async () => {
    const control = new RunControl();
    const { messages, emit } = collect();
    const settings = { ...TINY, epochs: 3 };
    const done = runTraining({
      runId: 1,
      kernels: null,
      settings,
      train,
      test,
      control,
      emit: (message) => {
        emit(message);
        // Pause after the first reported window; stop as soon as the pause is confirmed.
        if (
          message.type === 'batchMetrics' &&
          messages.filter((m) => m.type === 'batchMetrics').length === 1
        )
          control.pause();
        if (message.type === 'paused') control.stop();
      },
    });
    const outcome = await done;
    expect(outcome.status).toBe('stopped');
    expect(messages.some((m) => m.type === 'paused')).toBe(true);
    expect(messages.some((m) => m.type === 'epochMetrics')).toBe(false);
    // The first window is one batch: paused right after it, the run trained no other.
    const lastBatch = messages.filter((m) => m.type === 'batchMetrics').at(-1);
    expect(lastBatch).toMatchObject({ batchesDone: 1 });
  });

  it('on a synchronous backend, announces every stretch of work before it blocks', async () => {
    const { messages, emit } = collect();
    // Announcements and messages in the order they happen.
    const events: string[] = [];
    const announced: number[] = [];
    const outcome = await runTraining({
      runId: 1,
      kernels: null,
      settings: { ...TINY, epochs: 1 },
      train,
      test,
      control: new RunControl(),
      emit: (message) => {
        events.push(message.type);
        emit(message);
      },
      announceBlocking: (expectedMs) => {
        events.push('blocking');
        announced.push(expectedMs);
      },
    });
    expect(outcome.status).toBe('done');
    // The variant's trial step (a batch of 8), then 6 training steps (48 images in batches of
    // 8), 3 validation batches (20 images) and the sample predictions: 11 stretches.
    expect(announced).toHaveLength(11);
    expect(events[0]).toBe('blocking');
    expect(events.indexOf('runStarted')).toBeGreaterThan(0);
    // Each training step is announced before its window's loss is reported; the first window
    // is one batch, so that the chart starts after the first step.
    const beforeFirstReport = events.slice(0, events.indexOf('batchMetrics'));
    expect(beforeFirstReport.filter((event) => event === 'blocking')).toHaveLength(1 + 1);
    // The first is estimated from the FLOPs at the conservative rate; the next, the same
    // size, from the rate the run measured since.
    const table = computeLayerTable(alexNetLayers(architectureOf(TINY)), TINY.imageSize);
    if (!table.ok) throw new Error('TINY has a layer table');
    const multiplyAdds = table.table.totalMultiplyAddsPerImage;
    expect(announced[0]).toBe(expectedBlockingMs(trainingFlops(multiplyAdds, 8), null));
    expect(announced[1]).not.toBe(expectedBlockingMs(trainingFlops(multiplyAdds, 8), null));
    for (const ms of announced) expect(ms).toBeGreaterThan(0);
    expect(messages.at(-1)?.type).toBe('epochMetrics');
  });

  it('ends as failed, with the reason, when the GPU reports an error mid-run', async () => {
    const control = new RunControl();
    const { messages, emit } = collect();
    const outcome = await runTraining({
      runId: 1,
      kernels: null,
      settings: TINY,
      train,
      test,
      control,
      emit: (message) => {
        emit(message);
        if (message.type === 'batchMetrics') control.fail('The GPU device was lost: test');
      },
    });
    expect(outcome).toEqual({ status: 'failed', message: 'The GPU device was lost: test' });
    expect(messages.some((m) => m.type === 'epochMetrics')).toBe(false);
  });

  it('marks a diverging run diverged with the epoch and batch', async () => {
    const { emit } = collect();
    const outcome = await runTraining({
      runId: 1,
      kernels: null,
      settings: { ...TINY, learningRate: 1e6, epochs: 1 },
      train,
      test,
      control: new RunControl(),
      emit,
    });
    expect(outcome.status).toBe('diverged');
    expect(outcome.message).toMatch(
      /diverged at epoch 1, batch \d+: the loss .*smaller learning rate/,
    );
  });

  it('applies a learning-rate change from the next batch and reports where it took effect', async () => {
    const settings = { ...TINY, epochs: 1, trainExamples: 16 };
    const epochLosses = async (change: number | null) => {
      const control = new RunControl();
      const { messages, emit } = collect();
      await runTraining({
        runId: 3,
        kernels: null,
        settings,
        train,
        test,
        control,
        emit: (message) => {
          emit(message);
          // Asked for before the first batch: it applies from x = 0, the start of epoch 1.
          if (message.type === 'runStarted' && change !== null) control.setLearningRate(change);
        },
      });
      return messages;
    };
    const unchanged = await epochLosses(null);
    const changed = await epochLosses(0.5);
    const change = changed.find((m) => m.type === 'learningRateChanged');
    expect(change).toEqual({ type: 'learningRateChanged', runId: 3, x: 0, learningRate: 0.5 });
    expect(unchanged.some((m) => m.type === 'learningRateChanged')).toBe(false);
    // Same seed and data: only the learning rate differs, so the results must differ.
    const valLoss = (messages: FromWorker[]) =>
      messages.flatMap((m) => (m.type === 'epochMetrics' ? [m.metrics.valLoss] : []));
    expect(valLoss(changed)).not.toEqual(valLoss(unchanged));
  });

  it('checkpoints after each epoch and, resumed from one, gives the same results as an uninterrupted run', async () => {
    const settings = { ...TINY, epochs: 3, trainExamples: 24 };
    const checkpoints: EpochState[] = [];
    const uninterrupted = collect();
    const before = tf.memory().numTensors;
    await runTraining({
      runId: 1,
      kernels: null,
      settings,
      train,
      test,
      control: new RunControl(),
      emit: uninterrupted.emit,
      saveCheckpoint: (state) => {
        checkpoints.push(state);
        return Promise.resolve();
      },
    });
    // None after the last epoch: a finished run is not resumed.
    expect(checkpoints.map((checkpoint) => checkpoint.epochsDone)).toEqual([1, 2]);
    expect(
      uninterrupted.messages.filter((m) => m.type === 'checkpointSaved').map((m) => m.epoch),
    ).toEqual([1, 2]);

    const resumed = collect();
    await runTraining({
      runId: 2,
      kernels: null,
      settings,
      train,
      test,
      control: new RunControl(),
      emit: resumed.emit,
      resume: checkpoints[0],
    });
    expect(tf.memory().numTensors).toBe(before);
    const started = resumed.messages.find((m) => m.type === 'runStarted');
    expect(started).toMatchObject({ resumedFromEpoch: 1 });
    const epochs = (messages: FromWorker[]) =>
      messages.flatMap((m) =>
        m.type === 'epochMetrics'
          ? [[m.metrics.epoch, m.metrics.trainLoss, m.metrics.valLoss, m.metrics.valAccuracy]]
          : [],
      );
    expect(epochs(resumed.messages)).toEqual(epochs(uninterrupted.messages).slice(1));
  });

  it('refuses a checkpoint that does not fit the network', async () => {
    const checkpoints: EpochState[] = [];
    await runTraining({
      runId: 1,
      kernels: null,
      settings: { ...TINY, trainExamples: 16 },
      train,
      test,
      control: new RunControl(),
      emit: () => undefined,
      saveCheckpoint: (state) => {
        checkpoints.push(state);
        return Promise.resolve();
      },
    });
    const outcome = await runTraining({
      runId: 2,
      kernels: null,
      settings: { ...TINY, trainExamples: 16, width: 0.1 },
      train,
      test,
      control: new RunControl(),
      emit: () => undefined,
      resume: checkpoints[0],
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/checkpoint does not fit/);
  });

  it('keeps training when a checkpoint cannot be saved, and says so', async () => {
    const { messages, emit } = collect();
    const outcome = await runTraining({
      runId: 1,
      kernels: null,
      settings: { ...TINY, trainExamples: 16 },
      train,
      test,
      control: new RunControl(),
      emit,
      saveCheckpoint: () => Promise.reject(new Error('storage is full')),
    });
    expect(outcome.status).toBe('done');
    expect(messages.find((m) => m.type === 'checkpointFailed')).toMatchObject({
      epoch: 1,
      message: 'storage is full',
    });
  });
});

describe('the stages of a run', () => {
  it('sums a loss window weighted by batch size, and finds the first batch that blew up', () => {
    // [meanLoss, correct] per batch; batches of 8, 8 and 4 images.
    expect(summarizeLossWindow([2, 3, 1, 5, 0.5, 4], [8, 8, 4])).toEqual({
      diverged: false,
      lossSum: 2 * 8 + 1 * 8 + 0.5 * 4,
      correctSum: 12,
      size: 20,
    });
    expect(summarizeLossWindow([2, 3, NaN, 0, 1, 4], [8, 8, 8])).toEqual({
      diverged: true,
      badIndex: 1,
      loss: NaN,
      lossSum: 16,
      size: 8,
    });
    expect(summarizeLossWindow([EXPLODED_LOSS + 1, 0], [8])).toMatchObject({
      diverged: true,
      badIndex: 0,
      size: 0,
    });
  });

  it('reports an epoch: validation counts, sample predictions, conv1 filters, training means', async () => {
    const before = tf.memory().numTensors;
    const model = buildAlexNet(alexNetLayers(architectureOf(TINY)), TINY.imageSize, TINY.seed);
    const testIndices = stratifiedSubset(test.labels, TINY.testExamples, TINY.seed);
    const samples = gatherBatch(test, testIndices, 0, 5);
    const report = await epochReport(
      model,
      {
        runId: 4,
        settings: TINY,
        test,
        testIndices,
        samples,
        control: new RunControl(),
        blocking: new BlockingWork(0, null),
      },
      1,
      { lossSum: 48, correctSum: 12, seen: 24, trainMs: 2000 },
      () => 1234,
    );
    // The 20 validation images in one batch: what validation in batches of 8 must add up to,
    // its last batch of 4 filled up to 8 with images already counted.
    const whole = gatherBatch(test, testIndices, 0, testIndices.length);
    const direct = tf.tidy(() => {
      const images = prepareImages(whole.pixels, whole.size, test.imageSize, TINY.imageSize);
      const result = evaluateBatch(model, images, tf.tensor1d(whole.labels, 'int32'), 10);
      return [result.lossSum.dataSync()[0]!, result.correct.dataSync()[0]!];
    });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    if (report === null) throw new Error('an epoch report');
    expect(report.message.metrics.valLoss).toBeCloseTo(direct[0]! / 20, 5);
    expect(report.message.metrics.valAccuracy).toBeCloseTo(direct[1]! / 20, 6);
    const { message, transfer } = report;
    expect(message.metrics).toMatchObject({
      epoch: 2,
      trainLoss: 2,
      trainAccuracy: 0.5,
      imagesPerSecond: 12,
      elapsedMs: 1234,
    });
    expect(message.confusion.reduce((a, b) => a + b, 0)).toBe(20);
    expect(message.predictions.predicted).toHaveLength(5);
    expect(message.firstLayerFilters.weights).toHaveLength(11 * 11 * 5);
    expect(transfer).toHaveLength(4);

    // Stopped before validation: no report.
    const stopped = new RunControl();
    stopped.stop();
    const again = buildAlexNet(alexNetLayers(architectureOf(TINY)), TINY.imageSize, TINY.seed);
    const none = await epochReport(
      again,
      {
        runId: 4,
        settings: TINY,
        test,
        testIndices,
        samples,
        control: stopped,
        blocking: new BlockingWork(0, null),
      },
      0,
      { lossSum: 1, correctSum: 1, seen: 1, trainMs: 1 },
      () => 0,
    );
    again.dispose();
    expect(none).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the model of a finished run', () => {
  /** Trains `settings` to the end and hands over the kept model and the epoch metrics. */
  async function trainAndKeep(settings: Settings, runId = 1) {
    const { messages, emit } = collect();
    let kept = null as { model: tf.LayersModel; state: Omit<EpochState, 'weights'> } | null;
    const outcome = await runTraining({
      runId,
      kernels: null,
      settings,
      train,
      test,
      control: new RunControl(),
      emit,
      keepModel: (model, state) => {
        kept = { model, state };
      },
    });
    const epochs = messages.flatMap((m) => (m.type === 'epochMetrics' ? [m.metrics] : []));
    return { outcome, kept, epochs };
  }

  it('is handed over only when the run ends done, and disposing it frees everything', async () => {
    const before = tf.memory().numTensors;
    const first = await trainAndKeep({ ...TINY, trainExamples: 16 });
    expect(first.outcome.status).toBe('done');
    expect(first.kept?.state).toMatchObject({ epochsDone: 2, learningRate: TINY.learningRate });
    const holding = tf.memory().numTensors;
    expect(holding).toBeGreaterThan(before);
    // The worker frees the kept model when the next run starts: memory is flat across runs.
    first.kept?.model.dispose();
    const second = await trainAndKeep({ ...TINY, trainExamples: 16 });
    expect(tf.memory().numTensors).toBe(holding);
    second.kept?.model.dispose();
    expect(tf.memory().numTensors).toBe(before);

    // A stopped run's model is not handed over (its weights are from the middle of an epoch).
    const control = new RunControl();
    control.stop();
    let handedOver = false;
    const stopped = await runTraining({
      runId: 3,
      kernels: null,
      settings: TINY,
      train,
      test,
      control,
      emit: () => undefined,
      keepModel: () => {
        handedOver = true;
      },
    });
    expect(stopped.status).toBe('stopped');
    expect(handedOver).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saved and restored into a fresh network, validates to the last epoch’s accuracy exactly', async () => {
    // Batch norm: its moving statistics are weights too, and evaluation uses them.
    const settings: Settings = { ...TINY, batchNorm: 'on', dropout: 0.5, trainExamples: 24 };
    const before = tf.memory().numTensors;
    const { kept, epochs } = await trainAndKeep(settings);
    if (kept === null) throw new Error('the model was not kept');
    const weights = await readWeights(kept.model);
    kept.model.dispose();

    const restored = restoredModel(settings, weights);
    if (restored.model === null) throw new Error(restored.problem);
    const result = await validateModel(restored.model, settings, test, new RunControl());
    restored.model.dispose();
    const last = epochs.at(-1);
    expect(result).toEqual({ loss: last?.valLoss, accuracy: last?.valAccuracy });
    expect(tf.memory().numTensors).toBe(before);

    // Weights of another network are refused with a reason.
    const other = restoredModel({ ...settings, width: 0.1 }, weights);
    expect(other.model).toBeNull();
    expect(other.problem).toMatch(/does not fit/);
  });

  it('exports in the Layers format: model.json and weights load with tf.loadLayersModel and give the same logits', async () => {
    // LRN (a custom layer, registered with tf.serialization) and batch norm, the stock layers too.
    const settings: Settings = { ...TINY, lrn: 'on', batchNorm: 'on', trainExamples: 16 };
    const { kept, epochs } = await trainAndKeep(settings);
    if (kept === null) throw new Error('the model was not kept');
    const exported = await exportModel(kept.model);

    const record = { ...makeRecord(), id: 'run-x', settings, epochMetrics: epochs };
    const files = modelFiles(record, exported, 2);
    expect(files.jsonName).toBe('alexnet-run-x.json');
    expect(files.weightsName).toBe('alexnet-run-x.weights.bin');
    const json = JSON.parse(files.json) as {
      format: string;
      modelTopology: object;
      weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
      userDefinedMetadata: Record<string, { settings: Settings; epochMetrics: unknown[] }>;
    };
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['alexnet-run-x.weights.bin']);
    const metadata = json.userDefinedMetadata['alexnet-playground-model'];
    expect(metadata.settings).toEqual(settings);
    expect(metadata.epochMetrics).toHaveLength(2);

    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: files.weights.slice(0),
      }),
    );
    const images = tf.randomUniform(
      [3, settings.imageSize, settings.imageSize, 1],
      0,
      1,
      'float32',
      5,
    );
    const expected = kept.model.predict(images) as tf.Tensor;
    const actual = loaded.predict(images) as tf.Tensor;
    expect(actual.shape).toEqual([3, 10]);
    expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
    for (const tensor of [images, expected, actual]) tensor.dispose();
    loaded.dispose();
    kept.model.dispose();
  });
});
