import { FASHION_MNIST_INFO } from '../data/uploadedData.ts';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../config/settings.ts';
import { makeEpochMetrics, makeRecord } from '../../test/fixtures/runRecords.ts';
import type { BackendReport } from '../worker/protocol.ts';
import {
  canResume,
  historyReducer,
  historyUpTo,
  INITIAL_HISTORY_STATE,
  markInterrupted,
  recordFromRun,
  resumePoint,
  type HistoryAction,
  type HistoryState,
} from './historyState.ts';
import { INITIAL_TRAINER_STATE, trainerReducer, type RunView } from './trainerState.ts';

const reduce = (actions: HistoryAction[], state: HistoryState = INITIAL_HISTORY_STATE) =>
  actions.reduce(historyReducer, state);

const older = makeRecord({ id: 'a', startedAt: 1000 });
const newer = makeRecord({ id: 'b', startedAt: 2000, settings: { learningRate: 0.1 } });

describe('history reducer', () => {
  it('lists stored runs newest first, keeping runs started before the store answered', () => {
    const started = makeRecord({ id: 'c', startedAt: 3000, status: 'running' });
    const state = reduce([
      { type: 'runStarted', record: started },
      { type: 'loaded', records: [older, newer], storageProblem: null },
    ]);
    expect(state.records.map((record) => record.id)).toEqual(['c', 'b', 'a']);
    expect(state.loaded).toBe(true);
    expect(state.liveRecordId).toBe('c');
    expect(state.selectedIds).toEqual(['c']);
  });

  it('keeps a name given while the run trains when the trainer updates the record', () => {
    const started = makeRecord({ id: 'c', status: 'running' });
    const state = reduce([
      { type: 'runStarted', record: started },
      { type: 'renamed', id: 'c', name: 'my run' },
      { type: 'runUpdated', record: { ...started, epochMetrics: makeEpochMetrics(1) } },
    ]);
    expect(state.records[0].name).toBe('my run');
    expect(state.records[0].epochMetrics).toHaveLength(1);
  });

  it('deletes a run and restores it, selection included, with undo', () => {
    const loaded = reduce([
      { type: 'loaded', records: [older, newer], storageProblem: null },
      { type: 'selectionSet', ids: ['a', 'b'] },
    ]);
    const deleted = historyReducer(loaded, { type: 'deleted', id: 'a' });
    expect(deleted.records.map((record) => record.id)).toEqual(['b']);
    expect(deleted.selectedIds).toEqual(['b']);
    expect(deleted.lastDeleted?.record).toBe(older);
    const restored = historyReducer(deleted, { type: 'undoDelete' });
    expect(restored.records.map((record) => record.id)).toEqual(['b', 'a']);
    expect(restored.selectedIds).toEqual(['b', 'a']);
    expect(restored.lastDeleted).toBeNull();
  });

  it('toggles selection and selects imported runs', () => {
    const state = reduce([
      { type: 'loaded', records: [older], storageProblem: null },
      { type: 'selectionToggled', id: 'a' },
      { type: 'selectionToggled', id: 'a' },
      { type: 'imported', records: [newer] },
    ]);
    expect(state.selectedIds).toEqual(['b']);
    expect(state.importMessage).toEqual({ ok: true, text: 'Imported 1 run; they are selected.' });
    const refused = historyReducer(state, { type: 'importRefused', message: 'bad file' });
    expect(refused.records).toEqual(state.records);
    expect(refused.importMessage).toEqual({ ok: false, text: 'bad file' });
  });

  it('queues an exercise, clears the selection for its runs, removes and cancels queued runs', () => {
    const exercise = { id: 'dropout', title: 'Dropout' };
    const runs = [0.3, 0.5, 0.7].map((dropout, index) => ({
      queueId: index + 1,
      settings: { ...DEFAULT_SETTINGS, dropout },
      label: `dropout ${dropout}`,
    }));
    let state = reduce([
      { type: 'loaded', records: [older], storageProblem: null },
      { type: 'selectionSet', ids: ['a'] },
      { type: 'exerciseQueued', exercise, runs },
    ]);
    expect(state.selectedIds).toEqual([]);
    expect(state.queue.map((item) => item.settings.dropout)).toEqual([0.3, 0.5, 0.7]);
    expect(state.queue[0].exercise).toEqual(exercise);
    state = historyReducer(state, { type: 'queueItemRemoved', queueId: 2 });
    expect(state.queue.map((item) => item.queueId)).toEqual([1, 3]);
    state = historyReducer(state, { type: 'queueShifted' });
    expect(state.queue.map((item) => item.queueId)).toEqual([3]);
    state = historyReducer(state, { type: 'queueCancelled' });
    expect(state.queue).toEqual([]);
  });
});

const BACKEND: BackendReport = {
  requested: 'webgpu',
  backend: 'webgpu',
  adapter: {
    vendor: 'google',
    architecture: 'swiftshader',
    device: '',
    description: 'SwiftShader',
    isSoftware: true,
    isSwiftShader: true,
    limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 },
  },
  fallbackReason: null,
};

function trainerRun(): RunView {
  const state = trainerReducer(INITIAL_TRAINER_STATE, {
    type: 'trainRequested',
    runId: 4,
    settings: { ...DEFAULT_SETTINGS, learningRate: 0.1 },
    dataSet: FASHION_MNIST_INFO,
  });
  if (state.run === null) throw new Error('no run');
  return state.run;
}

describe('records from the trainer', () => {
  const meta = { id: 'run-x', startedAt: 5000, exercise: null };

  it('records a running run with its settings, backend and learning-rate changes', () => {
    const run = {
      ...trainerRun(),
      epochMetrics: makeEpochMetrics(2),
      learningRateChanges: [{ x: 1.5, learningRate: 0.05 }],
      elapsedMs: 1234,
    };
    const record = recordFromRun(run, 'training', meta, BACKEND, null, 9000);
    expect(record).toMatchObject({
      id: 'run-x',
      name: '',
      status: 'running',
      endedAt: null,
      backend: 'webgpu',
      adapter: 'SwiftShader',
      elapsedMs: 1234,
      learningRateChanges: [{ x: 1.5, learningRate: 0.05 }],
    });
    expect(record.settings.learningRate).toBe(0.1);
    expect(record.epochMetrics).toHaveLength(2);
  });

  it('stamps the end once and keeps the status and message the run ended with', () => {
    const run = { ...trainerRun(), endStatus: 'diverged' as const, endMessage: 'diverged at…' };
    const first = recordFromRun(run, 'diverged', meta, BACKEND, null, 9000);
    expect(first).toMatchObject({
      status: 'diverged',
      statusMessage: 'diverged at…',
      endedAt: 9000,
    });
    const renamed = { ...first, name: 'kept name' };
    const again = recordFromRun(run, 'diverged', meta, BACKEND, renamed, 12_000);
    expect(again.endedAt).toBe(9000);
    expect(again.name).toBe('kept name');
  });

  it('marks a run left running by a closed page as interrupted, keeping its metrics', () => {
    const running = makeRecord({
      status: 'running',
      endedAt: null,
      epochMetrics: makeEpochMetrics(3),
      settings: { epochs: 10 },
    });
    const interrupted = markInterrupted(running, 7000);
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.endedAt).toBe(7000);
    expect(interrupted.epochMetrics).toEqual(running.epochMetrics);
    expect(interrupted.statusMessage).toMatch(/3 of 10 epochs/);
    const done = makeRecord({ status: 'done' });
    expect(markInterrupted(done, 7000)).toBe(done);
  });
});

describe('resuming from a checkpoint', () => {
  const record = makeRecord({
    id: 'r',
    status: 'interrupted',
    settings: { learningRate: 0.1, epochs: 5 },
    epochMetrics: makeEpochMetrics(3),
    batchLoss: [0.5, 1, 1.5, 2, 2.5, 3].map((x) => ({ x, y: 1 })),
    learningRateChanges: [
      { x: 0.5, learningRate: 0.05 },
      { x: 2, learningRate: 0.01 },
    ],
  });

  it('keeps the history up to the checkpoint and the learning rate in force there', () => {
    const resumed = historyUpTo(record, 2);
    expect(resumed.epochMetrics.map((metrics) => metrics.epoch)).toEqual([1, 2]);
    expect(resumed.batchLoss.map((point) => point.x)).toEqual([0.5, 1, 1.5, 2]);
    // The change at x = 2 was taken at the first batch after the checkpoint.
    expect(resumed.learningRateChanges).toEqual([{ x: 0.5, learningRate: 0.05 }]);
    expect(resumed.learningRate).toBe(0.05);
    expect(resumed.elapsedMs).toBe(record.epochMetrics[1].elapsedMs);
    expect(historyUpTo(record, 0)).toMatchObject({ learningRate: 0.1, elapsedMs: 0 });
  });

  it('resumes only runs that did not finish', () => {
    expect(canResume(record)).toBe(true);
    expect(canResume({ ...record, status: 'stopped' })).toBe(true);
    expect(canResume({ ...record, status: 'done' })).toBe(false);
    expect(canResume({ ...record, status: 'diverged' })).toBe(false);
    expect(canResume({ ...record, status: 'running' })).toBe(false);
    // With a saved model, a finished run can be trained on.
    expect(canResume({ ...record, status: 'done' }, true)).toBe(true);
    expect(canResume({ ...record, status: 'running' }, true)).toBe(false);
  });

  it('resumes from the checkpoint of a run cut short, else from its saved model', () => {
    expect(resumePoint(record, 2, 3)).toEqual({ from: 'checkpoint', epochsDone: 2 });
    expect(resumePoint(record, null, 3)).toEqual({ from: 'savedModel', epochsDone: 3 });
    const done = { ...record, status: 'done' as const };
    expect(resumePoint(done, 2, null)).toBeNull();
    expect(resumePoint(done, null, 3)).toEqual({ from: 'savedModel', epochsDone: 3 });
    expect(resumePoint({ ...record, status: 'running' }, 2, 3)).toBeNull();
  });

  it('restarts a run stopped or interrupted before its first checkpoint from its start', () => {
    expect(resumePoint(record, null, null)).toEqual({ from: 'start', epochsDone: 0 });
    const stopped = { ...record, status: 'stopped' as const };
    expect(resumePoint(stopped, null, null)).toEqual({ from: 'start', epochsDone: 0 });
    // A checkpoint or a saved model comes first.
    expect(resumePoint(stopped, 1, null)).toEqual({ from: 'checkpoint', epochsDone: 1 });
    expect(resumePoint(stopped, null, 2)).toEqual({ from: 'savedModel', epochsDone: 2 });
    // A failed run would fail again; finished and running runs have nothing to restart.
    for (const status of ['failed', 'done', 'diverged', 'running'] as const) {
      expect(resumePoint({ ...record, status }, null, null)).toBeNull();
    }
  });

  it('never resumes a run trained outside the page (the PyTorch script’s)', () => {
    const origin = { kind: 'pytorch', description: 'PyTorch 2.4.1, cpu', device: 'cpu' } as const;
    const outside = { ...record, origin: { ...origin, processes: 1 } };
    for (const status of ['interrupted', 'stopped', 'failed', 'done', 'diverged'] as const) {
      expect(canResume({ ...outside, status }, true)).toBe(false);
      expect(resumePoint({ ...outside, status }, 2, 3)).toBeNull();
      expect(resumePoint({ ...outside, status }, null, null)).toBeNull();
    }
  });

  it('tracks checkpoints and replaces the record in place when resumed', () => {
    let state = reduce([
      { type: 'loaded', records: [record, older], storageProblem: null },
      { type: 'checkpointsListed', checkpoints: { r: 2 } },
      { type: 'checkpointChanged', id: 'a', epoch: 1 },
    ]);
    expect(state.checkpoints).toEqual({ r: 2, a: 1 });
    state = historyReducer(state, { type: 'checkpointChanged', id: 'a', epoch: null });
    expect(state.checkpoints).toEqual({ r: 2 });
    state = historyReducer(state, { type: 'runResumed', record: { ...record, status: 'running' } });
    expect(state.records.map((r) => [r.id, r.status])).toEqual([
      ['r', 'running'],
      ['a', 'done'],
    ]);
    expect(state.liveRecordId).toBe('r');
    expect(state.selectedIds).toEqual(['r']);
  });
});

describe('saved models', () => {
  it('lists saved models, and tracks saving, evaluating, downloading and failures per run', () => {
    let state = reduce([
      { type: 'loaded', records: [older, newer], storageProblem: null },
      { type: 'savedModelsListed', savedModels: { a: 3 } },
      { type: 'modelTaskStarted', id: 'b', task: 'save' },
    ]);
    expect(state.savedModels).toEqual({ a: 3 });
    expect(state.models.b).toEqual({ busy: 'save', evaluation: null, message: null });

    state = reduce([{ type: 'modelSaved', id: 'b', epochs: 2 }], state);
    expect(state.savedModels).toEqual({ a: 3, b: 2 });
    expect(state.models.b.busy).toBeNull();
    expect(state.models.b.message).toEqual({
      ok: true,
      text: 'Model saved in this browser (epoch 2).',
    });

    state = reduce(
      [
        { type: 'modelTaskStarted', id: 'a', task: 'evaluate' },
        { type: 'savedModelEvaluated', id: 'a', epochs: 3, valLoss: 0.5, valAccuracy: 0.8 },
      ],
      state,
    );
    expect(state.models.a).toEqual({
      busy: null,
      evaluation: { epochs: 3, valLoss: 0.5, valAccuracy: 0.8 },
      message: null,
    });

    state = reduce(
      [
        { type: 'modelTaskStarted', id: 'a', task: 'export' },
        { type: 'modelDownloaded', id: 'a', epochs: 3, files: ['m.json', 'm.weights.bin'] },
        { type: 'modelTaskStarted', id: 'b', task: 'export' },
        { type: 'modelTaskFailed', id: 'b', task: 'export', message: 'no model' },
      ],
      state,
    );
    // The evaluation stays shown beside later messages.
    expect(state.models.a.evaluation?.valAccuracy).toBe(0.8);
    expect(state.models.a.message?.text).toMatch(/epoch 3: m\.json, m\.weights\.bin/);
    expect(state.models.b.message).toEqual({ ok: false, text: 'no model' });

    // A replaced worker ends the tasks in flight with a message; the others are left alone.
    state = reduce(
      [
        { type: 'modelTaskStarted', id: 'a', task: 'evaluate' },
        { type: 'modelTasksAborted', message: 'worker replaced' },
      ],
      state,
    );
    expect(state.models.a.busy).toBeNull();
    expect(state.models.a.message).toEqual({ ok: false, text: 'worker replaced' });
    expect(state.models.b.message?.text).toBe('no model');

    // A model saved on this page wins over the listing that arrives later.
    state = reduce([{ type: 'savedModelsListed', savedModels: { b: 1 } }], state);
    expect(state.savedModels.b).toBe(2);
  });
});
