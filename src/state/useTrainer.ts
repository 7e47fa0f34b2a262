import { startTransition, useCallback, useEffect, useReducer, useRef } from 'react';
import type { BackendName, Settings } from '../config/settings.ts';
import {
  DEFAULT_UPLOADED_CLASS_NAMES,
  DEFAULT_UPLOADED_DATA_SET_NAME,
  FASHION_MNIST_DATA_ID,
  uploadSizeProblem,
} from '../data/uploadedData.ts';
import type { DataSetInfo } from '../common/types.ts';
import { STOP_TIMEOUT_MS, TrainerClient } from '../worker/client.ts';
import type { DataChoice, FromWorker } from '../worker/protocol.ts';
import {
  dataSetInfoOf,
  INITIAL_TRAINER_STATE,
  trainerReducer,
  type DataChoiceState,
  type ResumedHistory,
  type ResumeFrom,
  type TrainerState,
} from './trainerState.ts';

export interface Trainer {
  state: TrainerState;
  /**
   * Starts a run, checkpointed under `checkpointKey` (the history record's id), or resumes that
   * run when `resumed` is given: from its checkpoint, its saved model or its start (`from`).
   * Returns the trainer's run id and the data set it trains on.
   */
  train: (
    settings: Settings,
    checkpointKey: string,
    resumed?: ResumedHistory,
    from?: ResumeFrom,
    /** A resumed run keeps the names it was recorded with; else the current choice's. */
    dataSet?: DataSetInfo,
  ) => { runId: number; dataSet: DataSetInfo };
  /** Reads the person's IDX files and has the worker check them; the result lands in state.data. */
  chooseDataFiles: (files: readonly File[]) => void;
  /** Back to Fashion-MNIST for the next run. */
  chooseFashionMnist: () => void;
  /** The uploaded set's name and class names as typed. */
  editDataNames: (edit: { name?: string; classNames?: string[] }) => void;
  /** Stores the model the worker holds for `key` (state.heldModel). */
  saveModel: (key: string) => void;
  /** Validates the model saved for `key`, rebuilt from the run's settings. */
  evaluateSavedModel: (key: string, settings: Settings, dataId: string) => void;
  /** Asks for `key`'s model in the Layers format (a modelExported message). */
  exportModel: (key: string, settings: Settings) => void;
  /** Every message from the worker, after the state has taken it; returns an unsubscribe. */
  subscribe: (listener: (message: FromWorker) => void) => () => void;
  /** Changes the current run's learning rate from its next batch. */
  setLearningRate: (learningRate: number) => void;
  /** Asks the worker to pause after its step in progress; state.run says so meanwhile. */
  pause: () => void;
  resume: () => void;
  /**
   * Asks the worker to stop; if it has not ended the run within STOP_TIMEOUT_MS (a step cannot
   * be interrupted), replaces the worker and ends the run stopped.
   */
  stop: () => void;
}

/**
 * Owns the training worker for the lifetime of the page and folds its events into state.
 * `backend` is started as soon as the page opens, so the person sees what will run.
 */
export function useTrainer(backend: BackendName): Trainer {
  const [state, dispatch] = useReducer(trainerReducer, INITIAL_TRAINER_STATE);
  const clientRef = useRef<TrainerClient | null>(null);
  const dataRef = useRef<DataChoiceState>(state.data);
  useEffect(() => {
    dataRef.current = state.data;
  }, [state.data]);
  // The files last sent to the worker, and those it accepted: kept (as copies) so that a
  // replacement worker gets them again after a crash.
  const sentFilesRef = useRef<DataChoice | null>(null);
  const acceptedFilesRef = useRef<DataChoice | null>(null);
  const nextRunId = useRef(1);
  const listeners = useRef(new Set<(message: FromWorker) => void>());
  // The run the worker has been asked to train and has not ended yet (set as the message is
  // received, not when React renders it), and how to replace the worker.
  const runInWorker = useRef<number | null>(null);
  const replaceWorker = useRef<() => void>(() => undefined);
  const stopTimers = useRef(new Set<ReturnType<typeof setTimeout>>());

  const backendRef = useRef(backend);
  useEffect(() => {
    backendRef.current = backend;
  }, [backend]);

  useEffect(() => {
    // A crashed worker, or one whose GPU device is lost, is replaced at once, so the person can
    // simply train again.
    const start = () => {
      const client = new TrainerClient((message) => {
        // A replaced worker's last messages are no longer about this page's runs.
        if (clientRef.current !== client) return;
        if (message.type === 'runEnded' && message.runId === runInWorker.current) {
          runInWorker.current = null;
        }
        if (message.type === 'dataChosen') {
          acceptedFilesRef.current = message.summary === null ? null : sentFilesRef.current;
        }
        // A transition: React renders it in slices of a few milliseconds, yielding in between,
        // instead of one synchronous render of the page per message (issue #5).
        startTransition(() => dispatch({ type: 'worker', message }));
        for (const listener of listeners.current) listener(message);
        const needsNewWorker = message.type === 'workerCrashed' || message.type === 'deviceLost';
        if (needsNewWorker) {
          runInWorker.current = null;
          client.terminate();
          start();
        }
      });
      clientRef.current = client;
      client.send({ type: 'initBackend', backend: backendRef.current });
      if (acceptedFilesRef.current !== null) {
        sentFilesRef.current = acceptedFilesRef.current;
        client.send({ type: 'useData', choice: acceptedFilesRef.current });
      }
    };
    replaceWorker.current = () => {
      clientRef.current?.terminate();
      start();
    };
    start();
    const timers = stopTimers.current;
    return () => {
      for (const timer of timers) clearTimeout(timer);
      clientRef.current?.terminate();
      clientRef.current = null;
    };
  }, []);

  useEffect(() => {
    clientRef.current?.send({ type: 'initBackend', backend });
  }, [backend]);

  const currentRunId = useRef<number | null>(null);
  const train = useCallback(
    (
      settings: Settings,
      checkpointKey: string,
      resumed?: ResumedHistory,
      from: ResumeFrom = 'checkpoint',
      recordedDataSet?: DataSetInfo,
    ) => {
      const runId = nextRunId.current++;
      currentRunId.current = runId;
      runInWorker.current = runId;
      // From its start, a resumed run trains like a new one, under the same checkpoint key.
      const resumeFrom = resumed === undefined || from === 'start' ? null : from;
      const dataSet = recordedDataSet ?? currentDataSet(dataRef.current);
      dispatch({ type: 'trainRequested', runId, settings, resumed, from, dataSet });
      clientRef.current?.send({
        type: 'train',
        runId,
        settings,
        checkpointKey,
        resumeFrom,
        dataId: dataSet.id,
      });
      return { runId, dataSet };
    },
    [],
  );
  const chooseDataFiles = useCallback((files: readonly File[]) => {
    const fileNames = files.map((file) => file.name);
    // Checked before reading, so a huge file never fills the page's memory.
    const tooBig = files.find((file) => uploadSizeProblem(file.size) !== null);
    if (tooBig !== undefined) {
      const message = `${tooBig.name}: ${uploadSizeProblem(tooBig.size)}.`;
      dispatch({ type: 'dataFilesRefused', message });
      return;
    }
    dispatch({ type: 'dataFilesChosen', fileNames });
    Promise.all(files.map(async (file) => ({ name: file.name, bytes: await file.arrayBuffer() })))
      .then((read) => {
        const choice: DataChoice = { kind: 'uploaded', files: read };
        sentFilesRef.current = choice;
        // Copied, not transferred: the page keeps the bytes for a replacement worker.
        clientRef.current?.send({ type: 'useData', choice });
      })
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        dispatch({
          type: 'dataFilesRefused',
          message: `The browser could not read the files (${reason}); choose them again.`,
        });
      });
  }, []);
  const chooseFashionMnist = useCallback(() => {
    sentFilesRef.current = { kind: 'fashion-mnist' };
    clientRef.current?.send({ type: 'useData', choice: { kind: 'fashion-mnist' } });
  }, []);
  const editDataNames = useCallback(
    (edit: { name?: string; classNames?: string[] }) =>
      dispatch({ type: 'dataNamesEdited', ...edit }),
    [],
  );
  const saveModel = useCallback(
    (key: string) => clientRef.current?.send({ type: 'saveModel', key }),
    [],
  );
  const evaluateSavedModel = useCallback(
    (key: string, settings: Settings, dataId: string) =>
      clientRef.current?.send({ type: 'evaluateSavedModel', key, settings, dataId }),
    [],
  );
  const exportModel = useCallback(
    (key: string, settings: Settings) =>
      clientRef.current?.send({ type: 'exportModel', key, settings }),
    [],
  );
  const subscribe = useCallback((listener: (message: FromWorker) => void) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const setLearningRate = useCallback((learningRate: number) => {
    const runId = currentRunId.current;
    if (runId !== null) clientRef.current?.send({ type: 'setLearningRate', runId, learningRate });
  }, []);
  const pause = useCallback(() => {
    clientRef.current?.send({ type: 'pause' });
    dispatch({ type: 'pauseRequested' });
  }, []);
  const resume = useCallback(() => clientRef.current?.send({ type: 'resume' }), []);
  const stop = useCallback(() => {
    clientRef.current?.send({ type: 'stop' });
    const runId = runInWorker.current;
    if (runId === null) return;
    const timer = setTimeout(() => {
      stopTimers.current.delete(timer);
      // Ended in time (or the worker was replaced meanwhile): nothing to do.
      if (runInWorker.current !== runId) return;
      runInWorker.current = null;
      replaceWorker.current();
      dispatch({ type: 'stopForced', runId });
    }, STOP_TIMEOUT_MS);
    stopTimers.current.add(timer);
  }, []);

  return {
    state,
    train,
    chooseDataFiles,
    chooseFashionMnist,
    editDataNames,
    setLearningRate,
    pause,
    resume,
    stop,
    saveModel,
    evaluateSavedModel,
    exportModel,
    subscribe,
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
