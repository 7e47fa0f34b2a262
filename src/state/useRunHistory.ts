import { startTransition, useCallback, useEffect, useReducer, useRef } from 'react';
import type { Settings } from '../config/settings.ts';
import {
  assignFreshIds,
  exportRunsJson,
  importSizeProblem,
  parseRunsJson,
} from '../history/exportImport.ts';
import { modelFiles } from '../history/modelExport.ts';
import { dataSetOf, RUN_RECORD_VERSION, type RunRecord } from '../history/runRecord.ts';
import type { DataSetInfo } from '../common/types.ts';
import { deleteCheckpoint, listCheckpoints, recordIdOf } from '../storage/checkpointStore.ts';
import { openRunStore, type RunStore } from '../history/runStore.ts';
import { storageErrorMessage } from '../storage/idb.ts';
import { downloadBinary, downloadText } from '../browser/download.ts';
import {
  historyReducer,
  historyUpTo,
  INITIAL_HISTORY_STATE,
  markInterrupted,
  recordFromRun,
  resumePoint,
  type HistoryState,
  type RunMeta,
} from './historyState.ts';
import { currentDataId, isActive } from './trainerState.ts';
import type { Trainer } from './useTrainer.ts';

/** A running run is saved at least this often, so a closed page loses little. */
export const LIVE_SAVE_INTERVAL_MS = 2000;

/**
 * IndexedDB writes begun as the page closes may never finish, so the running run's last state is
 * also written synchronously to localStorage on pagehide, and merged back on the next load.
 */
export const LIVE_SNAPSHOT_KEY = 'alexnet-playground:live-run';

function takeLiveSnapshot(): RunRecord | null {
  try {
    const text = localStorage.getItem(LIVE_SNAPSHOT_KEY);
    localStorage.removeItem(LIVE_SNAPSHOT_KEY);
    if (text === null) return null;
    // Checked like an imported file: localStorage is outside the app's control too.
    const parsed = parseRunsJson(text);
    // Only running runs are snapshotted; the import turned 'running' into 'interrupted'.
    return parsed.ok && parsed.runs.length === 1 ? { ...parsed.runs[0], status: 'running' } : null;
  } catch {
    return null; // storage blocked: nothing was written either
  }
}

/** The more complete of two versions of the same run. */
function moreComplete(a: RunRecord, b: RunRecord): RunRecord {
  const progress = (record: RunRecord) => [record.epochMetrics.length, record.batchLoss.length];
  const [aEpochs, aPoints] = progress(a);
  const [bEpochs, bPoints] = progress(b);
  return aEpochs !== bEpochs ? (aEpochs > bEpochs ? a : b) : aPoints >= bPoints ? a : b;
}

export interface RunHistory {
  state: HistoryState;
  /** Where runs are kept, once known. */
  storageKind: RunStore['kind'] | null;
  startRun: (settings: Settings) => void;
  /**
   * Continues an interrupted, stopped or failed run from its last checkpoint, or a run with a
   * saved model from that model; `epochs` (the new total) trains it on beyond its settings.
   */
  resumeRun: (id: string, epochs?: number) => void;
  /** Saves the model the worker holds for this run in the browser. */
  saveModel: (id: string) => void;
  /** Validates the run's saved model again (e.g. after a reload). */
  evaluateModel: (id: string) => void;
  /** Downloads the run's model (held or saved) as model.json and a weights file. */
  downloadModel: (id: string) => void;
  queueExercise: (
    exercise: { id: string; title: string },
    runs: { settings: Settings; label: string }[],
  ) => void;
  removeQueued: (queueId: number) => void;
  cancelQueue: () => void;
  rename: (id: string, name: string) => void;
  remove: (id: string) => void;
  undoRemove: () => void;
  toggleSelected: (id: string) => void;
  setSelected: (ids: string[]) => void;
  importFile: (file: File) => Promise<void>;
}

function newRunId(): string {
  return `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

function newRecord(settings: Settings, meta: RunMeta, dataSet: DataSetInfo): RunRecord {
  return {
    version: RUN_RECORD_VERSION,
    id: meta.id,
    name: '',
    settings,
    startedAt: meta.startedAt,
    endedAt: null,
    status: 'running',
    statusMessage: null,
    backend: null,
    adapter: null,
    kernels: null,
    batchesPerEpoch: null,
    elapsedMs: 0,
    batchLoss: [],
    epochMetrics: [],
    learningRateChanges: [],
    peakTensorBytes: null,
    exercise: meta.exercise,
    dataSet,
  };
}

/**
 * Keeps every run: records the trainer's current run as it goes, saves runs in IndexedDB,
 * restores them on load (a run cut off by a closed page becomes 'interrupted'), and runs an
 * exercise's queue one run after another.
 */
export function useRunHistory(trainer: Trainer): RunHistory {
  const [state, dispatch] = useReducer(historyReducer, INITIAL_HISTORY_STATE);
  const storeRef = useRef<RunStore | null>(null);
  const recordsRef = useRef(state.records);
  useEffect(() => {
    recordsRef.current = state.records;
  }, [state.records]);
  const checkpointsRef = useRef(state.checkpoints);
  useEffect(() => {
    checkpointsRef.current = state.checkpoints;
  }, [state.checkpoints]);
  const savedModelsRef = useRef(state.savedModels);
  useEffect(() => {
    savedModelsRef.current = state.savedModels;
  }, [state.savedModels]);

  const save = useCallback((record: RunRecord) => {
    const store = storeRef.current;
    // Before the store opens, the record is saved by the next update or the load below.
    if (store === null) return;
    store.put(record).catch((error: unknown) => {
      dispatch({ type: 'storageProblem', message: storageErrorMessage('save a run', error) });
    });
  }, []);

  const [storageKind, setStorageKind] = useReducer(
    (_: RunStore['kind'] | null, kind: RunStore['kind']) => kind,
    null,
  );
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const { store, problem } = await openRunStore();
      if (cancelled) return;
      storeRef.current = store;
      setStorageKind(store.kind);
      let records: RunRecord[] = [];
      let loadProblem = problem;
      try {
        records = await store.loadAll();
      } catch (error) {
        loadProblem = storageErrorMessage('read the saved runs', error);
      }
      const snapshot = takeLiveSnapshot();
      if (snapshot !== null) {
        const stored = records.find((record) => record.id === snapshot.id);
        const best = stored === undefined ? snapshot : moreComplete(snapshot, stored);
        records = [...records.filter((record) => record.id !== snapshot.id), best];
      }
      const now = Date.now();
      const restored = records.map((record) => markInterrupted(record, now));
      restored.forEach((record, index) => {
        if (record !== records[index] || record === snapshot) save(record);
      });
      // Runs started before the store opened are saved now.
      for (const record of recordsRef.current) save(record);
      if (cancelled) return;
      dispatch({ type: 'loaded', records: restored, storageProblem: loadProblem });
      try {
        const known = new Set([...restored, ...recordsRef.current].map((record) => record.id));
        const checkpoints: Record<string, number> = {};
        const savedModels: Record<string, number> = {};
        for (const meta of await listCheckpoints()) {
          const id = recordIdOf(meta);
          // A checkpoint or model whose run was deleted is garbage from an earlier visit.
          if (!known.has(id)) await deleteCheckpoint(meta.runId);
          else if (meta.modelOf !== undefined) savedModels[id] = meta.epochsDone;
          else checkpoints[id] = meta.epochsDone;
        }
        if (!cancelled) {
          dispatch({ type: 'checkpointsListed', checkpoints });
          dispatch({ type: 'savedModelsListed', savedModels });
        }
      } catch (error) {
        const message = storageErrorMessage('read the checkpoints', error);
        if (!cancelled) dispatch({ type: 'storageProblem', message });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [save]);

  // The data the worker holds now: a run resumes or evaluates only on the data it trained on.
  const dataId = currentDataId(trainer.state.data);
  const dataIdRef = useRef(dataId);
  useEffect(() => {
    dataIdRef.current = dataId;
  }, [dataId]);

  // The trainer's current run, mapped to its history record.
  const liveRef = useRef<{ runId: number; meta: RunMeta } | null>(null);
  const lastSaveRef = useRef({ at: 0, status: '', epochs: 0, changes: 0 });
  const { train } = trainer;

  const start = useCallback(
    (settings: Settings, exercise: RunMeta['exercise']) => {
      const meta: RunMeta = { id: newRunId(), startedAt: Date.now(), exercise };
      const { runId, dataSet } = train(settings, meta.id);
      liveRef.current = { runId, meta };
      const record = newRecord(settings, meta, dataSet);
      dispatch({ type: 'runStarted', record });
      lastSaveRef.current = { at: Date.now(), status: 'running', epochs: 0, changes: 0 };
      save(record);
    },
    [train, save],
  );
  const startRun = useCallback((settings: Settings) => start(settings, null), [start]);

  const resumeRun = useCallback(
    (id: string, epochs?: number) => {
      const record = recordsRef.current.find((candidate) => candidate.id === id);
      if (record === undefined) return;
      const point = resumePoint(
        record,
        checkpointsRef.current[id] ?? null,
        savedModelsRef.current[id] ?? null,
      );
      if (point === null) return;
      const { epochsDone, from } = point;
      const settings = { ...record.settings, epochs: epochs ?? record.settings.epochs };
      // Nothing left to train.
      if (settings.epochs <= epochsDone) return;
      // The worker must hold the data the run trained on (uploaded files are not kept across
      // reloads); the Runs list says so and offers no Resume then.
      if (dataSetOf(record).id !== dataIdRef.current) return;
      const resumed = historyUpTo(record, epochsDone);
      const { runId } = train(settings, id, resumed, from, dataSetOf(record));
      liveRef.current = {
        runId,
        meta: { id, startedAt: record.startedAt, exercise: record.exercise },
      };
      const running: RunRecord = {
        ...record,
        settings,
        status: 'running',
        endedAt: null,
        statusMessage: null,
        epochMetrics: resumed.epochMetrics,
        batchLoss: resumed.batchLoss,
        learningRateChanges: resumed.learningRateChanges,
        elapsedMs: resumed.elapsedMs,
      };
      dispatch({ type: 'runResumed', record: running });
      lastSaveRef.current = {
        at: Date.now(),
        status: 'running',
        epochs: resumed.epochMetrics.length,
        changes: resumed.learningRateChanges.length,
      };
      save(running);
    },
    [train, save],
  );

  const { run, runState, backend } = trainer.state;
  useEffect(() => {
    const live = liveRef.current;
    if (live === null || run === null || run.runId !== live.runId) return;
    const previous = recordsRef.current.find((record) => record.id === live.meta.id) ?? null;
    // A deleted live run stays deleted.
    if (previous === null) return;
    const record = recordFromRun(run, runState, live.meta, backend, previous, Date.now());
    // The worker deletes the checkpoint of a finished or diverged run.
    const finished = record.status === 'done' || record.status === 'diverged';
    const epoch = finished ? null : run.checkpointEpoch;
    // A transition like the trainer's update that caused it: rendered in slices (issue #5).
    startTransition(() => {
      dispatch({ type: 'runUpdated', record });
      dispatch({ type: 'checkpointChanged', id: record.id, epoch });
    });
    const last = lastSaveRef.current;
    const milestone =
      record.status !== last.status ||
      record.epochMetrics.length !== last.epochs ||
      record.learningRateChanges.length !== last.changes;
    if (milestone || Date.now() - last.at >= LIVE_SAVE_INTERVAL_MS) {
      lastSaveRef.current = {
        at: Date.now(),
        status: record.status,
        epochs: record.epochMetrics.length,
        changes: record.learningRateChanges.length,
      };
      save(record);
    }
  }, [run, runState, backend, save]);

  // What the worker does with runs' models: saving, evaluating, downloading.
  const { subscribe, saveModel: sendSaveModel, evaluateSavedModel, exportModel } = trainer;
  useEffect(
    () =>
      subscribe((message) => {
        switch (message.type) {
          case 'modelSaved':
            dispatch({ type: 'modelSaved', id: message.key, epochs: message.epochs });
            break;
          case 'savedModelEvaluated': {
            const { key, epochs, valLoss, valAccuracy } = message;
            dispatch({ type: 'savedModelEvaluated', id: key, epochs, valLoss, valAccuracy });
            break;
          }
          case 'modelExported': {
            const record = recordsRef.current.find((candidate) => candidate.id === message.key);
            if (record === undefined) break;
            const files = modelFiles(record, message.model, message.epochs);
            downloadText(files.jsonName, files.json, 'application/json');
            downloadBinary(files.weightsName, files.weights);
            dispatch({
              type: 'modelDownloaded',
              id: message.key,
              epochs: message.epochs,
              files: [files.jsonName, files.weightsName],
            });
            break;
          }
          case 'modelTaskFailed':
            dispatch({
              type: 'modelTaskFailed',
              id: message.key,
              task: message.task,
              message: message.message,
            });
            break;
          case 'workerCrashed':
          case 'deviceLost':
            dispatch({
              type: 'modelTasksAborted',
              message: 'The training worker was replaced before it finished; try again.',
            });
            break;
          default:
            break;
        }
      }),
    [subscribe],
  );
  const saveModel = useCallback(
    (id: string) => {
      dispatch({ type: 'modelTaskStarted', id, task: 'save' });
      sendSaveModel(id);
    },
    [sendSaveModel],
  );
  const evaluateModel = useCallback(
    (id: string) => {
      const record = recordsRef.current.find((candidate) => candidate.id === id);
      if (record === undefined) return;
      const dataId = dataSetOf(record).id;
      if (dataId !== dataIdRef.current) return;
      dispatch({ type: 'modelTaskStarted', id, task: 'evaluate' });
      evaluateSavedModel(id, record.settings, dataId);
    },
    [evaluateSavedModel],
  );
  const downloadModel = useCallback(
    (id: string) => {
      const record = recordsRef.current.find((candidate) => candidate.id === id);
      if (record === undefined) return;
      dispatch({ type: 'modelTaskStarted', id, task: 'export' });
      exportModel(id, record.settings);
    },
    [exportModel],
  );

  // Closing the page mid-run: save what the page has, which the next load marks interrupted.
  useEffect(() => {
    const onPageHide = () => {
      const live = liveRef.current;
      const record = recordsRef.current.find((candidate) => candidate.id === live?.meta.id);
      if (record?.status !== 'running') return;
      save(record);
      try {
        localStorage.setItem(LIVE_SNAPSHOT_KEY, exportRunsJson([record]));
      } catch {
        // Storage full or blocked: the last periodic IndexedDB save stands.
      }
    };
    window.addEventListener('pagehide', onPageHide);
    return () => window.removeEventListener('pagehide', onPageHide);
  }, [save]);

  // The queue: whenever the trainer is free, the next queued run starts.
  const active = isActive(runState);
  const next = state.queue[0];
  useEffect(() => {
    if (active || next === undefined) return;
    dispatch({ type: 'queueShifted' });
    start(next.settings, next.exercise);
  }, [active, next, start]);

  const nextQueueId = useRef(1);
  const queueExercise = useCallback(
    (exercise: { id: string; title: string }, runs: { settings: Settings; label: string }[]) => {
      dispatch({
        type: 'exerciseQueued',
        exercise,
        runs: runs.map((run) => ({ queueId: nextQueueId.current++, ...run })),
      });
    },
    [],
  );

  const remove = useCallback((id: string) => {
    dispatch({ type: 'deleted', id });
    storeRef.current?.delete(id).catch((error: unknown) => {
      dispatch({ type: 'storageProblem', message: storageErrorMessage('delete a run', error) });
    });
  }, []);
  const lastDeleted = state.lastDeleted;
  const undoRemove = useCallback(() => {
    if (lastDeleted === null) return;
    dispatch({ type: 'undoDelete' });
    save(lastDeleted.record);
  }, [lastDeleted, save]);

  const rename = useCallback(
    (id: string, name: string) => {
      dispatch({ type: 'renamed', id, name });
      const record = recordsRef.current.find((candidate) => candidate.id === id);
      if (record !== undefined) save({ ...record, name });
    },
    [save],
  );

  const importFile = useCallback(
    async (file: File) => {
      // Checked before reading, so a huge file is never loaded into memory.
      const sizeProblem = importSizeProblem(file.size);
      if (sizeProblem !== null) {
        dispatch({
          type: 'importRefused',
          message: `"${file.name}" was not imported: ${sizeProblem}`,
        });
        return;
      }
      let text: string;
      try {
        text = await file.text();
      } catch (error) {
        dispatch({
          type: 'importRefused',
          message: `"${file.name}" could not be read (${String(error)}). Nothing was imported.`,
        });
        return;
      }
      const parsed = parseRunsJson(text);
      if (!parsed.ok) {
        dispatch({
          type: 'importRefused',
          message: `"${file.name}" was not imported: ${parsed.message}`,
        });
        return;
      }
      const existingIds = new Set(recordsRef.current.map((record) => record.id));
      const { runs } = assignFreshIds(parsed.runs, existingIds, newRunId);
      dispatch({ type: 'imported', records: runs });
      for (const record of runs) save(record);
    },
    [save],
  );

  return {
    state,
    storageKind,
    startRun,
    resumeRun,
    saveModel,
    evaluateModel,
    downloadModel,
    queueExercise,
    removeQueued: useCallback(
      (queueId: number) => dispatch({ type: 'queueItemRemoved', queueId }),
      [],
    ),
    cancelQueue: useCallback(() => dispatch({ type: 'queueCancelled' }), []),
    rename,
    remove,
    undoRemove,
    toggleSelected: useCallback((id: string) => dispatch({ type: 'selectionToggled', id }), []),
    setSelected: useCallback((ids: string[]) => dispatch({ type: 'selectionSet', ids }), []),
    importFile,
  };
}
