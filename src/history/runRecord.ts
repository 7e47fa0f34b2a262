import type { BackendName, Settings } from '../config/settings.ts';
import { FASHION_MNIST_INFO } from '../data/uploadedData.ts';
import type {
  DataSetInfo,
  EpochMetrics,
  KernelChoice,
  RunRecordStatus,
  SeriesPoint,
} from '../common/types.ts';

/**
 * One training run as it is kept in the history (IndexedDB), exported to JSON and compared.
 * Plain data only (structured-clonable, JSON-serialisable): no typed arrays, no class instances.
 */

export const RUN_RECORD_VERSION = 1;

/** The learning rate was changed during the run; it applies from epoch position `x` on. */
export interface LearningRateChange {
  x: number;
  learningRate: number;
}

/**
 * Where a run trained when it was not in this page: the exported PyTorch script
 * (model/pytorchExport.ts), run with python or torchrun, wrote it to a run file that was imported.
 */
export interface RunOrigin {
  kind: 'pytorch';
  /** As the script describes it: "PyTorch 1.13.1, cpu, torchrun ×2". */
  description: string;
  /** torch's device type: "cuda", "cpu", "mps". */
  device: string;
  /** Processes that trained together (torchrun's WORLD_SIZE); 1 without torchrun. */
  processes: number;
}

export interface RunRecord {
  version: typeof RUN_RECORD_VERSION;
  /** Unique and stable across reloads, e.g. "run-1764108000000-3". */
  id: string;
  /** A name the person gave the run; empty when they gave none (the label is then derived). */
  name: string;
  settings: Settings;
  /** Date.now() when Train was clicked, and when the run ended (null while running). */
  startedAt: number;
  endedAt: number | null;
  status: RunRecordStatus;
  /** Why it ended as it did (the diverged/failed/stopped message); null when done. */
  statusMessage: string | null;
  /** What tfjs ran on, the WebGPU adapter's description and the conv kernels (when known). */
  backend: BackendName | null;
  adapter: string | null;
  kernels: KernelChoice | null;
  batchesPerEpoch: number | null;
  /** Training time, pauses excluded. */
  elapsedMs: number;
  /** Training loss averaged over a few batches, decimated to at most a few thousand points. */
  batchLoss: SeriesPoint[];
  epochMetrics: EpochMetrics[];
  learningRateChanges: LearningRateChange[];
  /**
   * The most bytes the worker's tensors held at any report of the run (tf.memory().numBytes):
   * weights, gradients and activations on the GPU. Null when never reported.
   */
  peakTensorBytes: number | null;
  /** The exercise preset that queued this run, if any. */
  exercise: { id: string; title: string } | null;
  /**
   * What the run trained on, under the names it was given. Absent in records from before
   * uploads existed, which all trained on Fashion-MNIST (see dataSetOf).
   */
  dataSet?: DataSetInfo;
  /**
   * Counts the record's saves: each save writes a higher revision, and storage never replaces
   * a record with one of a lower revision (an older version written late). Absent in records
   * from before revisions, which count as 0.
   */
  revision?: number;
  /**
   * Where the run trained, when not in this page (see RunOrigin). Absent for the page's own
   * runs. Such a run has no checkpoint or model here: it cannot be resumed.
   */
  origin?: RunOrigin;
}

/** A record's revision; 0 for one from before revisions. */
export function revisionOf(record: Pick<RunRecord, 'revision'>): number {
  return record.revision ?? 0;
}

/** The data set a record trained on: Fashion-MNIST when the record does not say. */
export function dataSetOf(record: Pick<RunRecord, 'dataSet'>): DataSetInfo {
  return record.dataSet ?? FASHION_MNIST_INFO;
}
