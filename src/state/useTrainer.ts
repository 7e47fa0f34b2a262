import { useCallback, useEffect, useReducer, useRef } from 'react';
import type { BackendName, Settings } from '../config/settings.ts';
import { TrainerClient } from '../worker/client.ts';
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
   * run from its checkpoint when `resumed` is given. Returns the trainer's run id.
   */
  train: (settings: Settings, checkpointKey: string, resumed?: ResumedHistory) => number;
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

  const backendRef = useRef(backend);
  useEffect(() => {
    backendRef.current = backend;
  }, [backend]);

  useEffect(() => {
    // A crashed worker, or one whose GPU device is lost, is replaced at once, so the person can
    // simply train again.
    const start = () => {
      const client = new TrainerClient((message) => {
        dispatch({ type: 'worker', message });
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
    (settings: Settings, checkpointKey: string, resumed?: ResumedHistory) => {
      const runId = nextRunId.current++;
      currentRunId.current = runId;
      dispatch({ type: 'trainRequested', runId, settings, resumed });
      const resume = resumed !== undefined;
      clientRef.current?.send({ type: 'train', runId, settings, checkpointKey, resume });
      return runId;
    },
    [],
  );
  const setLearningRate = useCallback((learningRate: number) => {
    const runId = currentRunId.current;
    if (runId !== null) clientRef.current?.send({ type: 'setLearningRate', runId, learningRate });
  }, []);
  const pause = useCallback(() => clientRef.current?.send({ type: 'pause' }), []);
  const resume = useCallback(() => clientRef.current?.send({ type: 'resume' }), []);
  const stop = useCallback(() => clientRef.current?.send({ type: 'stop' }), []);

  return { state, train, setLearningRate, pause, resume, stop };
}
