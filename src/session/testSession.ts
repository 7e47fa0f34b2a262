import { DEFAULT_SETTINGS } from '../config/settings.ts';
import type { EpochMetrics, FromWorker, ToWorker } from '../worker/protocol.ts';
import { SessionStore } from './store.ts';

/**
 * A session store on a fake worker and a fake clock, for the session's unit tests (Node, no
 * React, no browser): `receive` delivers a worker message, `sent` lists what the store sent.
 */

export const TEST_SETTINGS = { ...DEFAULT_SETTINGS, epochs: 2 };

export function metricsOf(epoch: number): EpochMetrics {
  return {
    epoch,
    trainLoss: 1 / epoch,
    trainAccuracy: 0.5,
    valLoss: 1.1 / epoch,
    valAccuracy: 0.45,
    imagesPerSecond: 100,
    elapsedMs: epoch * 1000,
  };
}

export function testSession() {
  const clock = { nowMs: 1_000_000 };
  const workers: { sent: ToWorker[]; terminated: boolean; deliver: (m: FromWorker) => void }[] = [];
  const timers: { callback: () => void; ms: number; cleared: boolean }[] = [];
  const files: string[] = [];
  let nextId = 1;
  const session = new SessionStore({
    createWorker: (onMessage) => {
      const worker = { sent: [] as ToWorker[], terminated: false, deliver: onMessage };
      workers.push(worker);
      return {
        send: (message) => worker.sent.push(message),
        terminate: () => {
          worker.terminated = true;
        },
      };
    },
    saveFile: (fileName) => files.push(fileName),
    now: () => clock.nowMs,
    newRecordId: () => `record-${nextId++}`,
    setTimer: (callback, ms) => {
      const timer = { callback, ms, cleared: false };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      (timer as { cleared: boolean }).cleared = true;
    },
  });
  session.setBackend('webgpu');
  const worker = () => workers[workers.length - 1];
  return {
    session,
    clock,
    workers,
    timers,
    files,
    worker,
    /** Delivers `message` from the current worker. */
    receive: (message: FromWorker) => worker().deliver(message),
    /** The trainer run id of the last train message sent. */
    lastRunId: () => {
      const trains = worker().sent.filter((message) => message.type === 'train');
      const last = trains.at(-1);
      if (last === undefined) throw new Error('no run was started');
      return last.runId;
    },
    /** The worker reports run `runId` started, with 10 batches per epoch. */
    runStarted: (runId: number) =>
      worker().deliver({
        type: 'runStarted',
        runId,
        epochs: 2,
        batchesPerEpoch: 10,
        trainExamples: 1280,
        testExamples: 100,
        kernels: 'optimized',
        resumedFromEpoch: 0,
        samples: { imageSize: 2, pixels: new Uint8Array(8), labels: Uint8Array.of(3, 5) },
      }),
    batch: (runId: number, points: number[], batchesDone: number) =>
      worker().deliver({
        type: 'batchMetrics',
        runId,
        points: Float64Array.from(points),
        batchesDone,
        elapsedMs: batchesDone * 100,
        tensorCount: 40,
        tensorBytes: 1e6,
      }),
    epoch: (runId: number, epoch: number) =>
      worker().deliver({
        type: 'epochMetrics',
        runId,
        metrics: metricsOf(epoch),
        confusion: new Int32Array(100),
        predictions: { predicted: Uint8Array.of(3, 1), confidence: Float32Array.of(0.9, 0.4) },
        firstLayerFilters: {
          kernelSize: 1,
          inputChannels: 1,
          filterCount: 2,
          weights: Float32Array.of(1, 2),
        },
      }),
    ended: (runId: number, status: 'done' | 'stopped' = 'done') =>
      worker().deliver({ type: 'runEnded', runId, status, message: null }),
  };
}
