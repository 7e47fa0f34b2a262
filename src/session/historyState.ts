import type { Settings } from '../config/settings.ts';
import { RUN_RECORD_VERSION, type RunRecord } from '../history/runRecord.ts';
import type { BackendReport, ModelTask } from '../worker/protocol.ts';
import {
  isActive,
  type ResumedHistory,
  type ResumeFrom,
  type RunState,
  type RunView,
} from './trainerState.ts';

/**
 * The run history as the page shows it: every kept run, which are selected for comparison,
 * the last deletion (for undo), and the queue of runs an exercise has lined up. A pure reducer;
 * the worker lives in session/store.ts, persistence in session/persistence.ts.
 */

export interface QueuedRun {
  /** Unique within the page. */
  queueId: number;
  settings: Settings;
  /** What sets it apart from the exercise's other runs, e.g. "dropout 0.7". */
  label: string;
  exercise: { id: string; title: string } | null;
}

export interface HistoryState {
  /** Newest first. */
  records: RunRecord[];
  /** False until the stored runs have been read. */
  loaded: boolean;
  selectedIds: string[];
  /** The last deleted run, restorable until the next deletion. */
  lastDeleted: { record: RunRecord; wasSelected: boolean } | null;
  queue: QueuedRun[];
  /** Runs that can be resumed: record id → epochs done at its checkpoint. */
  checkpoints: Readonly<Record<string, number>>;
  /** Runs with a model saved in the browser: record id → the saved model's epochs. */
  savedModels: Readonly<Record<string, number>>;
  /** What was done with a run's model on this page (save, evaluate, download): record id → it. */
  models: Readonly<Record<string, ModelRowState>>;
  /** The run started last on this page (the one the trainer shows), if any. */
  liveRecordId: string | null;
  /** Why runs are not (or not all) being saved, or null. */
  storageProblem: string | null;
  /**
   * Runs that another tab of this browser is training (record ids): shown as such and followed
   * as that tab saves them; this tab never resumes, deletes or saves them.
   */
  elsewhere: string[];
  /** The outcome of the last import, shown next to the import button. */
  importMessage: { ok: boolean; text: string } | null;
}

export interface ModelRowState {
  /** The task the worker is doing for this run's model, or null. */
  busy: ModelTask | null;
  /** The saved model's validation loss and accuracy, when it was evaluated. */
  evaluation: { epochs: number; valLoss: number; valAccuracy: number } | null;
  /** The outcome of the last task (ok: it worked). */
  message: { ok: boolean; text: string } | null;
}

const IDLE_MODEL: ModelRowState = { busy: null, evaluation: null, message: null };

export const INITIAL_HISTORY_STATE: HistoryState = {
  records: [],
  loaded: false,
  selectedIds: [],
  lastDeleted: null,
  queue: [],
  checkpoints: {},
  savedModels: {},
  models: {},
  liveRecordId: null,
  storageProblem: null,
  importMessage: null,
  elsewhere: [],
};

export type HistoryAction =
  | {
      type: 'loaded';
      records: RunRecord[];
      storageProblem: string | null;
      /** The ids of runs another tab is training. */
      elsewhere?: string[];
    }
  /** Another tab saved a run it trains (a new version, or its end), or it closed mid-run. */
  | { type: 'runUpdatedElsewhere'; record: RunRecord }
  /** A run started: it joins the history and the selection. */
  | { type: 'runStarted'; record: RunRecord }
  | { type: 'runUpdated'; record: RunRecord }
  /** An interrupted, stopped or failed run continues from its checkpoint, as the same record. */
  | { type: 'runResumed'; record: RunRecord }
  /** The checkpoints found in storage, or one run's checkpoint epoch (null: it has none). */
  | { type: 'checkpointsListed'; checkpoints: Record<string, number> }
  | { type: 'checkpointChanged'; id: string; epoch: number | null }
  /** The models saved in the browser, found in storage: record id → epochs. */
  | { type: 'savedModelsListed'; savedModels: Record<string, number> }
  | { type: 'modelTaskStarted'; id: string; task: ModelTask }
  | { type: 'modelSaved'; id: string; epochs: number }
  | {
      type: 'savedModelEvaluated';
      id: string;
      epochs: number;
      valLoss: number;
      valAccuracy: number;
    }
  | { type: 'modelDownloaded'; id: string; epochs: number; files: string[] }
  | { type: 'modelTaskFailed'; id: string; task: ModelTask; message: string }
  /** The worker was replaced: its tasks are lost. */
  | { type: 'modelTasksAborted'; message: string }
  | { type: 'renamed'; id: string; name: string }
  | { type: 'deleted'; id: string }
  | { type: 'undoDelete' }
  | { type: 'selectionToggled'; id: string }
  | { type: 'selectionSet'; ids: string[] }
  | { type: 'imported'; records: RunRecord[] }
  | { type: 'importRefused'; message: string }
  | {
      type: 'exerciseQueued';
      exercise: { id: string; title: string };
      runs: { queueId: number; settings: Settings; label: string }[];
    }
  | { type: 'queueItemRemoved'; queueId: number }
  | { type: 'queueCancelled' }
  /** The first queued run is being started. */
  | { type: 'queueShifted' }
  | { type: 'storageProblem'; message: string };

function newestFirst(records: RunRecord[]): RunRecord[] {
  return [...records].sort((a, b) => b.startedAt - a.startedAt);
}

function withModel(
  state: HistoryState,
  id: string,
  update: (model: ModelRowState) => ModelRowState,
): HistoryState {
  return { ...state, models: { ...state.models, [id]: update(state.models[id] ?? IDLE_MODEL) } };
}

export function historyReducer(state: HistoryState, action: HistoryAction): HistoryState {
  switch (action.type) {
    case 'loaded': {
      // Runs already started on this page (before the store answered) are kept too.
      const known = new Set(state.records.map((record) => record.id));
      const records = newestFirst([
        ...state.records,
        ...action.records.filter((record) => !known.has(record.id)),
      ]);
      return {
        ...state,
        records,
        loaded: true,
        storageProblem: action.storageProblem,
        elsewhere: action.elsewhere ?? [],
      };
    }
    case 'runUpdatedElsewhere': {
      const { record } = action;
      if (!state.elsewhere.includes(record.id)) return state;
      return {
        ...state,
        records: state.records.map((entry) => (entry.id === record.id ? record : entry)),
        elsewhere:
          record.status === 'running'
            ? state.elsewhere
            : state.elsewhere.filter((id) => id !== record.id),
      };
    }
    case 'runStarted':
      return {
        ...state,
        records: newestFirst([action.record, ...state.records]),
        selectedIds: [...state.selectedIds, action.record.id],
        liveRecordId: action.record.id,
      };
    case 'runUpdated':
      return {
        ...state,
        records: state.records.map((record) =>
          record.id === action.record.id ? { ...action.record, name: record.name } : record,
        ),
      };
    case 'runResumed':
      return {
        ...state,
        records: state.records.map((record) =>
          record.id === action.record.id ? action.record : record,
        ),
        selectedIds: state.selectedIds.includes(action.record.id)
          ? state.selectedIds
          : [...state.selectedIds, action.record.id],
        liveRecordId: action.record.id,
      };
    case 'checkpointsListed':
      return { ...state, checkpoints: { ...action.checkpoints, ...state.checkpoints } };
    case 'checkpointChanged': {
      if ((state.checkpoints[action.id] ?? null) === action.epoch) return state;
      const others = Object.entries(state.checkpoints).filter(([id]) => id !== action.id);
      const entries = action.epoch === null ? others : [...others, [action.id, action.epoch]];
      return { ...state, checkpoints: Object.fromEntries(entries) as Record<string, number> };
    }
    case 'savedModelsListed':
      return { ...state, savedModels: { ...action.savedModels, ...state.savedModels } };
    case 'modelTaskStarted':
      return withModel(state, action.id, (model) => ({
        ...model,
        busy: action.task,
        message: null,
      }));
    case 'modelSaved':
      return {
        ...withModel(state, action.id, (model) => ({
          ...model,
          busy: null,
          message: { ok: true, text: `Model saved in this browser (epoch ${action.epochs}).` },
        })),
        savedModels: { ...state.savedModels, [action.id]: action.epochs },
      };
    case 'savedModelEvaluated': {
      const { epochs, valLoss, valAccuracy } = action;
      return withModel(state, action.id, () => ({
        busy: null,
        evaluation: { epochs, valLoss, valAccuracy },
        message: null,
      }));
    }
    case 'modelDownloaded':
      return withModel(state, action.id, (model) => ({
        ...model,
        busy: null,
        message: {
          ok: true,
          text: `Downloaded the model after epoch ${action.epochs}: ${action.files.join(', ')}.`,
        },
      }));
    case 'modelTaskFailed':
      return withModel(state, action.id, (model) => ({
        ...model,
        busy: null,
        message: { ok: false, text: action.message },
      }));
    case 'modelTasksAborted':
      return {
        ...state,
        models: Object.fromEntries(
          Object.entries(state.models).map(([id, model]) => [
            id,
            model.busy === null
              ? model
              : { ...model, busy: null, message: { ok: false, text: action.message } },
          ]),
        ),
      };
    case 'renamed':
      // A run another tab trains is saved by that tab: a name given here would be lost.
      if (state.elsewhere.includes(action.id)) return state;
      return {
        ...state,
        records: state.records.map((record) =>
          record.id === action.id ? { ...record, name: action.name } : record,
        ),
      };
    case 'deleted': {
      const record = state.records.find((candidate) => candidate.id === action.id);
      // A run another tab trains is that tab's to delete.
      if (record === undefined || state.elsewhere.includes(action.id)) return state;
      return {
        ...state,
        records: state.records.filter((candidate) => candidate.id !== action.id),
        selectedIds: state.selectedIds.filter((id) => id !== action.id),
        lastDeleted: { record, wasSelected: state.selectedIds.includes(action.id) },
      };
    }
    case 'undoDelete': {
      if (state.lastDeleted === null) return state;
      const { record, wasSelected } = state.lastDeleted;
      return {
        ...state,
        records: newestFirst([record, ...state.records]),
        selectedIds: wasSelected ? [...state.selectedIds, record.id] : state.selectedIds,
        lastDeleted: null,
      };
    }
    case 'selectionToggled':
      return {
        ...state,
        selectedIds: state.selectedIds.includes(action.id)
          ? state.selectedIds.filter((id) => id !== action.id)
          : [...state.selectedIds, action.id],
      };
    case 'selectionSet':
      return { ...state, selectedIds: [...action.ids] };
    case 'imported': {
      const ids = action.records.map((record) => record.id);
      const noun = ids.length === 1 ? 'run' : 'runs';
      return {
        ...state,
        records: newestFirst([...action.records, ...state.records]),
        selectedIds: ids,
        importMessage: { ok: true, text: `Imported ${ids.length} ${noun}; they are selected.` },
      };
    }
    case 'importRefused':
      return { ...state, importMessage: { ok: false, text: action.message } };
    case 'exerciseQueued':
      // The exercise's runs join the selection one by one as they start; earlier runs leave it,
      // so that at the end the chart and the table show exactly the exercise's answer.
      return {
        ...state,
        queue: [
          ...state.queue,
          ...action.runs.map((run) => ({ ...run, exercise: action.exercise })),
        ],
        selectedIds: [],
      };
    case 'queueItemRemoved':
      return {
        ...state,
        queue: state.queue.filter((item) => item.queueId !== action.queueId),
      };
    case 'queueCancelled':
      return { ...state, queue: [] };
    case 'queueShifted':
      return { ...state, queue: state.queue.slice(1) };
    case 'storageProblem':
      return { ...state, storageProblem: action.message };
    default: {
      const unknown: never = action;
      return unknown;
    }
  }
}

/** What the history knows about a run beyond the trainer's view of it. */
export interface RunMeta {
  id: string;
  startedAt: number;
  exercise: { id: string; title: string } | null;
}

/**
 * The history record for the trainer's current run. `previous` is the record as last built
 * (for its end time); `now` is Date.now(), a parameter so this stays pure.
 */
export function recordFromRun(
  run: RunView,
  runState: RunState,
  meta: RunMeta,
  backend: BackendReport | null,
  previous: RunRecord | null,
  now: number,
): RunRecord {
  const running = run.endStatus === null && isActive(runState);
  const status = run.endStatus ?? (running ? 'running' : 'failed');
  return {
    version: RUN_RECORD_VERSION,
    id: meta.id,
    name: previous?.name ?? '',
    settings: run.settings,
    startedAt: meta.startedAt,
    endedAt: running ? null : (previous?.endedAt ?? now),
    status,
    statusMessage: run.endMessage,
    backend: backend?.backend ?? null,
    adapter: backend?.adapter?.description ?? null,
    kernels: run.kernels,
    batchesPerEpoch: run.batchesPerEpoch,
    elapsedMs: run.elapsedMs,
    batchLoss: run.batchLoss,
    epochMetrics: run.epochMetrics,
    learningRateChanges: run.learningRateChanges,
    // A resumed run keeps the peak of its earlier part.
    peakTensorBytes:
      run.tensors === null
        ? (previous?.peakTensorBytes ?? null)
        : Math.max(run.tensors.maxBytes, previous?.peakTensorBytes ?? 0),
    exercise: meta.exercise,
    dataSet: run.dataSet,
  };
}

/** A run found 'running' in storage when the page opens was cut off by a closed page. */
export function markInterrupted(record: RunRecord, now: number): RunRecord {
  if (record.status !== 'running') return record;
  const epochs = record.epochMetrics.length;
  return {
    ...record,
    status: 'interrupted',
    endedAt: now,
    statusMessage:
      `The page closed while this run was training; it is kept up to its last saved point ` +
      `(${epochs} of ${record.settings.epochs} epochs).`,
  };
}

/**
 * A run resumed from the checkpoint after `epochsDone` epochs keeps its history up to there: the
 * epochs, the loss points and the learning-rate changes made before the checkpoint was taken
 * (a change at x = epochsDone was taken at the first batch after it).
 */
export function historyUpTo(record: RunRecord, epochsDone: number): ResumedHistory {
  const epochMetrics = record.epochMetrics.filter((metrics) => metrics.epoch <= epochsDone);
  const learningRateChanges = record.learningRateChanges.filter((change) => change.x < epochsDone);
  return {
    epochsDone,
    epochMetrics,
    batchLoss: record.batchLoss.filter((point) => point.x <= epochsDone + 1e-9),
    learningRateChanges,
    learningRate: learningRateChanges.at(-1)?.learningRate ?? record.settings.learningRate,
    elapsedMs: epochMetrics.at(-1)?.elapsedMs ?? 0,
  };
}

/**
 * The statuses from which a run with a checkpoint can be resumed; with a saved model (`savedModel`),
 * a finished run can also be trained on (continued for more epochs).
 */
export function canResume(record: RunRecord, savedModel = false): boolean {
  // A run trained outside the page (the PyTorch script's) has no checkpoint or model here.
  if (record.origin !== undefined) return false;
  return (
    record.status === 'interrupted' ||
    record.status === 'stopped' ||
    record.status === 'failed' ||
    (savedModel && (record.status === 'done' || record.status === 'diverged'))
  );
}

/**
 * Where a run would continue from: its checkpoint (a run cut short), else its saved model, else,
 * for a run stopped or interrupted before its first checkpoint, its start; null when it cannot
 * continue.
 */
export function resumePoint(
  record: RunRecord,
  checkpointEpoch: number | null,
  savedModelEpoch: number | null,
): { from: ResumeFrom; epochsDone: number } | null {
  if (checkpointEpoch !== null && canResume(record)) {
    return { from: 'checkpoint', epochsDone: checkpointEpoch };
  }
  if (savedModelEpoch !== null && canResume(record, true)) {
    return { from: 'savedModel', epochsDone: savedModelEpoch };
  }
  // Its weights are seeded, so training it again from epoch 0 continues the same run; not one
  // trained outside the page, which this page would train differently.
  if (record.origin !== undefined) return null;
  if (record.status === 'stopped' || record.status === 'interrupted') {
    return { from: 'start', epochsDone: 0 };
  }
  return null;
}
