import { startTransition, useCallback, useEffect, useReducer, useRef } from 'react';
import type { BackendName, Settings } from '../config/settings.ts';
import { TrainerClient } from '../worker/client.ts';
import type { FromWorker, ResumeSource } from '../worker/protocol.ts';
import {
  INITIAL_TRAINER_STATE,
  trainerReducer,
  type ResumedHistory,
  type TrainerState,
} from './trainerState.ts';

export interface Trainer {
  state: TrainerState;
  /**
   * Starts a run, checkpointed under `checkpointKey` (the history record's id), or resumes that
   * run when `resumed` is given: from its checkpoint, or from its saved model (`from`).
   * Returns the trainer's run id.
   */
  train: (
    settings: Settings,
    checkpointKey: string,
    resumed?: ResumedHistory,
    from?: ResumeSource,
  ) => number;
  /** Stores the model the worker holds for `key` (state.heldModel). */
  saveModel: (key: string) => void;
  /** Validates the model saved for `key`, rebuilt from the run's settings. */
  evaluateSavedModel: (key: string, settings: Settings) => void;
  /** Asks for `key`'s model in the Layers format (a modelExported message). */
  exportModel: (key: string, settings: Settings) => void;
  /** Every message from the worker, after the state has taken it; returns an unsubscribe. */
  subscribe: (listener: (message: FromWorker) => void) => () => void;
  /** Changes the current run's learning rate from its next batch. */
  setLearningRate: (learningRate: number) => void;
  pause: () => void;
  resume: () => void;
  stop: () => void;
}

/**
 * Owns the training worker for the lifetime of the page and folds its events into state.
 * `backend` is started as soon as the page opens, so the person sees what will run.
 */
export function useTrainer(backend: BackendName): Trainer {
  const [state, dispatch] = useReducer(trainerReducer, INITIAL_TRAINER_STATE);
  const clientRef = useRef<TrainerClient | null>(null);
  const nextRunId = useRef(1);
  const listeners = useRef(new Set<(message: FromWorker) => void>());

  const backendRef = useRef(backend);
  useEffect(() => {
    backendRef.current = backend;
  }, [backend]);

  useEffect(() => {
    // A crashed worker, or one whose GPU device is lost, is replaced at once, so the person can
    // simply train again.
    const start = () => {
      const client = new TrainerClient((message) => {
        // A transition: React renders it in slices of a few milliseconds, yielding in between,
        // instead of one synchronous render of the page per message (issue #5).
        startTransition(() => dispatch({ type: 'worker', message }));
        for (const listener of listeners.current) listener(message);
        const needsNewWorker = message.type === 'workerCrashed' || message.type === 'deviceLost';
        if (needsNewWorker && clientRef.current === client) {
          client.terminate();
          start();
        }
      });
      clientRef.current = client;
      client.send({ type: 'initBackend', backend: backendRef.current });
    };
    start();
    return () => {
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
      from: ResumeSource = 'checkpoint',
    ) => {
      const runId = nextRunId.current++;
      currentRunId.current = runId;
      const resumeFrom = resumed === undefined ? null : from;
      dispatch({ type: 'trainRequested', runId, settings, resumed, from });
      clientRef.current?.send({ type: 'train', runId, settings, checkpointKey, resumeFrom });
      return runId;
    },
    [],
  );
  const saveModel = useCallback(
    (key: string) => clientRef.current?.send({ type: 'saveModel', key }),
    [],
  );
  const evaluateSavedModel = useCallback(
    (key: string, settings: Settings) =>
      clientRef.current?.send({ type: 'evaluateSavedModel', key, settings }),
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
  const pause = useCallback(() => clientRef.current?.send({ type: 'pause' }), []);
  const resume = useCallback(() => clientRef.current?.send({ type: 'resume' }), []);
  const stop = useCallback(() => clientRef.current?.send({ type: 'stop' }), []);

  return {
    state,
    train,
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
