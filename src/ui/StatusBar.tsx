import type { BackendReport } from '../worker/protocol.ts';
import {
  estimatedRemainingMs,
  timePerBatchMs,
  type RunState,
  type RunView,
} from '../session/trainerState.ts';
import { formatDuration } from './format.ts';

function adapterText(report: BackendReport): string {
  const adapter = report.adapter;
  if (adapter === null) return '';
  const name = [adapter.vendor, adapter.architecture, adapter.device].filter(Boolean).join(' ');
  return ` on ${name || 'an unnamed adapter'}`;
}

function progressText(
  run: RunView | null,
  runState: RunState,
  estimatedTotalMs: number | null,
): string | null {
  const trialStatus = run?.kernelTrial?.status;
  if ((trialStatus === 'timing' || trialStatus === 'checking') && runState === 'loading data') {
    return `${trialStatus} the kernels on this GPU`;
  }
  const tuning = run?.kernelTuning;
  if (tuning?.status === 'tuning' && runState === 'loading data') {
    return `tuning the kernels for this GPU: ${tuning.shapesDone} of ${tuning.shapesTotal} shapes`;
  }
  if (run === null || run.batchesPerEpoch === null || runState === 'idle') return null;
  const total = run.batchesPerEpoch * run.settings.epochs;
  const epoch = Math.min(
    run.settings.epochs,
    Math.floor(run.batchesDone / run.batchesPerEpoch) + 1,
  );
  const parts = [
    `epoch ${epoch} of ${run.settings.epochs}`,
    `batch ${run.batchesDone} of ${total}`,
  ];
  // From the run's own pace once it has reported; before that, the estimate made before Train.
  const remaining =
    estimatedRemainingMs(run) ??
    (estimatedTotalMs === null ? null : estimatedTotalMs - run.elapsedMs);
  if ((runState === 'training' || runState === 'paused') && remaining !== null) {
    parts.push(`about ${formatDuration(Math.max(0, remaining))} left`);
  }
  if (runState === 'training' && run.pauseRequested) {
    // The step in progress cannot be interrupted: say so at once, with its usual length.
    const stepMs = timePerBatchMs(run);
    parts.push(`pausing after this step${stepMs === null ? '' : `, ≈ ${formatDuration(stepMs)}`}`);
  }
  return parts.join(' · ');
}

/** The one live region: backend in use and run state, plus progress and ETA. */
export function StatusBar({
  backend,
  runState,
  run,
  estimatedTotalMs,
}: {
  backend: BackendReport | null;
  runState: RunState;
  run: RunView | null;
  /** The whole run's estimate made before it started (model/speed.ts), or null. */
  estimatedTotalMs: number | null;
}) {
  const progress = progressText(run, runState, estimatedTotalMs);
  return (
    <div role="status" className="status-bar">
      <span>
        Backend: <strong data-testid="backend-name">{backend?.backend ?? 'starting…'}</strong>
        {backend !== null && adapterText(backend)}
      </span>
      <span>
        State: <strong data-testid="run-state">{runState}</strong>
      </span>
      {progress !== null && <span>{progress}</span>}
    </div>
  );
}
