import { exportRunsJson, parseRunsJson } from '../history/exportImport.ts';
import { revisionOf, type RunRecord } from '../history/runRecord.ts';
import { markInterrupted } from './historyState.ts';
import type { CheckpointMeta } from '../storage/checkpointStore.ts';
import type { RunStore } from '../history/runStore.ts';
import { storageErrorMessage } from '../storage/idb.ts';
import type { SessionState, SessionStore } from './store.ts';

/**
 * Keeps the session's runs in storage, as a subscriber of the store: it restores the stored runs
 * once (a run cut off by a closed page becomes 'interrupted'), removes checkpoints and models of
 * runs that no longer exist (only after a complete read of IndexedDB), then saves every record whose object changed and deletes every
 * record that left the list. The live run changes at every batch report; it is saved at each
 * milestone (status, epoch, learning-rate change, name) and otherwise at most every
 * LIVE_SAVE_INTERVAL_MS. On pagehide it is also written synchronously to a snapshot storage.
 */

/** A running run is saved at least this often, so a closed page loses little. */
export const LIVE_SAVE_INTERVAL_MS = 2000;

/**
 * IndexedDB writes begun as the page closes may never finish, so the running run's last state is
 * also written synchronously to localStorage on pagehide, and merged back on the next load.
 */
export const LIVE_SNAPSHOT_KEY = 'alexnet-playground:live-run';

/** Said when another tab, with a newer version of the page, took the run history's database. */
export const CLOSED_FOR_NEWER_PAGE_MESSAGE =
  'A newer version of this page opened in another tab and took over the saved runs, so this ' +
  'tab no longer saves its runs. Reload it (or export its runs first) to keep them.';

/** What persistence needs from outside; the page's are IndexedDB and localStorage. */
export interface PersistenceDeps {
  /** Opens the run store; `onClosedForNewerPage` when it lets go for a newer tab. */
  openRunStore: (
    onClosedForNewerPage: () => void,
  ) => Promise<{ store: RunStore; problem: string | null }>;
  listCheckpoints: () => Promise<CheckpointMeta[]>;
  deleteCheckpoint: (checkpointKey: string) => Promise<void>;
  /** The record id a checkpoint or saved model belongs to. */
  recordIdOf: (meta: CheckpointMeta) => string;
  /** Synchronous storage for the pagehide snapshot (localStorage), or null where blocked. */
  snapshotStorage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  /** Which tab trains which run; null where the browser offers no Web Locks. */
  ownership?: RunOwnership | null;
  now?: () => number;
}

/**
 * One run, one tab: the tab that trains a run holds it, and tells the other tabs of each save
 * (in the page: Web Locks and a BroadcastChannel, browserRunOwnership.ts).
 */
export interface RunOwnership {
  /** Holds run `id` for this tab until the returned function is called. */
  hold(id: string): () => void;
  /** Of `ids`, those another tab holds now. */
  heldElsewhere(ids: readonly string[]): Promise<Set<string>>;
  /** Calls `onFree` once no tab holds run `id` (its tab ended the run, or closed). */
  whenFree(id: string, onFree: () => void): void;
  /** Tells the other tabs that this tab saved `record`. */
  announce(record: RunRecord): void;
  /** Hears the records other tabs save; returns a function that stops listening. */
  listen(onRecord: (record: RunRecord) => void): () => void;
}

export interface Persistence {
  /** Resolves once the stored runs are in the store and orphans are removed. */
  ready: Promise<void>;
  /** Closing the page mid-run: save what the page has, which the next load marks interrupted. */
  onPageHide: () => void;
  /** Stops following the store. */
  detach: () => void;
}

function takeLiveSnapshot(storage: PersistenceDeps['snapshotStorage']): RunRecord | null {
  if (storage === null) return null;
  try {
    const text = storage.getItem(LIVE_SNAPSHOT_KEY);
    storage.removeItem(LIVE_SNAPSHOT_KEY);
    if (text === null) return null;
    // Checked like an imported file: the storage is outside the app's control too.
    const parsed = parseRunsJson(text);
    // Only running runs are snapshotted; the import turned 'running' into 'interrupted'.
    return parsed.ok && parsed.runs.length === 1 ? { ...parsed.runs[0], status: 'running' } : null;
  } catch {
    return null; // storage blocked: nothing was written either
  }
}

/**
 * The newer of two versions of the same run: the higher revision; for records from before
 * revisions, the more complete.
 */
function newer(a: RunRecord, b: RunRecord): RunRecord {
  if (revisionOf(a) !== revisionOf(b)) return revisionOf(a) > revisionOf(b) ? a : b;
  const progress = (record: RunRecord) => [record.epochMetrics.length, record.batchLoss.length];
  const [aEpochs, aPoints] = progress(a);
  const [bEpochs, bPoints] = progress(b);
  return aEpochs !== bEpochs ? (aEpochs > bEpochs ? a : b) : aPoints >= bPoints ? a : b;
}

/** What makes a save of the live run due at once rather than at the next interval. */
function milestoneOf(record: RunRecord): string {
  const { status, name, epochMetrics, learningRateChanges } = record;
  return `${status}|${epochMetrics.length}|${learningRateChanges.length}|${name}`;
}

export function attachPersistence(session: SessionStore, deps: PersistenceDeps): Persistence {
  const now = deps.now ?? Date.now;
  const ownership = deps.ownership ?? null;
  let store: RunStore | null = null;
  /** Each record as last saved (or as read from storage), by id. */
  const saved = new Map<string, RunRecord>();
  /** The live run's last save: when, and its milestone then. */
  let liveSave: { id: string; atMs: number; milestone: string } | null = null;

  /** Each record's last revision written (or read), by id: the next save writes one more. */
  const revisions = new Map<string, number>();

  const put = (record: RunRecord) => {
    saved.set(record.id, record);
    const revision = Math.max(revisions.get(record.id) ?? 0, revisionOf(record)) + 1;
    revisions.set(record.id, revision);
    const written = { ...record, revision };
    ownership?.announce(written);
    store?.put(written).catch((error: unknown) => {
      session.dispatchHistory({
        type: 'storageProblem',
        message: storageErrorMessage('save a run', error),
      });
    });
    return written;
  };

  /** The run this tab trains, held for it (see RunOwnership). */
  let held: { id: string; release: () => void } | null = null;

  const sync = () => {
    const { records, live } = session.getState();
    const liveId = live?.meta.id ?? null;
    // Let go once the run's final save below has begun: another tab that waits for the run
    // then reads its final record.
    const letGo = held !== null && held.id !== liveId ? held : null;
    if (letGo !== null) held = null;
    if (ownership !== null && liveId !== null && held === null) {
      held = { id: liveId, release: ownership.hold(liveId) };
    }
    try {
      save(records, live);
    } finally {
      letGo?.release();
    }
  };

  const save = (records: readonly RunRecord[], live: SessionState['live']) => {
    // Until the stored runs are read, records are saved when they are (the sync after loading).
    if (store === null) return;
    const present = new Set<string>();
    for (const record of records) {
      present.add(record.id);
      if (saved.get(record.id) === record) continue;
      if (live !== null && record.id === live.meta.id && record.status === 'running') {
        const milestone = milestoneOf(record);
        const due =
          liveSave === null ||
          liveSave.id !== record.id ||
          liveSave.milestone !== milestone ||
          now() - liveSave.atMs >= LIVE_SAVE_INTERVAL_MS;
        if (!due) continue;
        liveSave = { id: record.id, atMs: now(), milestone };
      }
      put(record);
    }
    for (const id of [...saved.keys()]) {
      if (present.has(id)) continue;
      saved.delete(id);
      store.delete(id).catch((error: unknown) => {
        session.dispatchHistory({
          type: 'storageProblem',
          message: storageErrorMessage('delete a run', error),
        });
      });
    }
  };

  const load = async () => {
    const opened = await deps.openRunStore(() =>
      session.dispatchHistory({ type: 'storageProblem', message: CLOSED_FOR_NEWER_PAGE_MESSAGE }),
    );
    let records: RunRecord[] = [];
    let loadProblem = opened.problem;
    // Whether `records` is everything storage holds: only then may anything stored be called
    // an orphan. The memory fallback, or a failed read, knows no runs and proves nothing.
    let loadedFromStorage = opened.store.kind === 'indexedDB';
    try {
      records = await opened.store.loadAll();
    } catch (error) {
      loadProblem = storageErrorMessage('read the saved runs', error);
      loadedFromStorage = false;
    }
    const snapshot = takeLiveSnapshot(deps.snapshotStorage);
    if (snapshot !== null) {
      const stored = records.find((record) => record.id === snapshot.id);
      const best = stored === undefined ? snapshot : newer(snapshot, stored);
      records = [...records.filter((record) => record.id !== snapshot.id), best];
    }
    // The stored versions count as saved: only the ones restored differently are written again.
    for (const record of records) {
      if (record !== snapshot) saved.set(record.id, record);
      revisions.set(record.id, revisionOf(record));
    }
    // A run left running was cut off by a closed page, unless another tab trains it now.
    const running = records.filter((record) => record.status === 'running');
    const elsewhere =
      ownership === null || running.length === 0
        ? new Set<string>()
        : await ownership.heldElsewhere(running.map((record) => record.id));
    const time = now();
    const restored = records.map((record) =>
      elsewhere.has(record.id) ? record : markInterrupted(record, time),
    );
    session.setStorageKind(opened.store.kind);
    // From here on, syncing compares against the stored runs (before, all would look deleted).
    store = opened.store;
    // Its notification saves the restored runs that changed and the runs started before the
    // store opened.
    session.dispatchHistory({
      type: 'loaded',
      records: restored,
      storageProblem: loadProblem,
      elsewhere: [...elsewhere],
    });
    for (const id of elsewhere) ownership?.whenFree(id, () => void ownerLetGo(id));
    try {
      const known = new Set(session.getState().records.map((record) => record.id));
      const checkpoints: Record<string, number> = {};
      const savedModels: Record<string, number> = {};
      for (const meta of await deps.listCheckpoints()) {
        const id = deps.recordIdOf(meta);
        if (!known.has(id)) {
          // A checkpoint or model whose run was deleted is garbage from an earlier visit; one
          // whose run could not be read is kept for the next visit that can.
          if (loadedFromStorage) await deps.deleteCheckpoint(meta.runId);
        } else if (meta.modelOf !== undefined) savedModels[id] = meta.epochsDone;
        else checkpoints[id] = meta.epochsDone;
      }
      session.dispatchHistory({ type: 'checkpointsListed', checkpoints });
      session.dispatchHistory({ type: 'savedModelsListed', savedModels });
    } catch (error) {
      const message = storageErrorMessage('read the checkpoints', error);
      session.dispatchHistory({ type: 'storageProblem', message });
    }
  };

  const trainsElsewhere = (id: string) => session.getState().history.elsewhere.includes(id);

  /** Another tab saved a run it trains: shown here as it is, and counted as saved. */
  const adopt = (record: RunRecord) => {
    if (!trainsElsewhere(record.id)) return;
    if (revisionOf(record) < (revisions.get(record.id) ?? 0)) return;
    saved.set(record.id, record);
    revisions.set(record.id, revisionOf(record));
    session.dispatchHistory({ type: 'runUpdatedElsewhere', record });
  };

  /**
   * The tab that trained run `id` let go of it: it ended the run (its final record is stored),
   * or it closed mid-run (the stored record still says running: interrupted, saved from here).
   */
  const ownerLetGo = async (id: string) => {
    if (!trainsElsewhere(id) || store === null) return;
    let stored: RunRecord | undefined;
    try {
      stored = (await store.loadAll()).find((record) => record.id === id);
    } catch {
      stored = undefined; // what the other tab last announced stands
    }
    const shown = session.getState().records.find((record) => record.id === id);
    const latest =
      stored === undefined || shown === undefined ? (stored ?? shown) : newer(stored, shown);
    if (latest === undefined) return;
    if (latest.status !== 'running') {
      adopt(latest);
      return;
    }
    // Not counted as saved: the sync that follows saves it.
    session.dispatchHistory({
      type: 'runUpdatedElsewhere',
      record: markInterrupted(latest, now()),
    });
  };

  const unsubscribe = session.subscribe(sync);
  const stopListening = ownership?.listen(adopt) ?? (() => {});
  const ready = load();

  const onPageHide = () => {
    const { records, live } = session.getState();
    const record = records.find((candidate) => candidate.id === live?.meta.id);
    if (record?.status !== 'running') return;
    // The snapshot carries the same revision as this save: any later save (a page restored
    // from the back/forward cache trains on) outranks it on the next load.
    const written = put(record);
    try {
      deps.snapshotStorage?.setItem(LIVE_SNAPSHOT_KEY, exportRunsJson([written]));
    } catch {
      // Storage full or blocked: the last periodic IndexedDB save stands.
    }
  };

  return {
    ready,
    onPageHide,
    detach: () => {
      unsubscribe();
      stopListening();
      held?.release();
    },
  };
}
