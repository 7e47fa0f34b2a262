import { memo, useState } from 'react';
import { distinguishingSettings } from '../history/compare.ts';
import { exportRunsJson, runsMetricsCsv } from '../history/exportImport.ts';
import { dataSetOf, type RunRecord } from '../history/runRecord.ts';
import { resumePoint, type ModelRowState } from '../session/historyState.ts';
import type { SessionStore } from '../session/store.ts';
import { downloadText, fileTimestamp } from '../browser/download.ts';
import { formatPercent } from './format.ts';
import { useSession, useSessionStore } from './useSession.ts';

const STATUS_TEXT: Readonly<Record<RunRecord['status'], string>> = {
  running: 'running',
  done: 'done',
  stopped: 'stopped',
  diverged: 'diverged',
  failed: 'failed',
  interrupted: 'interrupted',
};

function finalValAccuracy(record: RunRecord): string {
  const last = record.epochMetrics.at(-1);
  return last === undefined ? '—' : formatPercent(last.valAccuracy);
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** What sets a run apart from the book's: its data set when not Fashion-MNIST, and settings. */
function differencesOf(record: RunRecord): string[] {
  return distinguishingSettings([record])[0];
}

/** How a run is listed: its name, else what differs from the book's. */
function listLabel(record: RunRecord): string {
  return record.name.trim() || differencesOf(record).join(', ') || 'book settings';
}

const ELSEWHERE_HINT = 'Another tab is training this run: rename or delete it there.';

const MODEL_TASK_TEXT: Readonly<Record<NonNullable<ModelRowState['busy']>, string>> = {
  save: 'saving the model…',
  evaluate: 'evaluating the saved model…',
  export: 'preparing the download…',
};

const DOWNLOAD_HINT =
  'TensorFlow.js Layers format: model.json (with this run’s settings and metrics) and a ' +
  'weights file, for tf.loadLayersModel or Keras’s converter (tensorflowjs_converter); with ' +
  'LRN on, the model has a custom layer that Keras does not know.';

/** What a row can do; a stable object (every function is a useCallback), so rows memoise. */
type RunActions = Pick<
  SessionStore,
  | 'rename'
  | 'toggleSelected'
  | 'resumeRun'
  | 'saveModel'
  | 'evaluateModel'
  | 'downloadModel'
  | 'remove'
>;

/**
 * One run. Memoised: while a run trains, its record changes with every batch report, and only
 * its own row should render again, however many runs are listed.
 */
const RunItem = memo(function RunItem({
  record,
  color,
  selected,
  deletable,
  trainingElsewhere,
  checkpointEpoch,
  savedModelEpoch,
  heldModelEpoch,
  model,
  busy,
  dataLoaded,
  actions,
}: {
  record: RunRecord;
  color: string | null;
  selected: boolean;
  deletable: boolean;
  /** Another tab of this browser trains it: that tab alone renames, resumes or deletes it. */
  trainingElsewhere: boolean;
  /** Epochs done at the run's checkpoint, or null when it has none. */
  checkpointEpoch: number | null;
  /** Epochs of the model saved for this run in the browser, or null when none is. */
  savedModelEpoch: number | null;
  /** Epochs of this run's model that the worker holds (the last run, ended done), or null. */
  heldModelEpoch: number | null;
  model: ModelRowState | null;
  /** True while a run trains or runs are queued: nothing can be resumed or evaluated then. */
  busy: boolean;
  /** Whether the data the run trained on is the data chosen now (its files are loaded). */
  dataLoaded: boolean;
  actions: RunActions;
}) {
  const [renaming, setRenaming] = useState(false);
  const [moreEpochs, setMoreEpochs] = useState(String(record.settings.epochs));
  const [draftName, setDraftName] = useState(record.name);
  const differences = differencesOf(record);
  const label = listLabel(record);
  const checkboxId = `run-select-${record.id}`;
  const finishRename = () => {
    actions.rename(record.id, draftName.trim().slice(0, 200));
    setRenaming(false);
  };
  // Resuming or evaluating needs the data the run trained on.
  const point = busy || !dataLoaded ? null : resumePoint(record, checkpointEpoch, savedModelEpoch);
  // A finished run goes on from its saved model for more epochs; others resume to their end.
  const finished = record.status === 'done' || record.status === 'diverged';
  const resumeTo = point === null || finished ? null : point.epochsDone + 1;
  const more = Number(moreEpochs);
  const continueTotal =
    point !== null && finished && Number.isInteger(more) && more >= 1
      ? point.epochsDone + more
      : null;
  const modelBusy = busy || (model?.busy ?? null) !== null;
  const hasModel = heldModelEpoch !== null || savedModelEpoch !== null;
  return (
    <li className="run-item" data-run-id={record.id} data-status={record.status}>
      <input
        id={checkboxId}
        type="checkbox"
        checked={selected}
        onChange={() => actions.toggleSelected(record.id)}
      />
      <span className="swatch" style={{ background: color ?? 'transparent' }} aria-hidden="true" />
      <div className="run-body">
        {renaming ? (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              finishRename();
            }}
          >
            <input
              aria-label="Run name"
              value={draftName}
              maxLength={200}
              autoFocus
              onChange={(event) => setDraftName(event.target.value)}
              onBlur={finishRename}
            />
          </form>
        ) : (
          <label htmlFor={checkboxId} className="run-label">
            {label}
          </label>
        )}
        <div className="run-meta">
          <span className={`run-status status-${record.status}`}>
            {trainingElsewhere ? 'training in another tab' : STATUS_TEXT[record.status]}
          </span>
          <span title="final validation accuracy">val {finalValAccuracy(record)}</span>
          {record.origin !== undefined && (
            <span
              className="run-origin"
              data-testid="run-origin"
              title="Trained outside the browser by the exported PyTorch script, and imported from its run file: it cannot be resumed here"
            >
              outside the browser: {record.origin.description}
            </span>
          )}
          <span className="muted">{timeFormat.format(record.startedAt)}</span>
          {checkpointEpoch !== null && (
            <span className="muted run-checkpoint">checkpoint after epoch {checkpointEpoch}</span>
          )}
          {record.name.trim() !== '' && (
            <span className="muted">{differences.join(', ') || 'book settings'}</span>
          )}
        </div>
        {record.learningRateChanges.length > 0 && (
          <div className="muted run-lr-changes">
            {record.learningRateChanges
              .map((change) => `lr → ${change.learningRate} at epoch ${change.x.toFixed(2)}`)
              .join('; ')}
          </div>
        )}
        {!dataLoaded && (checkpointEpoch !== null || savedModelEpoch !== null) && (
          <div className="muted run-data-missing">
            Trained on {dataSetOf(record).name}: choose those files under Data to resume or evaluate
            it.
          </div>
        )}
        {record.statusMessage !== null && record.status !== 'done' && (
          <div className="muted run-message">{record.statusMessage}</div>
        )}
        {(hasModel || model !== null) && (
          <div className="run-model" data-testid="run-model">
            {savedModelEpoch !== null && (
              <span className="muted run-saved-model">model saved (epoch {savedModelEpoch})</span>
            )}
            {heldModelEpoch !== null && savedModelEpoch === null && (
              <span className="muted">trained model in memory until the next run</span>
            )}
            {model?.evaluation && (
              <span
                className="run-evaluation"
                title={`saved model after epoch ${model.evaluation.epochs}: validation loss ${model.evaluation.valLoss}`}
              >
                evaluated: val {formatPercent(model.evaluation.valAccuracy)}
              </span>
            )}
            {model?.busy && <span className="muted">{MODEL_TASK_TEXT[model.busy]}</span>}
            {model?.message && (
              <span className={model.message.ok ? 'muted' : 'error'} role="status">
                {model.message.text}
              </span>
            )}
          </div>
        )}
      </div>
      <div className="run-actions">
        {point !== null && resumeTo !== null && (
          <button
            type="button"
            onClick={() => actions.resumeRun(record.id)}
            aria-label={`Resume ${label} from epoch ${resumeTo}`}
            title={
              point.from === 'checkpoint'
                ? `Continue from the checkpoint after epoch ${point.epochsDone}`
                : point.from === 'savedModel'
                  ? `Continue from the saved model after epoch ${point.epochsDone}`
                  : 'Train it again from its start, as the same run: it ended before its first checkpoint'
            }
          >
            Resume
          </button>
        )}
        {point !== null && finished && (
          <span className="continue-training">
            <input
              type="number"
              min={1}
              max={1000}
              step={1}
              value={moreEpochs}
              onChange={(event) => setMoreEpochs(event.target.value)}
              aria-label={`More epochs for ${label}`}
              title="Epochs to train on from the saved model"
            />
            <button
              type="button"
              disabled={continueTotal === null || continueTotal > 1000}
              onClick={() => continueTotal !== null && actions.resumeRun(record.id, continueTotal)}
              aria-label={`Continue training ${label}`}
              title={`Train on from the saved model after epoch ${point.epochsDone}`}
            >
              Continue training
            </button>
          </span>
        )}
        {heldModelEpoch !== null && (
          <button
            type="button"
            disabled={modelBusy}
            onClick={() => actions.saveModel(record.id)}
            aria-label={`Save model of ${label}`}
            title="Keep the trained model in this browser, to evaluate, download or train on later"
          >
            Save model
          </button>
        )}
        {savedModelEpoch !== null && (
          <button
            type="button"
            disabled={modelBusy || !dataLoaded}
            onClick={() => actions.evaluateModel(record.id)}
            aria-label={`Evaluate saved model of ${label}`}
            title="Validation loss and accuracy of the saved model on the run’s validation images"
          >
            Evaluate
          </button>
        )}
        {hasModel && (
          <button
            type="button"
            disabled={modelBusy}
            onClick={() => actions.downloadModel(record.id)}
            aria-label={`Download model of ${label}`}
            title={DOWNLOAD_HINT}
          >
            Download model
          </button>
        )}
        <button
          type="button"
          disabled={trainingElsewhere}
          onClick={() => {
            setDraftName(record.name || label);
            setRenaming(true);
          }}
          aria-label={`Rename ${label}`}
          title={trainingElsewhere ? ELSEWHERE_HINT : undefined}
        >
          Rename
        </button>
        <button
          type="button"
          onClick={() =>
            downloadText(`${record.id}.json`, exportRunsJson([record]), 'application/json')
          }
          aria-label={`Export ${label}`}
        >
          Export
        </button>
        <button
          type="button"
          disabled={!deletable || trainingElsewhere}
          onClick={() => actions.remove(record.id)}
          aria-label={`Delete ${label}`}
          title={
            trainingElsewhere
              ? ELSEWHERE_HINT
              : deletable
                ? undefined
                : 'Stop the run before deleting it'
          }
        >
          Delete
        </button>
      </div>
    </li>
  );
});

/**
 * Every kept run, newest first: select runs to compare them, rename, delete (with undo),
 * export and import.
 */
export const RunsPanel = memo(function RunsPanel({
  colors,
  activeRecordId,
  trainerBusy,
  heldModel,
  currentDataId,
}: {
  /** The data set chosen now (DataSetInfo.id): runs on other data cannot resume or evaluate. */
  currentDataId: string;
  /** The run whose trained model the worker holds, and its epochs. */
  heldModel: { key: string; epochs: number } | null;
  /** True while a run trains: no other run can be resumed then. */
  trainerBusy: boolean;
  /** Colours of the selected runs, as drawn on the charts. */
  colors: ReadonlyMap<string, string>;
  /** The run now training, which cannot be deleted. */
  activeRecordId: string | null;
}) {
  // The store's methods are stable, so the rows memoise.
  const history = useSessionStore();
  const actions: RunActions = history;
  const records = useSession((s) => s.records);
  const state = useSession((s) => s.history);
  const storageKind = useSession((s) => s.storageKind);
  const { selectedIds, lastDeleted, storageProblem, importMessage, checkpoints } = state;
  const { savedModels, models } = state;
  const exportAll = () =>
    downloadText(
      `alexnet-runs-${fileTimestamp(new Date())}.json`,
      exportRunsJson(records),
      'application/json',
    );
  const exportCsv = () => {
    const chosen = records.filter((record) => selectedIds.includes(record.id));
    downloadText(
      `alexnet-metrics-${fileTimestamp(new Date())}.csv`,
      runsMetricsCsv(chosen.length > 0 ? chosen : records),
      'text/csv',
    );
  };
  return (
    <section className="panel runs" aria-labelledby="runs-heading">
      <h2 id="runs-heading">Runs</h2>
      <p className="muted">
        Every run is kept
        {storageKind === 'indexedDB' ? ' in this browser' : ' until the page closes'}. Tick runs to
        overlay them on the charts and compare them below.
      </p>
      {storageProblem !== null && (
        <p className="warning" role="alert">
          {storageProblem}
        </p>
      )}
      <div className="buttons">
        <button type="button" disabled={records.length === 0} onClick={exportAll}>
          Export all (JSON)
        </button>
        <button type="button" disabled={records.length === 0} onClick={exportCsv}>
          Export metrics (CSV)
        </button>
        <label className="file-button">
          Import runs (JSON)
          <input
            type="file"
            accept=".json,application/json"
            onChange={(event) => {
              const file = event.target.files?.[0];
              event.target.value = '';
              if (file !== undefined) void history.importFile(file);
            }}
          />
        </label>
        <button
          type="button"
          disabled={selectedIds.length === 0}
          onClick={() => history.setSelected([])}
        >
          Clear selection
        </button>
      </div>
      {importMessage !== null && (
        <p
          className={importMessage.ok ? 'muted' : 'error'}
          role="alert"
          data-testid="import-message"
        >
          {importMessage.text}
        </p>
      )}
      {lastDeleted !== null && (
        <p className="undo-bar" role="status">
          Deleted “{listLabel(lastDeleted.record)}”.{' '}
          <button type="button" onClick={history.undoRemove}>
            Undo
          </button>
        </p>
      )}
      {records.length === 0 ? (
        <p className="muted">{state.loaded ? 'No runs yet.' : 'Reading saved runs…'}</p>
      ) : (
        <ul className="run-list" aria-label="Runs">
          {records.map((record) => (
            <RunItem
              key={record.id}
              record={record}
              color={colors.get(record.id) ?? null}
              selected={selectedIds.includes(record.id)}
              deletable={record.id !== activeRecordId}
              trainingElsewhere={state.elsewhere.includes(record.id)}
              checkpointEpoch={checkpoints[record.id] ?? null}
              savedModelEpoch={savedModels[record.id] ?? null}
              heldModelEpoch={heldModel?.key === record.id ? heldModel.epochs : null}
              model={models[record.id] ?? null}
              busy={trainerBusy}
              dataLoaded={dataSetOf(record).id === currentDataId}
              actions={actions}
            />
          ))}
        </ul>
      )}
    </section>
  );
});
