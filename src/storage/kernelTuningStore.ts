import { completed, promised, storageErrorMessage } from './idb.ts';

/**
 * The kernel tuner's choices (issue #15), kept in IndexedDB by the worker so that a later run or
 * visit on the same GPU and browser pays nothing: per adapter identity (adapterKeyOf) and op
 * shape, the variant chosen and the times measured. Its own database, like the checkpoints', so
 * that it never contends with another for a schema upgrade. Where IndexedDB is missing or
 * refuses (private mode, blocked storage, a full disk), the choices are kept in memory for the
 * worker's lifetime and `problem` says so: tuning never depends on it.
 *
 * The variant is stored as text (this layer knows no kernel types); the worker checks it when it
 * reads it back, so a choice a later version no longer offers is tuned again.
 */

export const KERNEL_TUNING_DB_NAME = 'alexnet-playground-kernel-tuning';
export const KERNEL_TUNING_DB_VERSION = 1;
const CHOICES_STORE = 'choices';
const BY_ADAPTER = 'adapter';

/**
 * What the choices depend on: the adapter as WebGPU names it, the browser's major version as a
 * stand-in for the driver (WebGPU exposes no driver string, and a browser update brings a new
 * shader compiler), and whether the device has subgroups (which variants are candidates).
 */
export interface AdapterIdentity {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** browserOf(navigator.userAgent): "Chrome 131". */
  browser: string;
  subgroups: boolean;
}

/** The cache's key for an adapter: every field of its identity. */
export function adapterKeyOf(identity: AdapterIdentity): string {
  const { vendor, architecture, device, description, browser, subgroups } = identity;
  return JSON.stringify([vendor, architecture, device, description, browser, subgroups]);
}

/** The browser and its major version from a user agent ("Chrome 131"), else the whole string. */
export function browserOf(userAgent: string): string {
  const chrome = /\b(?:Chrome|Chromium)\/(\d+)/.exec(userAgent);
  if (chrome !== null) return `Chrome ${chrome[1]}`;
  const firefox = /\bFirefox\/(\d+)/.exec(userAgent);
  if (firefox !== null) return `Firefox ${firefox[1]}`;
  const safari = /\bVersion\/(\d+)[^ ]* .*Safari\//.exec(userAgent);
  if (safari !== null) return `Safari ${safari[1]}`;
  return userAgent;
}

/** One op shape's choice on one adapter. */
export interface TunedShapeRecord {
  /** adapterKeyOf the adapter it was tuned on. */
  adapter: string;
  /** OpShape.key. */
  shapeKey: string;
  label: string;
  /** The chosen KernelVariant. */
  variant: string;
  /** Milliseconds per run of each variant timed. */
  msByVariant: Record<string, number>;
  tunedAt: number;
}

export interface KernelTuningStore {
  /** Every choice stored for `adapter` (adapterKeyOf). */
  load(adapter: string): Promise<TunedShapeRecord[]>;
  /** Stores one choice (replacing the adapter's earlier one for the same shape); never rejects. */
  save(record: TunedShapeRecord): Promise<void>;
  /**
   * Why choices are kept only until the worker ends (IndexedDB missing, refusing or full), for
   * the person; null while they are kept in IndexedDB.
   */
  readonly problem: string | null;
}

const memoryKey = (adapter: string, shapeKey: string) => JSON.stringify([adapter, shapeKey]);

/**
 * IndexedDB, opened on first use, with memory beside it: every choice is kept in memory too, so
 * a failed open or write loses nothing for this worker's lifetime, and is said once in
 * `problem`.
 */
class FallingBackTuningStore implements KernelTuningStore {
  problem: string | null = null;
  private readonly memory = new Map<string, TunedShapeRecord>();
  private opened: Promise<IDBDatabase | null> | null = null;

  constructor(private readonly factory: IDBFactory | undefined) {}

  async load(adapter: string): Promise<TunedShapeRecord[]> {
    const byShape = new Map<string, TunedShapeRecord>();
    const db = await this.database();
    if (db !== null) {
      try {
        const transaction = db.transaction(CHOICES_STORE, 'readonly');
        const index = transaction.objectStore(CHOICES_STORE).index(BY_ADAPTER);
        const stored = (await promised(index.getAll(adapter))) as TunedShapeRecord[];
        for (const record of stored) byShape.set(record.shapeKey, record);
      } catch (error) {
        this.fail('read the kernel tuning', error);
      }
    }
    for (const record of this.memory.values()) {
      if (record.adapter === adapter) byShape.set(record.shapeKey, record);
    }
    return [...byShape.values()].map((record) => structuredClone(record));
  }

  async save(record: TunedShapeRecord): Promise<void> {
    this.memory.set(memoryKey(record.adapter, record.shapeKey), structuredClone(record));
    const db = await this.database();
    if (db === null) return;
    try {
      const transaction = db.transaction(CHOICES_STORE, 'readwrite');
      transaction.objectStore(CHOICES_STORE).put(record);
      await completed(transaction);
    } catch (error) {
      this.fail('save the kernel tuning', error);
    }
  }

  private fail(action: string, error: unknown): void {
    this.problem ??=
      `${storageErrorMessage(action, error)} ` +
      'The kernel choices are kept only until the page closes.';
  }

  private database(): Promise<IDBDatabase | null> {
    this.opened ??= this.open().catch((error: unknown) => {
      this.fail('open the kernel tuning cache', error);
      return null;
    });
    return this.opened;
  }

  private open(): Promise<IDBDatabase> {
    const factory = this.factory;
    if (factory === undefined) {
      return Promise.reject(new Error('this browser offers no IndexedDB here'));
    }
    return new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(KERNEL_TUNING_DB_NAME, KERNEL_TUNING_DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(CHOICES_STORE)) {
          const store = db.createObjectStore(CHOICES_STORE, { keyPath: ['adapter', 'shapeKey'] });
          store.createIndex(BY_ADAPTER, 'adapter');
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        // A newer version of the page in another tab wants to upgrade: let go rather than block
        // it; this worker keeps its choices in memory from then on.
        db.onversionchange = () => {
          db.close();
          this.opened = Promise.resolve(null);
        };
        resolve(db);
      };
      request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
      request.onblocked = () => reject(new Error('the database is blocked by another tab'));
    });
  }
}

/**
 * The worker's tuning cache over `factory` (the worker's indexedDB; a parameter so that a test
 * can pass none, or one that refuses). Opens on first use.
 */
export function openKernelTuningStore(
  factory: IDBFactory | undefined = globalThis.indexedDB,
): KernelTuningStore {
  return new FallingBackTuningStore(factory);
}
