import { completed, promised } from './idb.ts';

/**
 * Per-run checkpoints in IndexedDB, written by the worker at the end of every epoch and read by
 * it to resume. A separate database from the run history, so the two threads never contend for
 * a schema upgrade. Two stores: small metadata (what the main thread lists) and the weights.
 *
 * A model the person saves ("Save model") lives beside the run's checkpoint, under
 * savedModelKey(record id), with `modelOf` naming the record: a checkpoint is replaced every epoch
 * and deleted when its run ends, a saved model stays until it is saved again or its run deleted.
 */

export const CHECKPOINT_DB_NAME = 'alexnet-playground-checkpoints';
export const CHECKPOINT_DB_VERSION = 1;
const META_STORE = 'meta';
const WEIGHTS_STORE = 'weights';

export interface CheckpointMeta {
  /** The run record's id; for a saved model, savedModelKey(record id). */
  runId: string;
  /** Set on a saved model: the id of the run record it belongs to. */
  modelOf?: string;
  /** Epochs completed when the weights were taken; training resumes with the next one. */
  epochsDone: number;
  /** The learning rate in force (it may have been changed during the run). */
  learningRate: number;
  /** Training time up to the checkpoint, pauses excluded. */
  elapsedMs: number;
  savedAt: number;
}

/** One model weight (trainable or not, e.g. batch-norm moving statistics), in model order. */
export interface StoredWeight {
  name: string;
  shape: number[];
  /** float32 values. */
  data: ArrayBuffer;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  weights: StoredWeight[];
}

/** Where the model saved for a run record is kept (its checkpoint is under the record id). */
export function savedModelKey(recordId: string): string {
  return `${recordId}#model`;
}

/** The run record a stored entry belongs to: a checkpoint's or a saved model's. */
export function recordIdOf(meta: CheckpointMeta): string {
  return meta.modelOf ?? meta.runId;
}

let opened: Promise<IDBDatabase> | null = null;

function database(factory: IDBFactory | undefined = globalThis.indexedDB): Promise<IDBDatabase> {
  if (opened !== null) return opened;
  if (factory === undefined) return Promise.reject(new Error('IndexedDB is not available here'));
  opened = new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(CHECKPOINT_DB_NAME, CHECKPOINT_DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(META_STORE)) {
        db.createObjectStore(META_STORE, { keyPath: 'runId' });
      }
      if (!db.objectStoreNames.contains(WEIGHTS_STORE)) db.createObjectStore(WEIGHTS_STORE);
    };
    request.onsuccess = () => {
      const db = request.result;
      // A newer version of the page in another tab wants to upgrade: let go rather than block
      // it. The next use opens again (and fails with a reason if the database is now newer).
      db.onversionchange = () => {
        db.close();
        opened = null;
      };
      resolve(db);
    };
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
    request.onblocked = () =>
      reject(new Error('the checkpoint database is blocked by another tab'));
  });
  // A failed open may succeed later (e.g. after the person frees space).
  opened.catch(() => {
    opened = null;
  });
  return opened;
}

/** Replaces the run's checkpoint; weights and metadata are written in one transaction. */
export async function saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
  const db = await database();
  const transaction = db.transaction([META_STORE, WEIGHTS_STORE], 'readwrite');
  transaction.objectStore(WEIGHTS_STORE).put(checkpoint.weights, checkpoint.meta.runId);
  transaction.objectStore(META_STORE).put(checkpoint.meta);
  await completed(transaction);
}

export async function loadCheckpoint(runId: string): Promise<Checkpoint | null> {
  const db = await database();
  const transaction = db.transaction([META_STORE, WEIGHTS_STORE], 'readonly');
  const [meta, weights] = await Promise.all([
    promised(
      transaction.objectStore(META_STORE).get(runId) as IDBRequest<CheckpointMeta | undefined>,
    ),
    promised(
      transaction.objectStore(WEIGHTS_STORE).get(runId) as IDBRequest<StoredWeight[] | undefined>,
    ),
  ]);
  return meta === undefined || weights === undefined ? null : { meta, weights };
}

/** What can be resumed: the metadata of every checkpoint (not the weights). */
export async function listCheckpoints(): Promise<CheckpointMeta[]> {
  const db = await database();
  const transaction = db.transaction(META_STORE, 'readonly');
  return promised(transaction.objectStore(META_STORE).getAll() as IDBRequest<CheckpointMeta[]>);
}

export async function deleteCheckpoint(runId: string): Promise<void> {
  const db = await database();
  const transaction = db.transaction([META_STORE, WEIGHTS_STORE], 'readwrite');
  transaction.objectStore(META_STORE).delete(runId);
  transaction.objectStore(WEIGHTS_STORE).delete(runId);
  await completed(transaction);
}
