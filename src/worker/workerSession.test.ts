import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../config/settings.ts';
import { FASHION_MNIST_DATA_ID } from '../data/uploadedData.ts';
import { encodeIdxImages, encodeIdxLabels } from '../data/idxWriter.ts';
import { savedModelKey } from '../storage/checkpointStore.ts';
import { setConvKernels } from '../kernels/register.ts';
import {
  epochsOf,
  lavapipe,
  loadFashionMnistBeforeAll,
  runEnded,
  sequence,
  sessionWithFakes,
  TINY,
  trainRequest,
} from '../../test/fixtures/workerSession.ts';

/** WorkerSession in Node on TF.js's CPU backend, with fake collaborators (the fixture). */

loadFashionMnistBeforeAll();

describe('worker session', () => {
  it('runs from prepare to done with the expected messages, then saves, evaluates and exports its model', async () => {
    const { session, messages, checkpoints } = sessionWithFakes();
    await session.train(trainRequest(1));
    // The data starts loading as the train message arrives, before the backend is up.
    expect(sequence(messages)).toEqual([
      'dataProgress',
      'backend',
      'dataReady',
      'runStarted',
      'startupTimed',
      'batchMetrics',
      'epochMetrics',
      'checkpointSaved',
      'batchMetrics',
      'epochMetrics',
      'modelKept',
      'runEnded',
    ]);
    expect(messages.find((m) => m.type === 'dataProgress')).toMatchObject({ runId: 1 });
    // Where the time to the first loss point went, phase by phase, adding up to the total.
    const startup = messages.find((m) => m.type === 'startupTimed');
    if (startup?.type !== 'startupTimed') throw new Error('no startupTimed');
    const { phasesMs, totalMs } = startup.timings;
    expect(Object.keys(phasesMs)).toEqual([
      'probeWait',
      'backend',
      'data',
      'modelBuild',
      'compile',
      'preflight',
      'firstStep',
    ]);
    const sum = Object.values(phasesMs).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(totalMs, 6);
    expect(phasesMs.firstStep).toBeGreaterThan(0);
    expect(messages.find((m) => m.type === 'dataReady')).toMatchObject({
      trainExamples: 60_000,
      testExamples: 10_000,
    });
    // The CPU backend computes synchronously: its work is announced to the heartbeat.
    expect(messages.some((m) => m.type === 'blockingWork')).toBe(true);
    expect(runEnded(messages)).toEqual({
      type: 'runEnded',
      runId: 1,
      status: 'done',
      message: null,
    });
    expect(session.running).toBe(false);
    // A finished run's checkpoint is deleted: there is nothing to resume.
    expect(checkpoints.entries.size).toBe(0);

    const lastEpoch = messages
      .flatMap((m) => (m.type === 'epochMetrics' ? [m.metrics] : []))
      .at(-1);
    messages.length = 0;
    await session.queueModelTask({ type: 'saveModel', key: 'run-1' });
    expect(messages).toEqual([{ type: 'modelSaved', key: 'run-1', epochs: 2 }]);
    expect(checkpoints.entries.get(savedModelKey('run-1'))?.meta).toMatchObject({
      modelOf: 'run-1',
      epochsDone: 2,
    });
    await session.queueModelTask({
      type: 'evaluateSavedModel',
      key: 'run-1',
      settings: TINY,
      dataId: FASHION_MNIST_DATA_ID,
    });
    expect(messages.find((m) => m.type === 'savedModelEvaluated')).toEqual({
      type: 'savedModelEvaluated',
      key: 'run-1',
      epochs: 2,
      valLoss: lastEpoch?.valLoss,
      valAccuracy: lastEpoch?.valAccuracy,
    });
    await session.queueModelTask({ type: 'exportModel', key: 'run-1', settings: TINY });
    const exported = messages.find((m) => m.type === 'modelExported');
    if (exported?.type !== 'modelExported') throw new Error('the model was exported');
    expect(exported.epochs).toBe(2);
    expect(exported.model.weightData.byteLength).toBeGreaterThan(0);
    // A model the worker no longer holds nor saved cannot be saved: said, not thrown.
    await session.queueModelTask({ type: 'saveModel', key: 'run-9' });
    expect(messages.at(-1)).toMatchObject({
      type: 'modelTaskFailed',
      key: 'run-9',
      task: 'save',
      message: expect.stringMatching(/no longer in memory/),
    });
  });

  it('starts the speed probe once the backend is up; a run or model task stops it first, and it starts again after a run', async () => {
    const { session, speedProbe } = sessionWithFakes();
    await session.initBackend('cpu');
    expect(speedProbe.calls).toEqual(['start cpu']);
    speedProbe.calls.length = 0;
    await session.train(trainRequest(31, { settings: { ...TINY, epochs: 1 } }));
    expect(speedProbe.calls).toEqual(['stop', 'start cpu']);
    speedProbe.calls.length = 0;
    await session.queueModelTask({ type: 'saveModel', key: 'run-31' });
    expect(speedProbe.calls).toEqual(['stop']);
  });

  it('stopped mid-run, ends stopped without a kept model', async () => {
    const { session, messages } = sessionWithFakes((message, self) => {
      if (message.type === 'batchMetrics') self.stop();
    });
    await session.train(trainRequest(2, { settings: { ...TINY, trainExamples: 48 } }));
    expect(runEnded(messages)).toMatchObject({
      status: 'stopped',
      message: expect.stringMatching(/^Stopped in epoch 1, batch \d+\.$/),
    });
    expect(messages.some((m) => m.type === 'epochMetrics')).toBe(false);
    expect(messages.some((m) => m.type === 'modelKept')).toBe(false);
    expect(session.running).toBe(false);
  });

  it('pauses and resumes a run, and refuses a second run meanwhile', async () => {
    let second: Promise<void> | null = null;
    const { session, messages } = sessionWithFakes((message, self) => {
      if (message.type === 'batchMetrics' && second === null) {
        self.pause();
        second = self.train(trainRequest(4));
      }
      if (message.type === 'paused') self.resume();
    });
    // 6 batches: the first loss window (4 batches) is posted mid-epoch.
    await session.train(trainRequest(3, { settings: { ...TINY, epochs: 1, trainExamples: 48 } }));
    await second;
    const types = messages.map((m) => m.type);
    expect(types.indexOf('paused')).toBeGreaterThan(-1);
    expect(types.indexOf('resumed')).toBeGreaterThan(types.indexOf('paused'));
    const ends = messages.filter((m) => m.type === 'runEnded');
    expect(ends).toEqual([
      { type: 'runEnded', runId: 4, status: 'failed', message: 'A run is already in progress.' },
      { type: 'runEnded', runId: 3, status: 'done', message: null },
    ]);
  });

  it('resumed from a checkpoint, continues from its epoch', async () => {
    const settings = { ...TINY, epochs: 3 };
    const { session, messages, checkpoints } = sessionWithFakes((message, self) => {
      // Stop once epoch 1 is checkpointed.
      if (message.type === 'checkpointSaved') self.stop();
    });
    await session.train(trainRequest(5, { settings }));
    expect(runEnded(messages)).toMatchObject({ status: 'stopped' });
    expect(epochsOf(messages)).toEqual([1]);
    expect(checkpoints.entries.get('run-5')?.meta).toMatchObject({ epochsDone: 1 });

    const resumed = sessionWithFakes();
    for (const [key, checkpoint] of checkpoints.entries)
      resumed.checkpoints.entries.set(key, checkpoint);
    await resumed.session.train(
      trainRequest(6, { settings, checkpointKey: 'run-5', resumeFrom: 'checkpoint' }),
    );
    expect(resumed.messages.find((m) => m.type === 'runStarted')).toMatchObject({
      resumedFromEpoch: 1,
    });
    expect(epochsOf(resumed.messages)).toEqual([2, 3]);
    expect(runEnded(resumed.messages)).toMatchObject({ status: 'done' });
    // The first batch point continues after epoch 1.
    const firstPoints = resumed.messages.find((m) => m.type === 'batchMetrics');
    if (firstPoints?.type !== 'batchMetrics') throw new Error('batch points');
    expect(firstPoints.points[0]).toBeGreaterThan(1);
    expect(resumed.checkpoints.entries.has('run-5')).toBe(false);
  });

  it('posts what stops a run before its first batch as a clear failure, and never throws', async () => {
    const { session, messages } = sessionWithFakes();
    await session.train(trainRequest(7, { settings: { ...TINY, batchSize: 0 } }));
    expect(runEnded(messages)).toMatchObject({
      runId: 7,
      status: 'failed',
      message: expect.stringMatching(/batch size/i),
    });
    expect(messages.some((m) => m.type === 'runStarted' || m.type === 'backend')).toBe(false);

    messages.length = 0;
    await session.train(trainRequest(8, { resumeFrom: 'checkpoint' }));
    expect(runEnded(messages)).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/^No checkpoint of this run was found/),
    });

    messages.length = 0;
    await session.train(trainRequest(9, { dataId: 'upload-abc' }));
    expect(runEnded(messages)).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/files of your own that are not loaded now/),
    });
    expect(messages.some((m) => m.type === 'runStarted')).toBe(false);
    expect(session.running).toBe(false);
  });

  it('reads the File objects the page posts, and answers dataChosen', async () => {
    const { session, messages } = sessionWithFakes();
    const labels = encodeIdxLabels(Array.from({ length: 20 }, (_, i) => i % 10));
    await session.chooseData({
      kind: 'uploaded',
      files: [
        new File([new Uint8Array(encodeIdxImages(20, 8))], 'train-images'),
        new File([new Uint8Array(labels)], 'train-labels'),
        new File([new Uint8Array(encodeIdxImages(20, 8))], 'test-images'),
        new File([new Uint8Array(labels)], 'test-labels'),
      ],
    });
    expect(messages.at(-1)).toMatchObject({
      type: 'dataChosen',
      summary: { trainCount: 20, testCount: 20, imageSize: 8 },
    });
  });

  it('a bad learning rate or unusable files are refused with a message', async () => {
    const { session, messages } = sessionWithFakes();
    session.setLearningRate(1, -1);
    expect(messages.at(-1)).toMatchObject({ type: 'workerError' });
    await session.chooseData({
      kind: 'uploaded',
      files: [new File(['hello!'], 'notes.txt')],
    });
    expect(messages.at(-1)).toMatchObject({ type: 'dataRejected' });
  });

  it('ends a run failed when the GPU device is lost, and says the device is lost', async () => {
    let lost = false;
    const fakes = sessionWithFakes((message) => {
      if (message.type === 'batchMetrics' && !lost) {
        lost = true;
        fakes.deviceError('The GPU device was lost (destroyed): test', true);
      }
    });
    await fakes.session.train(trainRequest(10, { settings: { ...TINY, trainExamples: 48 } }));
    expect(fakes.messages.find((m) => m.type === 'deviceLost')).toEqual({
      type: 'deviceLost',
      message: 'The GPU device was lost (destroyed): test',
    });
    expect(runEnded(fakes.messages)).toMatchObject({
      status: 'failed',
      message: 'The GPU device was lost (destroyed): test',
    });
  });

  it('checks our kernels before a run with kernels optimized on an adapter that is not SwiftShader', async () => {
    // Issue 14 item 2. Both kernel "sets" are the CPU backend's here, so they agree.
    const { session, messages } = sessionWithFakes(undefined, lavapipe);
    const settings: Settings = { ...TINY, kernels: 'optimized', epochs: 1 };
    try {
      await session.train(trainRequest(11, { settings }));
      await session.train(trainRequest(12, { settings }));
    } finally {
      setConvKernels('stock');
    }
    const trialMessages = messages.filter((m) => m.type.startsWith('kernelTrial'));
    expect(trialMessages).toEqual([
      { type: 'kernelTrialStarted', runId: 11, mode: 'check', stepsPerKernel: 1 },
      {
        type: 'kernelTrialDone',
        runId: 11,
        fromEarlierRun: false,
        trial: expect.objectContaining({ reason: 'agree', choice: 'optimized' }),
      },
      // The second run of the same shape reuses the check.
      {
        type: 'kernelTrialDone',
        runId: 12,
        fromEarlierRun: true,
        trial: expect.objectContaining({ reason: 'agree', choice: 'optimized' }),
      },
    ]);
    const started = messages.filter((m) => m.type === 'runStarted');
    expect(started.map((m) => m.kernels)).toEqual(['optimized', 'optimized']);
    expect(messages.filter((m) => m.type === 'runEnded').map((m) => m.status)).toEqual([
      'done',
      'done',
    ]);
  });

  it('leaks no tensors: memory is flat across two runs, the data loads once, the second skips the trial step', async () => {
    const { session, messages, fashionMnistLoads } = sessionWithFakes();
    const settings = { ...TINY, epochs: 1 };
    await session.train(trainRequest(11, { settings }));
    // The finished run's model is held (to save or export) until the next run starts.
    const afterFirst = tf.memory().numTensors;
    await session.train(trainRequest(12, { settings }));
    expect(tf.memory().numTensors).toBe(afterFirst);
    expect(
      messages.filter((m) => m.type === 'runEnded').map((m) => m.type === 'runEnded' && m.status),
    ).toEqual(['done', 'done']);
    expect(fashionMnistLoads()).toBe(1);
    // The second run of the shape skips the trial step: on the CPU backend each stretch of work
    // is announced, so before its first point it announced only the first batch.
    const announcedBeforeFirstPoint = (runId: number) => {
      const own = messages.slice(messages.findIndex((m) => 'runId' in m && m.runId === runId));
      return own
        .slice(
          0,
          own.findIndex((m) => m.type === 'batchMetrics'),
        )
        .filter((m) => m.type === 'blockingWork').length;
    };
    expect(announcedBeforeFirstPoint(11)).toBe(2);
    expect(announcedBeforeFirstPoint(12)).toBe(1);
    const startups = messages.flatMap((m) => (m.type === 'startupTimed' ? [m.runId] : []));
    expect(startups).toEqual([11, 12]);
  });
});
