import { describe, expect, it } from 'vitest';
import { makeRecord } from '../../test/fixtures/runRecords.ts';
import { STOP_TIMEOUT_MS } from '../worker/client.ts';
import { WORKER_REPLACED_MESSAGE } from './store.ts';
import { TEST_SETTINGS, testSession } from '../../test/fixtures/session.ts';

describe('session store', () => {
  it('starts the worker on the backend and moves it when the backend changes', () => {
    const t = testSession();
    expect(t.worker().sent).toEqual([{ type: 'initBackend', backend: 'webgpu' }]);
    t.session.setBackend('cpu');
    expect(t.workers).toHaveLength(1);
    expect(t.worker().sent.at(-1)).toEqual({ type: 'initBackend', backend: 'cpu' });
  });

  it('folds worker messages into one state and tells subscribers once per message', () => {
    const t = testSession();
    let notified = 0;
    t.session.subscribe(() => notified++);
    t.session.startRun(TEST_SETTINGS);
    expect(notified).toBe(1);
    const runId = t.lastRunId();
    expect(t.session.getState().trainer.runState).toBe('loading data');
    t.runStarted(runId);
    t.batch(runId, [0.1, 2.3, 0.2, 2.2], 2);
    expect(notified).toBe(3);
    const { trainer, records, live } = t.session.getState();
    expect(trainer.runState).toBe('training');
    expect(trainer.run?.batchLoss).toEqual([
      { x: 0.1, y: 2.3 },
      { x: 0.2, y: 2.2 },
    ]);
    expect(live?.meta.id).toBe('record-1');
    expect(records.map((record) => record.id)).toEqual(['record-1']);
  });

  it('holds the live run once: its record is built from the trainer’s run, sharing its series', () => {
    const t = testSession();
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    t.runStarted(runId);
    t.batch(runId, [0.1, 2.3], 1);
    t.epoch(runId, 1);
    const { trainer, history, records } = t.session.getState();
    const [record] = records;
    // The same arrays, not copies: one report adds its points in one place.
    expect(record.batchLoss).toBe(trainer.run?.batchLoss);
    expect(record.epochMetrics).toBe(trainer.run?.epochMetrics);
    expect(record.status).toBe('running');
    // The history keeps only the record the run started with.
    expect(history.records[0].batchLoss).toEqual([]);
    expect(history.records[0].epochMetrics).toEqual([]);
  });

  it('appends a batch report’s points to the series in place, without copying it', () => {
    const t = testSession();
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    t.runStarted(runId);
    t.batch(runId, [0.1, 2.3], 1);
    const before = t.session.getState();
    const series = before.trainer.run?.batchLoss;
    t.batch(runId, [0.2, 2.2, 0.3, 2.1], 3);
    const after = t.session.getState();
    expect(after.trainer.run?.batchLoss).toBe(series);
    expect(series).toHaveLength(3);
    // The state objects are new, so subscribers see the change.
    expect(after.trainer.run).not.toBe(before.trainer.run);
    expect(after.records[0]).not.toBe(before.records[0]);
  });

  it('commits the run’s final record when it ends, stamped once', () => {
    const t = testSession();
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    t.runStarted(runId);
    t.batch(runId, [0.5, 2], 5);
    t.epoch(runId, 1);
    t.clock.nowMs += 5000;
    t.ended(runId);
    const { history, records, live } = t.session.getState();
    expect(live).toBeNull();
    expect(history.records[0].status).toBe('done');
    expect(history.records[0].endedAt).toBe(1_005_000);
    expect(history.records[0].epochMetrics).toHaveLength(1);
    expect(records).toBe(history.records);
    t.clock.nowMs += 5000;
    t.receive({ type: 'modelKept', runId, key: 'record-1', epochs: 1 });
    expect(t.session.getState().records[0].endedAt).toBe(1_005_000);
  });

  it('keeps a name given while the run trains, and a live run deleted stays deleted', () => {
    const t = testSession();
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    t.runStarted(runId);
    t.session.rename('record-1', 'my run');
    t.batch(runId, [0.1, 2.3], 1);
    expect(t.session.getState().records[0].name).toBe('my run');
    t.session.remove('record-1');
    t.batch(runId, [0.2, 2.2], 2);
    t.ended(runId);
    expect(t.session.getState().records).toEqual([]);
  });

  it('runs the queue in order, one run after another, each joining the selection', () => {
    const t = testSession();
    const exercise = { id: 'dropout', title: 'Dropout' };
    t.session.queueExercise(exercise, [
      { settings: { ...TEST_SETTINGS, dropout: 0.3 }, label: 'dropout 0.3' },
      { settings: { ...TEST_SETTINGS, dropout: 0.7 }, label: 'dropout 0.7' },
    ]);
    // The trainer was free: the first run started at once, the second waits.
    let state = t.session.getState();
    expect(state.trainer.run?.settings.dropout).toBe(0.3);
    expect(state.history.queue.map((item) => item.label)).toEqual(['dropout 0.7']);
    const first = t.lastRunId();
    t.runStarted(first);
    t.ended(first);
    state = t.session.getState();
    const second = t.lastRunId();
    expect(second).toBe(first + 1);
    expect(state.trainer.run?.settings.dropout).toBe(0.7);
    expect(state.history.queue).toEqual([]);
    t.runStarted(second);
    t.ended(second);
    state = t.session.getState();
    expect(state.records.map((record) => record.settings.dropout)).toEqual([0.7, 0.3]);
    expect(state.history.selectedIds).toEqual(['record-1', 'record-2']);
    expect(state.records.every((record) => record.exercise?.id === 'dropout')).toBe(true);
  });

  it('replaces a crashed worker, fails the run, and sends the accepted files to the new one', () => {
    const t = testSession();
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    t.runStarted(runId);
    t.receive({ type: 'workerCrashed', message: 'boom' });
    expect(t.workers).toHaveLength(2);
    expect(t.workers[0].terminated).toBe(true);
    expect(t.worker().sent).toEqual([{ type: 'initBackend', backend: 'webgpu' }]);
    const { trainer, records } = t.session.getState();
    expect(trainer.runState).toBe('failed');
    expect(records[0].status).toBe('failed');
    // The old worker's late messages are ignored.
    t.workers[0].deliver({ type: 'runEnded', runId, status: 'done', message: null });
    expect(t.session.getState().records[0].status).toBe('failed');
  });

  it('hands the chosen File objects to the worker unread, and the same Files to a replacement worker', () => {
    const t = testSession();
    const reads: string[] = [];
    const files = ['train-images', 'train-labels', 'test-images', 'test-labels'].map((name) =>
      chosenFile(name, 1000, reads),
    );
    t.session.chooseDataFiles(files);
    const sent = t.worker().sent.at(-1);
    expect(sent).toEqual({ type: 'useData', choice: { kind: 'uploaded', files } });
    // The Files themselves (structured cloning shares a File's data), not copies of their bytes.
    const posted = sent?.type === 'useData' && sent.choice.kind === 'uploaded' ? sent.choice : null;
    posted?.files.forEach((file, i) => expect(file).toBe(files[i]));
    expect(reads).toEqual([]);
    expect(t.session.getState().trainer.data.checking).toEqual(files.map((file) => file.name));

    t.receive({ type: 'dataChosen', summary: UPLOADED_SUMMARY });
    t.receive({ type: 'workerCrashed', message: 'boom' });
    expect(t.worker().sent.at(-1)).toEqual({ type: 'useData', choice: posted });
    expect(reads).toEqual([]);
  });

  it('refuses chosen files over MAX_UPLOAD_TOTAL_BYTES together before reading or sending any', () => {
    const t = testSession();
    const reads: string[] = [];
    const mb = 1024 * 1024;
    const files = ['a', 'b', 'c', 'd'].map((name) => chosenFile(name, 150 * mb, reads));
    t.session.chooseDataFiles(files);
    expect(t.session.getState().trainer.data.problem).toBe(
      'The 4 files come to 600 MB together; at most 512 MB in all. Choose smaller files ' +
        '(MNIST’s four come to 55 MB uncompressed).',
    );
    expect(t.worker().sent.some((message) => message.type === 'useData')).toBe(false);
    expect(reads).toEqual([]);
  });

  it('sends the next queued run to the worker that replaced a crashed one', () => {
    const t = testSession();
    t.session.queueExercise({ id: 'dropout', title: 'Dropout' }, [
      { settings: { ...TEST_SETTINGS, dropout: 0.3 }, label: 'dropout 0.3' },
      { settings: { ...TEST_SETTINGS, dropout: 0.7 }, label: 'dropout 0.7' },
    ]);
    t.runStarted(t.lastRunId());
    t.receive({ type: 'workerCrashed', message: 'boom' });
    expect(t.workers).toHaveLength(2);
    expect(t.workers[1].sent.map((message) => message.type)).toEqual(['initBackend', 'train']);
    expect(t.session.getState().trainer.run?.settings.dropout).toBe(0.7);
  });

  it('ends a run stopped if the worker does not answer Stop in time, with a new worker', () => {
    const t = testSession();
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    t.runStarted(runId);
    // A model task the old worker had not answered ends with it.
    t.session.dispatchHistory({ type: 'modelTaskStarted', id: 'other', task: 'save' });
    t.session.stop();
    expect(t.worker().sent.at(-1)).toEqual({ type: 'stop' });
    expect(t.timers[0].ms).toBe(STOP_TIMEOUT_MS);
    t.timers[0].callback();
    expect(t.workers).toHaveLength(2);
    expect(t.session.getState().records[0].status).toBe('stopped');
    expect(t.session.getState().history.models.other).toMatchObject({
      busy: null,
      message: { ok: false, text: WORKER_REPLACED_MESSAGE },
    });
  });

  it('resumes a stopped run from its checkpoint as the same record', () => {
    const t = testSession();
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    t.runStarted(runId);
    t.batch(runId, [0.5, 2, 1, 1.5], 10);
    t.epoch(runId, 1);
    t.receive({ type: 'checkpointSaved', runId, epoch: 1 });
    expect(t.session.getState().history.checkpoints).toEqual({ 'record-1': 1 });
    t.batch(runId, [1.5, 1.2], 15);
    t.ended(runId, 'stopped');
    t.session.resumeRun('record-1');
    const resumedRunId = t.lastRunId();
    expect(resumedRunId).toBe(runId + 1);
    expect(t.worker().sent.at(-1)).toMatchObject({
      type: 'train',
      checkpointKey: 'record-1',
      resumeFrom: 'checkpoint',
    });
    const { records, trainer } = t.session.getState();
    expect(records).toHaveLength(1);
    expect(records[0].status).toBe('running');
    // Its history up to the checkpoint.
    expect(trainer.run?.batchLoss).toEqual([
      { x: 0.5, y: 2 },
      { x: 1, y: 1.5 },
    ]);
  });

  it('downloads an exported model under the run’s name and says so', () => {
    const t = testSession();
    t.session.dispatchHistory({
      type: 'loaded',
      records: [makeRecord({ id: 'a' })],
      storageProblem: null,
    });
    t.session.downloadModel('a');
    expect(t.session.getState().history.models.a?.busy).toBe('export');
    t.receive({
      type: 'modelExported',
      key: 'a',
      epochs: 2,
      model: { modelTopology: {}, weightSpecs: [], weightData: new ArrayBuffer(8) },
    });
    expect(t.files).toEqual(['alexnet-a.json', 'alexnet-a.weights.bin']);
    expect(t.session.getState().history.models.a?.busy).toBeNull();
  });
});

/**
 * A File as the page holds it, for the store (which reads only name and size): its reading
 * methods record that they were called.
 */
function chosenFile(name: string, size: number, reads: string[]): File {
  const read = () => {
    reads.push(name);
    return Promise.reject(new Error('the page must not read the file'));
  };
  return {
    name,
    size,
    arrayBuffer: read,
    text: read,
    bytes: read,
    stream: read,
  } as unknown as File;
}

const UPLOADED_SUMMARY = {
  id: 'upload-0123abcd',
  files: {
    trainImages: 'train-images',
    trainLabels: 'train-labels',
    testImages: 'test-images',
    testLabels: 'test-labels',
  },
  trainCount: 30,
  testCount: 20,
  imageSize: 12,
};
