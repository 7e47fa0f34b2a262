import type { BackendName, Settings } from '../config/settings.ts';
import {
  DEFAULT_UPLOADED_CLASS_NAMES,
  DEFAULT_UPLOADED_DATA_SET_NAME,
  FASHION_MNIST_DATA_ID,
  uploadSizesProblem,
} from '../data/uploadedData.ts';
import type { DataSetInfo } from '../common/types.ts';
import { assignFreshIds, importSizeProblem, parseRunsJson } from '../history/exportImport.ts';
import { modelFiles } from '../history/modelExport.ts';
import { dataSetOf, RUN_RECORD_VERSION, type RunRecord } from '../history/runRecord.ts';
import {
  historyReducer,
  historyUpTo,
  INITIAL_HISTORY_STATE,
  recordFromRun,
  resumePoint,
  type HistoryAction,
  type HistoryState,
  type RunMeta,
} from './historyState.ts';
import {
  currentDataId,
  dataSetInfoOf,
  INITIAL_TRAINER_STATE,
  isActive,
  trainerReducer,
  type DataChoiceState,
  type ResumedHistory,
  type ResumeFrom,
  type TrainerAction,
  type TrainerState,
} from './trainerState.ts';
import type { RunStore } from '../history/runStore.ts';
import { STOP_TIMEOUT_MS } from '../worker/client.ts';
import type { DataChoice, FromWorker, ToWorker } from '../worker/protocol.ts';

/**
 * The page's one session store: a plain object (no React) that owns the training worker, folds
 * its messages and the person's requests into one state, and runs the exercise queue. React
 * reads it with useSyncExternalStore (ui/useSession.ts); persistence subscribes to it
 * (session/persistence.ts). It composes two pure reducers, each with its own tests:
 * trainerState.ts (the worker's events) and historyState.ts (the run history and the queue).
 *
 * The live run is held once: its series live in `trainer.run` (a RunView), whose batch reports
 * append to them in place. The history keeps for it only the record it started with (its name,
 * start time and exercise); `records` shows it built from the RunView by recordFromRun, which
 * shares the RunView's arrays rather than copying them.
 */

/** What a model task (save, evaluate, download) says when its worker was replaced under it. */
export const WORKER_REPLACED_MESSAGE =
  'The training worker was replaced before it finished; try again.';

/** The worker as the store uses it; TrainerClient in the page, a fake in the tests. */
export interface WorkerHandle {
  send(message: ToWorker): void;
  terminate(): void;
}

/** What the store needs from outside; injected, so that it runs in Node under test. */
export interface SessionDeps {
  /** Starts a worker whose messages (and crash reports) go to `onMessage`. */
  createWorker: (onMessage: (message: FromWorker) => void) => WorkerHandle;
  /** Hands a file to the person (a download). */
  saveFile: (fileName: string, contents: string | ArrayBuffer, mimeType: string) => void;
  now?: () => number;
  newRecordId?: () => string;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

/**
 * How soon the page must show a change. 'now': the person's edits (a controlled input, such as
 * a run's checkbox, must show its new value in the event's own task, or React puts the old one
 * back). 'soon': a worker's messages and the start of a run, whose renders are large; the page
 * shows them in a task of their own (ui/useSession.ts).
 */
export type ChangeUrgency = 'now' | 'soon';

/** The run the trainer trains now, and the history record it is kept as. */
export interface LiveRun {
  runId: number;
  meta: RunMeta;
}

export interface SessionState {
  trainer: TrainerState;
  /** Kept runs; the live run's entry is the record it started with (see the header). */
  history: HistoryState;
  live: LiveRun | null;
  /** Every kept run, newest first, the live one as it is now: what the page and storage see. */
  records: RunRecord[];
  /** Where runs are kept, once the run store has opened. */
  storageKind: RunStore['kind'] | null;
}

export function newRecordId(): string {
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
 * The current choice under its names. A queued run may start while the person is still typing
 * a name that does not validate: it then trains under the default names rather than not at all.
 */
function currentDataSet(data: DataChoiceState): DataSetInfo {
  const checked = dataSetInfoOf(data);
  if (checked.ok) return checked.info;
  return {
    id: data.uploaded?.id ?? FASHION_MNIST_DATA_ID,
    name: DEFAULT_UPLOADED_DATA_SET_NAME,
    classNames: [...DEFAULT_UPLOADED_CLASS_NAMES],
  };
}

/** The history's records with the live run's entry built from the trainer's view of it. */
function composeRecords(
  trainer: TrainerState,
  history: HistoryState,
  live: LiveRun | null,
  now: number,
): RunRecord[] {
  const run = trainer.run;
  if (live === null || run === null || run.runId !== live.runId) return history.records;
  // Its entry is the record it started with: its name, and a resumed run's peak memory.
  return history.records.map((entry) =>
    entry.id === live.meta.id
      ? recordFromRun(run, trainer.runState, live.meta, trainer.backend, entry, now)
      : entry,
  );
}

export class SessionStore {
  private state: SessionState;
  private readonly listeners = new Set<(urgency: ChangeUrgency) => void>();
  private readonly messageListeners = new Set<(message: FromWorker) => void>();
  private readonly now: () => number;
  private readonly newRecordId: () => string;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;
  private worker: WorkerHandle | null = null;
  private backend: BackendName | null = null;
  private nextRunId = 1;
  private nextQueueId = 1;
  /** The run the worker was asked to train and has not ended yet, as messages arrive. */
  private runInWorker: number | null = null;
  private readonly stopTimers = new Set<unknown>();
  /** The files last sent to the worker, and those it accepted: a new worker gets them again. */
  private sentFiles: DataChoice | null = null;
  private acceptedFiles: DataChoice | null = null;

  constructor(private readonly deps: SessionDeps) {
    this.now = deps.now ?? Date.now;
    this.newRecordId = deps.newRecordId ?? newRecordId;
    this.setTimer = deps.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.clearTimer =
      deps.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
    this.state = {
      trainer: INITIAL_TRAINER_STATE,
      history: INITIAL_HISTORY_STATE,
      live: null,
      records: INITIAL_HISTORY_STATE.records,
      storageKind: null,
    };
  }

  // --- reading (useSyncExternalStore's contract: stable functions, immutable snapshots) ---

  readonly getState = (): SessionState => this.state;

  /** `listener` hears of every change, with how soon it must be shown. */
  readonly subscribe = (listener: (urgency: ChangeUrgency) => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** Every worker message, after the state has taken it (e.g. for tests); returns unsubscribe. */
  readonly onWorkerMessage = (listener: (message: FromWorker) => void): (() => void) => {
    this.messageListeners.add(listener);
    return () => {
      this.messageListeners.delete(listener);
    };
  };

  // --- folding ---

  /**
   * Takes the next state without notifying: commits a live run that has ended (its final record
   * replaces its entry in the history), builds `records`, and starts the next queued run.
   */
  private set(trainer: TrainerState, history: HistoryState, live: LiveRun | null): void {
    let nextHistory = history;
    let nextLive = live;
    const run = trainer.run;
    if (nextLive !== null && run?.runId === nextLive.runId && !isActive(trainer.runState)) {
      const liveId = nextLive.meta.id;
      const record = composeRecords(trainer, nextHistory, nextLive, this.now()).find(
        (candidate) => candidate.id === liveId,
      );
      // None when the live run was deleted: a deleted run stays deleted.
      if (record !== undefined) {
        nextHistory = historyReducer(nextHistory, { type: 'runUpdated', record });
        // The worker deletes the checkpoint of a finished or diverged run.
        const finished = record.status === 'done' || record.status === 'diverged';
        nextHistory = historyReducer(nextHistory, {
          type: 'checkpointChanged',
          id: record.id,
          epoch: finished ? null : run.checkpointEpoch,
        });
      }
      nextLive = null;
    }
    const records = composeRecords(trainer, nextHistory, nextLive, this.now());
    this.state = { ...this.state, trainer, history: nextHistory, live: nextLive, records };
    this.startQueuedRun();
  }

  /** Takes the next state and tells the subscribers, unless nothing changed. */
  private publish(
    trainer: TrainerState,
    history: HistoryState,
    live: LiveRun | null,
    urgency: ChangeUrgency = 'now',
  ): void {
    const before = this.state;
    if (trainer === before.trainer && history === before.history && live === before.live) return;
    this.set(trainer, history, live);
    this.notify(urgency);
  }

  private notify(urgency: ChangeUrgency = 'now'): void {
    for (const listener of this.listeners) listener(urgency);
  }

  private dispatchTrainer(action: TrainerAction): void {
    const { trainer, history, live } = this.state;
    this.publish(trainerReducer(trainer, action), history, live);
  }

  /** A history action, e.g. from persistence (loaded runs, storage problems). */
  readonly dispatchHistory = (action: HistoryAction): void => {
    const { trainer, history, live } = this.state;
    this.publish(trainer, historyReducer(history, action), live);
  };

  readonly setStorageKind = (kind: RunStore['kind']): void => {
    this.state = { ...this.state, storageKind: kind };
    this.notify();
  };

  private onMessage(worker: WorkerHandle, message: FromWorker): void {
    // A replaced worker's last messages are no longer about this page's runs.
    if (this.worker !== worker) return;
    if (message.type === 'runEnded' && message.runId === this.runInWorker) {
      this.runInWorker = null;
    }
    if (message.type === 'dataChosen') {
      this.acceptedFiles = message.summary === null ? null : this.sentFiles;
    }
    const { trainer, history, live } = this.state;
    let nextHistory = history;
    const historyAction = this.historyActionOf(message);
    if (historyAction !== null) nextHistory = historyReducer(history, historyAction);
    // The live run's checkpoint shows in the Runs list (Resume) as soon as it is saved.
    if (message.type === 'checkpointSaved' && live !== null && message.runId === live.runId) {
      nextHistory = historyReducer(nextHistory, {
        type: 'checkpointChanged',
        id: live.meta.id,
        epoch: message.epoch,
      });
    }
    // A crashed worker, or one whose GPU device is lost, is replaced at once, so the person can
    // simply train again; before the state moves on, so that the next queued run goes to the
    // new worker.
    if (message.type === 'workerCrashed' || message.type === 'deviceLost') {
      this.runInWorker = null;
      worker.terminate();
      this.startWorker();
    }
    this.publish(trainerReducer(trainer, { type: 'worker', message }), nextHistory, live, 'soon');
    for (const listener of this.messageListeners) listener(message);
  }

  /** What the worker's message means for the runs' models (saving, evaluating, downloading). */
  private historyActionOf(message: FromWorker): HistoryAction | null {
    switch (message.type) {
      case 'modelSaved':
        return { type: 'modelSaved', id: message.key, epochs: message.epochs };
      case 'savedModelEvaluated': {
        const { key, epochs, valLoss, valAccuracy } = message;
        return { type: 'savedModelEvaluated', id: key, epochs, valLoss, valAccuracy };
      }
      case 'modelExported': {
        const record = this.findRecord(message.key);
        if (record === undefined) return null;
        const files = modelFiles(record, message.model, message.epochs);
        this.deps.saveFile(files.jsonName, files.json, 'application/json');
        this.deps.saveFile(files.weightsName, files.weights, 'application/octet-stream');
        return {
          type: 'modelDownloaded',
          id: message.key,
          epochs: message.epochs,
          files: [files.jsonName, files.weightsName],
        };
      }
      case 'modelTaskFailed':
        return {
          type: 'modelTaskFailed',
          id: message.key,
          task: message.task,
          message: message.message,
        };
      case 'workerCrashed':
      case 'deviceLost':
        return { type: 'modelTasksAborted', message: WORKER_REPLACED_MESSAGE };
      default:
        return null;
    }
  }

  private findRecord(id: string): RunRecord | undefined {
    return this.state.records.find((record) => record.id === id);
  }

  // --- the worker ---

  private startWorker(): void {
    const worker: WorkerHandle = this.deps.createWorker((message) =>
      this.onMessage(worker, message),
    );
    this.worker = worker;
    if (this.backend !== null) worker.send({ type: 'initBackend', backend: this.backend });
    if (this.acceptedFiles !== null) {
      this.sentFiles = this.acceptedFiles;
      worker.send({ type: 'useData', choice: this.acceptedFiles });
    }
  }

  private send(message: ToWorker): void {
    this.worker?.send(message);
  }

  /** Starts the worker on `backend` (at the page's start), or moves it to another backend. */
  readonly setBackend = (backend: BackendName): void => {
    if (this.backend === backend && this.worker !== null) return;
    this.backend = backend;
    if (this.worker === null) this.startWorker();
    else this.send({ type: 'initBackend', backend });
  };

  /** Ends the worker and the timers (the page's teardown; tests). */
  readonly dispose = (): void => {
    for (const timer of this.stopTimers) this.clearTimer(timer);
    this.stopTimers.clear();
    this.worker?.terminate();
    this.worker = null;
  };

  // --- training ---

  /** Starts trainer run `meta` (or continues it, with `resumed`); returns its data set. */
  private train(
    settings: Settings,
    meta: RunMeta,
    resumed?: ResumedHistory,
    from: ResumeFrom = 'checkpoint',
    recordedDataSet?: DataSetInfo,
  ): { runId: number; dataSet: DataSetInfo } {
    const runId = this.nextRunId++;
    this.runInWorker = runId;
    // From its start, a resumed run trains like a new one, under the same checkpoint key.
    const resumeFrom = resumed === undefined || from === 'start' ? null : from;
    const dataSet = recordedDataSet ?? currentDataSet(this.state.trainer.data);
    const trainer = trainerReducer(this.state.trainer, {
      type: 'trainRequested',
      runId,
      settings,
      resumed,
      from,
      dataSet,
    });
    // Set without notifying: the caller adds the history entry and notifies once.
    this.state = { ...this.state, trainer, live: { runId, meta } };
    this.send({
      type: 'train',
      runId,
      settings,
      checkpointKey: meta.id,
      resumeFrom,
      dataId: dataSet.id,
    });
    return { runId, dataSet };
  }

  private start(settings: Settings, exercise: RunMeta['exercise']): void {
    const meta: RunMeta = { id: this.newRecordId(), startedAt: this.now(), exercise };
    const { dataSet } = this.train(settings, meta);
    const record = newRecord(settings, meta, dataSet);
    const { trainer, history, live } = this.state;
    this.set(trainer, historyReducer(history, { type: 'runStarted', record }), live);
  }

  /** Whenever the trainer is free, the next queued run starts. */
  private startQueuedRun(): void {
    const { trainer, history } = this.state;
    const next = history.queue[0];
    if (isActive(trainer.runState) || next === undefined) return;
    this.state = { ...this.state, history: historyReducer(history, { type: 'queueShifted' }) };
    // The caller notifies.
    this.start(next.settings, next.exercise);
  }

  readonly startRun = (settings: Settings): void => {
    this.start(settings, null);
    this.notify('soon');
  };

  /**
   * Continues an interrupted, stopped or failed run from its last checkpoint, or a run with a
   * saved model from that model; `epochs` (the new total) trains it on beyond its settings.
   */
  readonly resumeRun = (id: string, epochs?: number): void => {
    const { history, trainer } = this.state;
    const record = this.findRecord(id);
    if (record === undefined) return;
    const point = resumePoint(
      record,
      history.checkpoints[id] ?? null,
      history.savedModels[id] ?? null,
    );
    if (point === null) return;
    const { epochsDone, from } = point;
    const settings = { ...record.settings, epochs: epochs ?? record.settings.epochs };
    // Nothing left to train.
    if (settings.epochs <= epochsDone) return;
    // The worker must hold the data the run trained on (uploaded files are not kept across
    // reloads); the Runs list says so and offers no Resume then.
    if (dataSetOf(record).id !== currentDataId(trainer.data)) return;
    const resumed = historyUpTo(record, epochsDone);
    const meta = { id, startedAt: record.startedAt, exercise: record.exercise };
    this.train(settings, meta, resumed, from, dataSetOf(record));
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
    const state = this.state;
    let nextHistory = historyReducer(state.history, { type: 'runResumed', record: running });
    nextHistory = historyReducer(nextHistory, {
      type: 'checkpointChanged',
      id,
      epoch: state.trainer.run?.checkpointEpoch ?? null,
    });
    this.set(state.trainer, nextHistory, state.live);
    this.notify();
  };

  readonly setLearningRate = (learningRate: number): void => {
    const runId = this.state.trainer.run?.runId;
    if (runId !== undefined) this.send({ type: 'setLearningRate', runId, learningRate });
  };

  /** Asks the worker to pause after its step in progress; the state says so meanwhile. */
  readonly pause = (): void => {
    this.send({ type: 'pause' });
    this.dispatchTrainer({ type: 'pauseRequested' });
  };

  readonly resume = (): void => this.send({ type: 'resume' });

  /**
   * Asks the worker to stop; if it has not ended the run within STOP_TIMEOUT_MS (a step cannot
   * be interrupted), replaces the worker and ends the run stopped.
   */
  readonly stop = (): void => {
    this.send({ type: 'stop' });
    const runId = this.runInWorker;
    if (runId === null) return;
    const timer = this.setTimer(() => {
      this.stopTimers.delete(timer);
      // Ended in time (or the worker was replaced meanwhile): nothing to do.
      if (this.runInWorker !== runId) return;
      this.runInWorker = null;
      this.worker?.terminate();
      this.startWorker();
      // The old worker takes any model task with it, as a crash does.
      const { trainer, history, live } = this.state;
      this.publish(
        trainerReducer(trainer, { type: 'stopForced', runId }),
        historyReducer(history, { type: 'modelTasksAborted', message: WORKER_REPLACED_MESSAGE }),
        live,
      );
    }, STOP_TIMEOUT_MS);
    this.stopTimers.add(timer);
  };

  // --- data ---

  /**
   * Hands the person's IDX files to the worker, which reads and checks them; the result lands in
   * the state. The page reads none of them: it posts the File objects (see protocol.ts's
   * DataChoice), after checking their sizes, which File.size gives without reading.
   */
  readonly chooseDataFiles = (files: readonly File[]): void => {
    const sizeProblem = uploadSizesProblem(files);
    if (sizeProblem !== null) {
      this.dispatchTrainer({ type: 'dataFilesRefused', message: sizeProblem });
      return;
    }
    this.dispatchTrainer({ type: 'dataFilesChosen', fileNames: files.map((file) => file.name) });
    const choice: DataChoice = { kind: 'uploaded', files: [...files] };
    this.sentFiles = choice;
    this.send({ type: 'useData', choice });
  };

  /** Back to Fashion-MNIST for the next run. */
  readonly chooseFashionMnist = (): void => {
    this.sentFiles = { kind: 'fashion-mnist' };
    this.send({ type: 'useData', choice: { kind: 'fashion-mnist' } });
  };

  /** The uploaded set's name and class names as typed. */
  readonly editDataNames = (edit: { name?: string; classNames?: string[] }): void =>
    this.dispatchTrainer({ type: 'dataNamesEdited', ...edit });

  // --- models ---

  /** Saves the model the worker holds for this run in the browser. */
  readonly saveModel = (id: string): void => {
    this.dispatchHistory({ type: 'modelTaskStarted', id, task: 'save' });
    this.send({ type: 'saveModel', key: id });
  };

  /** Validates the run's saved model again (e.g. after a reload), on the data it trained on. */
  readonly evaluateModel = (id: string): void => {
    const record = this.findRecord(id);
    if (record === undefined) return;
    const dataId = dataSetOf(record).id;
    if (dataId !== currentDataId(this.state.trainer.data)) return;
    this.dispatchHistory({ type: 'modelTaskStarted', id, task: 'evaluate' });
    this.send({ type: 'evaluateSavedModel', key: id, settings: record.settings, dataId });
  };

  /** Downloads the run's model (held or saved) as model.json and a weights file. */
  readonly downloadModel = (id: string): void => {
    const record = this.findRecord(id);
    if (record === undefined) return;
    this.dispatchHistory({ type: 'modelTaskStarted', id, task: 'export' });
    this.send({ type: 'exportModel', key: id, settings: record.settings });
  };

  // --- the runs list and the queue ---

  readonly queueExercise = (
    exercise: { id: string; title: string },
    runs: { settings: Settings; label: string }[],
  ): void =>
    this.dispatchHistory({
      type: 'exerciseQueued',
      exercise,
      runs: runs.map((run) => ({ queueId: this.nextQueueId++, ...run })),
    });

  readonly removeQueued = (queueId: number): void =>
    this.dispatchHistory({ type: 'queueItemRemoved', queueId });

  readonly cancelQueue = (): void => this.dispatchHistory({ type: 'queueCancelled' });

  readonly rename = (id: string, name: string): void =>
    this.dispatchHistory({ type: 'renamed', id, name });

  readonly remove = (id: string): void => this.dispatchHistory({ type: 'deleted', id });

  readonly undoRemove = (): void => this.dispatchHistory({ type: 'undoDelete' });

  readonly toggleSelected = (id: string): void =>
    this.dispatchHistory({ type: 'selectionToggled', id });

  readonly setSelected = (ids: string[]): void =>
    this.dispatchHistory({ type: 'selectionSet', ids });

  /** Imports runs from an exported JSON file, under fresh ids where they clash. */
  readonly importFile = async (file: File): Promise<void> => {
    // Checked before reading, so a huge file is never loaded into memory.
    const sizeProblem = importSizeProblem(file.size);
    if (sizeProblem !== null) {
      this.dispatchHistory({
        type: 'importRefused',
        message: `"${file.name}" was not imported: ${sizeProblem}`,
      });
      return;
    }
    let text: string;
    try {
      text = await file.text();
    } catch (error) {
      this.dispatchHistory({
        type: 'importRefused',
        message: `"${file.name}" could not be read (${String(error)}). Nothing was imported.`,
      });
      return;
    }
    const parsed = parseRunsJson(text);
    if (!parsed.ok) {
      this.dispatchHistory({
        type: 'importRefused',
        message: `"${file.name}" was not imported: ${parsed.message}`,
      });
      return;
    }
    const existingIds = new Set(this.state.records.map((record) => record.id));
    const { runs } = assignFreshIds(parsed.runs, existingIds, this.newRecordId);
    this.dispatchHistory({ type: 'imported', records: runs });
  };
}
