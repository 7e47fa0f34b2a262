import { completed, promised, storageErrorMessage } from '../storage/idb.ts';
import { revisionOf, type RunRecord } from './runRecord.ts';

/**
 * The run history's persistence: one IndexedDB object store of RunRecords keyed by id. Where
 * IndexedDB is missing or refuses (private mode, blocked storage, quota), runs are kept in
 * memory for the page's lifetime and the problem is reported, so training never depends on it.
 */

export const RUNS_DB_NAME = 'alexnet-playground';
export const RUNS_DB_VERSION = 1;
export const RUNS_STORE = 'runs';

/** Whether `stored` is newer than `incoming` (a higher revision), so that it stays. */
function keepsStored(stored: RunRecord | undefined, incoming: RunRecord): boolean {
  return stored !== undefined && revisionOf(stored) > revisionOf(incoming);
}

export interface RunStore {
  /** Where runs are kept: 'indexedDB' survives reloads, 'memory' does not. */
  readonly kind: 'indexedDB' | 'memory';
  loadAll(): Promise<RunRecord[]>;
  /** Saves `record`, unless the stored one has a higher revision (see RunRecord.revision). */
  put(record: RunRecord): Promise<void>;
  delete(id: string): Promise<void>;
}

class IndexedDbRunStore implements RunStore {
  readonly kind = 'indexedDB';
  constructor(private readonly db: IDBDatabase) {}

  async loadAll(): Promise<RunRecord[]> {
    const transaction = this.db.transaction(RUNS_STORE, 'readonly');
    return (await promised(transaction.objectStore(RUNS_STORE).getAll())) as RunRecord[];
  }

  async put(record: RunRecord): Promise<void> {
    const transaction = this.db.transaction(RUNS_STORE, 'readwrite');
    const store = transaction.objectStore(RUNS_STORE);
    // Read and write in one transaction, so that no other write comes between.
    const stored = store.get(record.id);
    stored.onsuccess = () => {
      if (keepsStored(stored.result as RunRecord | undefined, record)) return;
      store.put(record);
    };
    await completed(transaction);
  }

  async delete(id: string): Promise<void> {
    const transaction = this.db.transaction(RUNS_STORE, 'readwrite');
    transaction.objectStore(RUNS_STORE).delete(id);
    await completed(transaction);
  }
}

/** Keeps runs for the page's lifetime only; used when IndexedDB is unavailable. */
export class MemoryRunStore implements RunStore {
  readonly kind = 'memory';
  private readonly records = new Map<string, RunRecord>();

  loadAll(): Promise<RunRecord[]> {
    return Promise.resolve([...this.records.values()].map((record) => structuredClone(record)));
  }

  put(record: RunRecord): Promise<void> {
    if (!keepsStored(this.records.get(record.id), record)) {
      this.records.set(record.id, structuredClone(record));
    }
    return Promise.resolve();
  }

  delete(id: string): Promise<void> {
    this.records.delete(id);
    return Promise.resolve();
  }
}

/** Gives up on an open that neither succeeds nor fails (another tab blocking an upgrade). */
export const OPEN_TIMEOUT_MS = 5000;

/**
 * Opens the IndexedDB store, or falls back to memory with the reason. `factory` is the page's
 * indexedDB (a parameter so that a test can pass one that throws). `onClosedForNewerPage` is
 * called when the store closes itself for a newer version of the page in another tab.
 */
export async function openRunStore(
  factory: IDBFactory | undefined = globalThis.indexedDB,
  onClosedForNewerPage: () => void = () => {},
): Promise<{ store: RunStore; problem: string | null }> {
  const fallback = (problem: string) => ({ store: new MemoryRunStore(), problem });
  if (factory === undefined) {
    return fallback(
      'This browser offers no IndexedDB here, so runs are kept only until the page closes.',
    );
  }
  try {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(RUNS_DB_NAME, RUNS_DB_VERSION);
      const timer = setTimeout(
        () => reject(new Error(`no answer within ${OPEN_TIMEOUT_MS / 1000} s`)),
        OPEN_TIMEOUT_MS,
      );
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(RUNS_STORE)) {
          request.result.createObjectStore(RUNS_STORE, { keyPath: 'id' });
        }
      };
      request.onsuccess = () => {
        clearTimeout(timer);
        resolve(request.result);
      };
      request.onerror = () => {
        clearTimeout(timer);
        reject(request.error ?? new Error('IndexedDB could not be opened'));
      };
    });
    // A newer version of the page, in another tab, wants to upgrade the database: this tab lets
    // go rather than block it, and says so (its later saves fail and are reported).
    db.onversionchange = () => {
      db.close();
      onClosedForNewerPage();
    };
    return { store: new IndexedDbRunStore(db), problem: null };
  } catch (error) {
    return fallback(
      `${storageErrorMessage('open the run history', error)} ` +
        `Runs are kept only until the page closes.`,
    );
  }
}
