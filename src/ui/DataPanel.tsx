import type { LoadProgress } from '../data/fashionMnist.ts';
import type { RunView } from '../state/trainerState.ts';
import { formatBytes, formatInteger } from './format.ts';

/** Where the data comes from and how far loading has got. */
export function DataPanel({
  progress,
  source,
  run,
}: {
  progress: LoadProgress | null;
  source: string | null;
  run: RunView | null;
}) {
  const loading = progress !== null && source === null;
  return (
    <section className="data-panel" aria-label="Data">
      <h2>Data</h2>
      {source === null && !loading && (
        <p className="muted">Fashion-MNIST (Zalando, MIT) loads when you first click Train.</p>
      )}
      {loading && progress !== null && (
        <div>
          <label htmlFor="data-progress">
            {progress.stage === 'download' ? 'Downloading' : 'Parsing'} {progress.file}
            {progress.totalBytes !== null
              ? `: ${formatBytes(progress.loadedBytes)} of ${formatBytes(progress.totalBytes)}`
              : `: ${formatBytes(progress.loadedBytes)}`}
          </label>
          <progress
            id="data-progress"
            value={progress.totalBytes === null ? undefined : progress.loadedBytes}
            max={progress.totalBytes ?? undefined}
          />
        </div>
      )}
      {source !== null && <p data-testid="data-source">Fashion-MNIST {source}.</p>}
      {run?.trainExamples != null && run.testExamples != null && (
        <p className="muted">
          This run: {formatInteger(run.trainExamples)} training and{' '}
          {formatInteger(run.testExamples)} validation images, {run.batchesPerEpoch} batches an
          epoch.
          {run.kernels !== null && (
            <span data-testid="kernels-in-use">
              {' '}
              Convolutions:{' '}
              {run.kernels === 'optimized' ? 'this project’s WGSL kernels' : 'TF.js’s own kernels'}.
            </span>
          )}
        </p>
      )}
      {run?.tensors != null && (
        <p className="muted" data-testid="tensor-readout">
          Worker tensors: {formatInteger(run.tensors.latest)} holding{' '}
          {formatBytes(run.tensors.bytes)} (between {formatInteger(run.tensors.min)} and{' '}
          {formatInteger(run.tensors.max)} during this run).
        </p>
      )}
    </section>
  );
}
