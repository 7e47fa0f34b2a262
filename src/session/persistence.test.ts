import { describe, expect, it } from 'vitest';
import { makeEpochMetrics, makeRecord } from '../../test/fixtures/runRecords.ts';
import type { RunRecord } from '../history/runRecord.ts';
import type { CheckpointMeta } from '../storage/checkpointStore.ts';
import { MemoryRunStore, type RunStore } from '../history/runStore.ts';
import {
  attachPersistence,
  CLOSED_FOR_NEWER_PAGE_MESSAGE,
  type RunOwnership,
  LIVE_SAVE_INTERVAL_MS,
  LIVE_SNAPSHOT_KEY,
} from './persistence.ts';
import { TEST_SETTINGS, testSession } from '../../test/fixtures/session.ts';

/** A run store in memory that logs every write. */
class FakeRunStore implements RunStore {
  readonly kind = 'indexedDB';
  readonly puts: RunRecord[] = [];
  readonly deletes: string[] = [];
  constructor(readonly stored: RunRecord[] = []) {}
  loadAll = () => Promise.resolve(this.stored);
  put = (record: RunRecord) => {
    this.puts.push(record);
    return Promise.resolve();
  };
  delete = (id: string) => {
    this.deletes.push(id);
    return Promise.resolve();
  };
}

/** Run ownership between tabs, with the other tab played by the test. */
class FakeOwnership implements RunOwnership {
  /** Runs the other tab holds. */
  readonly elsewhere = new Set<string>();
  /** Runs this tab holds. */
  readonly heldHere = new Set<string>();
  readonly announced: RunRecord[] = [];
  private readonly waiting = new Map<string, () => void>();
  private listener: (record: RunRecord) => void = () => {};
  hold = (id: string) => {
    this.heldHere.add(id);
    return () => void this.heldHere.delete(id);
  };
  heldElsewhere = (ids: readonly string[]) =>
    Promise.resolve(new Set(ids.filter((id) => this.elsewhere.has(id))));
  whenFree = (id: string, onFree: () => void) => void this.waiting.set(id, onFree);
  announce = (record: RunRecord) => void this.announced.push(record);
  listen = (onRecord: (record: RunRecord) => void) => {
    this.listener = onRecord;
    return () => {
      this.listener = () => {};
    };
  };
  /** The other tab saves `record`. */
  otherTabSaved(record: RunRecord): void {
    this.listener(record);
  }
  /** The other tab lets go of run `id` (it ended it, or closed). */
  otherTabLetGo(id: string): void {
    this.elsewhere.delete(id);
    this.waiting.get(id)?.();
  }
}

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

function checkpoint(runId: string, epochsDone: number, modelOf?: string): CheckpointMeta {
  return { runId, epochsDone, modelOf } as CheckpointMeta;
}

function setUp(
  stored: RunRecord[] = [],
  options: {
    checkpoints?: CheckpointMeta[];
    runStore?: RunStore;
    problem?: string;
    ownership?: RunOwnership;
  } = {},
) {
  const t = testSession();
  // The fake that logs writes, unless a test opens another store.
  const runStore = new FakeRunStore(stored);
  const storage = memoryStorage();
  const deletedCheckpoints: string[] = [];
  let closeForNewerPage = () => {};
  const persistence = attachPersistence(t.session, {
    openRunStore: (onClosedForNewerPage) => {
      closeForNewerPage = onClosedForNewerPage;
      return Promise.resolve({
        store: options.runStore ?? runStore,
        problem: options.problem ?? null,
      });
    },
    listCheckpoints: () => Promise.resolve(options.checkpoints ?? []),
    deleteCheckpoint: (key) => {
      deletedCheckpoints.push(key);
      return Promise.resolve();
    },
    recordIdOf: (meta) => meta.modelOf ?? meta.runId,
    snapshotStorage: storage,
    ownership: options.ownership,
    now: () => t.clock.nowMs,
  });
  return {
    ...t,
    runStore,
    storage,
    persistence,
    deletedCheckpoints,
    closeForNewerPage: () => closeForNewerPage(),
  };
}

/** The page after a reload: `stored` in the run store, `snapshot` in the snapshot storage. */
async function nextPage(stored: RunRecord[], snapshot: string | undefined) {
  const next = testSession();
  const runStore = new FakeRunStore(stored);
  const storage = memoryStorage(snapshot === undefined ? {} : { [LIVE_SNAPSHOT_KEY]: snapshot });
  const persistence = attachPersistence(next.session, {
    openRunStore: () => Promise.resolve({ store: runStore, problem: null }),
    listCheckpoints: () => Promise.resolve([]),
    deleteCheckpoint: () => Promise.resolve(),
    recordIdOf: (meta) => meta.runId,
    snapshotStorage: storage,
    now: () => next.clock.nowMs,
  });
  await persistence.ready;
  return { next, runStore, storage };
}

describe('persistence subscriber', () => {
  it('restores stored runs, marking a run left running as interrupted and saving only that one', async () => {
    const done = makeRecord({ id: 'a', status: 'done' });
    const running = makeRecord({ id: 'b', status: 'running', epochMetrics: makeEpochMetrics(1) });
    const t = setUp([done, running]);
    await t.persistence.ready;
    const { records, history, storageKind } = t.session.getState();
    expect(history.loaded).toBe(true);
    expect(storageKind).toBe('indexedDB');
    expect(records.find((record) => record.id === 'b')?.status).toBe('interrupted');
    expect(t.runStore.puts.map((record) => [record.id, record.status])).toEqual([
      ['b', 'interrupted'],
    ]);
  });

  it('saves runs started before the store opened, once it has', async () => {
    const t = setUp();
    t.session.startRun(TEST_SETTINGS);
    expect(t.runStore.puts).toEqual([]);
    await t.persistence.ready;
    expect(t.runStore.puts.map((record) => record.id)).toEqual(['record-1']);
  });

  it('throttles the live run’s saves, saving at once at each epoch and at its end', async () => {
    const t = setUp();
    await t.persistence.ready;
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    expect(t.runStore.puts).toHaveLength(1);
    t.runStarted(runId);
    t.batch(runId, [0.1, 2.3], 1);
    t.clock.nowMs += LIVE_SAVE_INTERVAL_MS - 1;
    t.batch(runId, [0.2, 2.2], 2);
    // Within the interval and no milestone: nothing more written.
    expect(t.runStore.puts).toHaveLength(1);
    t.clock.nowMs += 1;
    t.batch(runId, [0.3, 2.1], 3);
    expect(t.runStore.puts).toHaveLength(2);
    expect(t.runStore.puts[1].batchLoss).toHaveLength(3);
    t.epoch(runId, 1);
    expect(t.runStore.puts).toHaveLength(3);
    expect(t.runStore.puts[2].epochMetrics).toHaveLength(1);
    t.ended(runId);
    expect(t.runStore.puts).toHaveLength(4);
    expect(t.runStore.puts[3].status).toBe('done');
  });

  it('saves a rename and an import at once, and deletes a deleted run', async () => {
    const t = setUp([makeRecord({ id: 'a', status: 'done' })]);
    await t.persistence.ready;
    t.session.rename('a', 'mine');
    expect(t.runStore.puts.at(-1)).toMatchObject({ id: 'a', name: 'mine' });
    t.session.remove('a');
    expect(t.runStore.deletes).toEqual(['a']);
    t.session.undoRemove();
    expect(t.runStore.puts.at(-1)).toMatchObject({ id: 'a', name: 'mine' });
  });

  it('writes the live run to the snapshot storage on pagehide, and merges it back on load', async () => {
    const t = setUp();
    await t.persistence.ready;
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    t.runStarted(runId);
    t.batch(runId, [0.1, 2.3, 0.2, 2.2], 2);
    t.persistence.onPageHide();
    const text = t.storage.items.get(LIVE_SNAPSHOT_KEY);
    expect(text).toBeDefined();
    expect(t.runStore.puts.at(-1)?.batchLoss).toHaveLength(2);

    // The next page: storage has the older save; the snapshot is newer.
    const older = { ...t.runStore.puts[0], batchLoss: [] };
    const { next, runStore, storage } = await nextPage([older], text);
    const [restored] = next.session.getState().records;
    expect(restored.status).toBe('interrupted');
    expect(restored.batchLoss).toHaveLength(2);
    expect(storage.items.has(LIVE_SNAPSHOT_KEY)).toBe(false);
    expect(runStore.puts.map((record) => record.status)).toEqual(['interrupted']);
  });

  it('writes no snapshot when no run is training', async () => {
    const t = setUp([makeRecord({ id: 'a', status: 'done' })]);
    await t.persistence.ready;
    t.persistence.onPageHide();
    expect(t.storage.items.size).toBe(0);
  });

  it('lists checkpoints and saved models, and deletes those of runs that no longer exist', async () => {
    const t = setUp([makeRecord({ id: 'a', status: 'stopped' })], {
      checkpoints: [checkpoint('a', 2), checkpoint('model-a', 3, 'a'), checkpoint('gone', 1)],
    });
    await t.persistence.ready;
    const { history } = t.session.getState();
    expect(history.checkpoints).toEqual({ a: 2 });
    expect(history.savedModels).toEqual({ a: 3 });
    expect(t.deletedCheckpoints).toEqual(['gone']);
  });

  it('deletes no checkpoint or saved model when the runs were not read from IndexedDB', async () => {
    const checkpoints = [checkpoint('a', 2), checkpoint('model-a', 3, 'a')];
    // The memory fallback: IndexedDB refused, so no run is known.
    const inMemory = setUp([], {
      checkpoints,
      runStore: new MemoryRunStore(),
      problem: 'Could not open the run history.',
    });
    await inMemory.persistence.ready;
    expect(inMemory.deletedCheckpoints).toEqual([]);
    // IndexedDB opened, but reading the runs failed.
    const unreadable = new FakeRunStore();
    unreadable.loadAll = () => Promise.reject(new Error('read failed'));
    const failedRead = setUp([], { checkpoints, runStore: unreadable });
    await failedRead.persistence.ready;
    expect(failedRead.deletedCheckpoints).toEqual([]);
    expect(failedRead.session.getState().history.storageProblem).toContain('read the saved runs');
  });

  it('says so when a newer page in another tab takes the run history over', async () => {
    const t = setUp();
    await t.persistence.ready;
    t.closeForNewerPage();
    expect(t.session.getState().history.storageProblem).toBe(CLOSED_FOR_NEWER_PAGE_MESSAGE);
  });

  it('writes each save of a record under a higher revision, continuing from the stored one', async () => {
    const t = setUp([makeRecord({ id: 'a', status: 'done', revision: 7 })]);
    await t.persistence.ready;
    t.session.rename('a', 'first');
    t.session.rename('a', 'second');
    expect(t.runStore.puts.map((record) => [record.name, record.revision])).toEqual([
      ['first', 8],
      ['second', 9],
    ]);
  });

  it('keeps a run that ended after its pagehide snapshot (page restored from the back/forward cache) done', async () => {
    const t = setUp();
    await t.persistence.ready;
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    t.runStarted(runId);
    t.batch(runId, [0.1, 2.3], 1);
    t.epoch(runId, 1);
    // Hidden after its last epoch, then shown again: the run ends with nothing new but its end.
    t.persistence.onPageHide();
    const snapshot = t.storage.items.get(LIVE_SNAPSHOT_KEY);
    t.ended(runId);
    const final = t.runStore.puts.at(-1);
    expect(final?.status).toBe('done');
    // The next load finds the older snapshot beside the final record: the final one stays.
    const { next } = await nextPage(final === undefined ? [] : [final], snapshot);
    const [restored] = next.session.getState().records;
    expect(restored.status).toBe('done');
    expect(restored.revision).toBe(final?.revision);
  });

  it('shows a run another tab trains as training there, follows its saves, and never saves it', async () => {
    const ownership = new FakeOwnership();
    ownership.elsewhere.add('a');
    const running = makeRecord({ id: 'a', status: 'running', epochMetrics: [], revision: 3 });
    const t = setUp([running, makeRecord({ id: 'b', status: 'running' })], { ownership });
    await t.persistence.ready;
    let state = t.session.getState();
    expect(state.history.elsewhere).toEqual(['a']);
    expect(state.records.find((r) => r.id === 'a')?.status).toBe('running');
    // Nobody holds b: its page closed mid-run.
    expect(state.records.find((r) => r.id === 'b')?.status).toBe('interrupted');
    expect(t.runStore.puts.map((r) => r.id)).toEqual(['b']);
    // The other tab saves an epoch, then the run's end.
    ownership.otherTabSaved({ ...running, epochMetrics: makeEpochMetrics(1), revision: 4 });
    expect(t.session.getState().records.find((r) => r.id === 'a')?.epochMetrics).toHaveLength(1);
    // A late, older announcement changes nothing.
    ownership.otherTabSaved({ ...running, revision: 2 });
    expect(t.session.getState().records.find((r) => r.id === 'a')?.epochMetrics).toHaveLength(1);
    // Renaming or deleting it here is refused: the other tab saves it.
    t.session.rename('a', 'mine');
    t.session.remove('a');
    const done = { ...running, status: 'done' as const, revision: 5 };
    ownership.otherTabSaved(done);
    state = t.session.getState();
    expect(state.records.find((r) => r.id === 'a')).toEqual(done);
    expect(state.history.elsewhere).toEqual([]);
    expect(t.runStore.puts.map((r) => r.id)).toEqual(['b']);
    expect(t.runStore.deletes).toEqual([]);
  });

  it('marks a run interrupted, from here, when the tab that trained it closes mid-run', async () => {
    const ownership = new FakeOwnership();
    ownership.elsewhere.add('a');
    const running = makeRecord({ id: 'a', status: 'running', revision: 3 });
    const t = setUp([running], { ownership });
    await t.persistence.ready;
    ownership.otherTabLetGo('a');
    await expect.poll(() => t.session.getState().records[0].status).toBe('interrupted');
    expect(t.session.getState().history.elsewhere).toEqual([]);
    expect(t.runStore.puts.at(-1)).toMatchObject({ id: 'a', status: 'interrupted', revision: 4 });
  });

  it('holds the run this tab trains, announces its saves, and lets go after its final save', async () => {
    const ownership = new FakeOwnership();
    const t = setUp([], { ownership });
    await t.persistence.ready;
    t.session.startRun(TEST_SETTINGS);
    const runId = t.lastRunId();
    expect([...ownership.heldHere]).toEqual(['record-1']);
    t.runStarted(runId);
    t.epoch(runId, 1);
    t.ended(runId);
    expect(ownership.heldHere.size).toBe(0);
    expect(ownership.announced.at(-1)).toMatchObject({ id: 'record-1', status: 'done' });
    expect(ownership.announced.map((r) => r.revision)).toEqual(
      t.runStore.puts.map((r) => r.revision),
    );
  });
});
