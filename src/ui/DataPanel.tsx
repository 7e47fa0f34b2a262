import { useId } from 'react';
import type { LoadProgress } from '../data/fashionMnist.ts';
import {
  MAX_CLASS_NAME_CHARS,
  MAX_DATA_SET_NAME_CHARS,
  UPLOAD_ROLES,
  type UploadRole,
} from '../data/uploadedData.ts';
import { dataSetInfoOf, type DataChoiceState, type RunView } from '../session/trainerState.ts';
import { formatBytes, formatInteger } from './format.ts';
import { KernelsNote } from './KernelsNote.tsx';

const ROLE_TEXT: Readonly<Record<UploadRole, string>> = {
  trainImages: 'training images',
  trainLabels: 'training labels',
  testImages: 'test images',
  testLabels: 'test labels',
};

/**
 * The person's own IDX files in place of Fashion-MNIST: pick four files, see which is which and
 * how many images they hold, and name the data set and its classes.
 */
function OwnData({
  data,
  disabled,
  onChooseFiles,
  onUseFashionMnist,
  onEditNames,
}: {
  data: DataChoiceState;
  disabled: boolean;
  onChooseFiles: (files: File[]) => void;
  onUseFashionMnist: () => void;
  onEditNames: (edit: { name?: string; classNames?: string[] }) => void;
}) {
  const inputId = useId();
  const { uploaded } = data;
  const names = dataSetInfoOf(data);
  return (
    <div className="own-data">
      <label htmlFor={inputId}>
        {uploaded === null ? 'Train on your own data' : 'Choose other files'}
      </label>
      <input
        id={inputId}
        type="file"
        multiple
        disabled={disabled || data.checking !== null}
        aria-describedby={`${inputId}-hint`}
        onChange={(event) => {
          const files = Array.from(event.target.files ?? []);
          // Cleared so that choosing the same files again (after a reload of the worker) fires.
          event.target.value = '';
          if (files.length > 0) onChooseFiles(files);
        }}
      />
      <p className="hint muted" id={`${inputId}-hint`}>
        Four IDX files, gzip or raw, as MNIST ships them: training images, training labels, test
        images, test labels. Ten classes (labels 0–9), one-channel square images of any size. The
        files stay in this tab: nothing is uploaded to a server, and they are not kept after the
        page closes.
      </p>
      {data.checking !== null && <p role="status">Checking {data.checking.join(', ')}…</p>}
      {data.problem !== null && (
        <p className="error" role="alert" data-testid="upload-problem">
          {data.problem}
        </p>
      )}
      {uploaded !== null && (
        <div className="uploaded" data-testid="uploaded-data">
          <p>
            Training on your files: {formatInteger(uploaded.trainCount)} training and{' '}
            {formatInteger(uploaded.testCount)} test images, {uploaded.imageSize}×
            {uploaded.imageSize} pixels.
          </p>
          <ul className="muted uploaded-files">
            {UPLOAD_ROLES.map((role) => (
              <li key={role}>
                {ROLE_TEXT[role]}: {uploaded.files[role]}
              </li>
            ))}
          </ul>
          <div className="field">
            <label htmlFor={`${inputId}-name`}>Data set name</label>
            <input
              id={`${inputId}-name`}
              type="text"
              maxLength={MAX_DATA_SET_NAME_CHARS + 10}
              value={data.name}
              disabled={disabled}
              onChange={(event) => onEditNames({ name: event.target.value })}
            />
          </div>
          <fieldset className="class-names" disabled={disabled}>
            <legend>Class names</legend>
            {data.classNames.map((name, classId) => (
              <label key={classId} className="class-name">
                <span>{classId}</span>
                <input
                  type="text"
                  aria-label={`Name of class ${classId}`}
                  maxLength={MAX_CLASS_NAME_CHARS + 10}
                  value={name}
                  onChange={(event) => {
                    const classNames = [...data.classNames];
                    classNames[classId] = event.target.value;
                    onEditNames({ classNames });
                  }}
                />
              </label>
            ))}
          </fieldset>
          {!names.ok && (
            <p className="error" role="alert" data-testid="data-names-problem">
              {names.message}
            </p>
          )}
          <button type="button" disabled={disabled} onClick={onUseFashionMnist}>
            Back to Fashion-MNIST
          </button>
        </div>
      )}
    </div>
  );
}

/** Where the data comes from and how far loading has got. */
export function DataPanel({
  progress,
  source,
  run,
  data,
  busy,
  onChooseFiles,
  onUseFashionMnist,
  onEditNames,
}: {
  progress: LoadProgress | null;
  source: string | null;
  run: RunView | null;
  data: DataChoiceState;
  /** A run is active: the data cannot change under it. */
  busy: boolean;
  onChooseFiles: (files: File[]) => void;
  onUseFashionMnist: () => void;
  onEditNames: (edit: { name?: string; classNames?: string[] }) => void;
}) {
  const loading = progress !== null && source === null;
  return (
    <section className="data-panel" aria-label="Data">
      <h2>Data</h2>
      {data.uploaded === null && source === null && !loading && (
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
      {source !== null && run !== null && (
        <p data-testid="data-source">
          {run.dataSet.name} {source}.
        </p>
      )}
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
      {run !== null && <KernelsNote trial={run.kernelTrial} tuning={run.kernelTuning} />}
      {run?.tensors != null && (
        <p className="muted" data-testid="tensor-readout">
          Worker tensors: {formatInteger(run.tensors.latest)} holding{' '}
          {formatBytes(run.tensors.bytes)} (between {formatInteger(run.tensors.min)} and{' '}
          {formatInteger(run.tensors.max)} during this run).
        </p>
      )}
      <OwnData
        data={data}
        disabled={busy}
        onChooseFiles={onChooseFiles}
        onUseFashionMnist={onUseFashionMnist}
        onEditNames={onEditNames}
      />
    </section>
  );
}
