import { memo, useState } from 'react';
import { settingsDifferences } from '../history/compare.ts';
import { exportRunsJson, runsMetricsCsv } from '../history/exportImport.ts';
import type { RunRecord } from '../history/runRecord.ts';
import { canResume } from '../state/historyState.ts';
import type { RunHistory } from '../state/useRunHistory.ts';
import { downloadText, fileTimestamp } from './download.ts';
import { formatPercent } from './format.ts';

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

/** How a run is listed: its name, else the settings that differ from the book's. */
function listLabel(record: RunRecord): string {
  return record.name.trim() || settingsDifferences(record.settings).join(', ') || 'book settings';
}

function RunItem({
  record,
  color,
  selected,
  deletable,
  checkpointEpoch,
  resumable,
  history,
}: {
  record: RunRecord;
  color: string | null;
  selected: boolean;
  deletable: boolean;
  /** Epochs done at the run's checkpoint, or null when it has none. */
  checkpointEpoch: number | null;
  /** Whether it can be resumed now (from the checkpoint). */
  resumable: boolean;
  history: RunHistory;
}) {
  const [renaming, setRenaming] = useState(false);
  const [draftName, setDraftName] = useState(record.name);
  const differences = settingsDifferences(record.settings);
  const label = listLabel(record);
  const checkboxId = `run-select-${record.id}`;
  const finishRename = () => {
    history.rename(record.id, draftName.trim().slice(0, 200));
    setRenaming(false);
  };
  return (
    <li className="run-item" data-run-id={record.id} data-status={record.status}>
      <input
        id={checkboxId}
        type="checkbox"
        checked={selected}
        onChange={() => history.toggleSelected(record.id)}
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
          <span className={`run-status status-${record.status}`}>{STATUS_TEXT[record.status]}</span>
          <span title="final validation accuracy">val {finalValAccuracy(record)}</span>
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
        {record.statusMessage !== null && record.status !== 'done' && (
          <div className="muted run-message">{record.statusMessage}</div>
        )}
      </div>
      <div className="run-actions">
        {resumable && checkpointEpoch !== null && (
          <button
            type="button"
            onClick={() => history.resumeRun(record.id)}
            aria-label={`Resume ${label} from epoch ${checkpointEpoch + 1}`}
            title={`Continue from the checkpoint after epoch ${checkpointEpoch}`}
          >
            Resume
          </button>
        )}
        <button
          type="button"
          onClick={() => {
            setDraftName(record.name || label);
            setRenaming(true);
          }}
          aria-label={`Rename ${label}`}
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
          disabled={!deletable}
          onClick={() => history.remove(record.id)}
          aria-label={`Delete ${label}`}
          title={deletable ? undefined : 'Stop the run before deleting it'}
        >
          Delete
        </button>
      </div>
    </li>
  );
}

/**
 * Every kept run, newest first: select runs to compare them, rename, delete (with undo),
 * export and import.
 */
export const RunsPanel = memo(function RunsPanel({
  history,
  colors,
  activeRecordId,
  trainerBusy,
}: {
  history: RunHistory;
  /** True while a run trains: no other run can be resumed then. */
  trainerBusy: boolean;
  /** Colours of the selected runs, as drawn on the charts. */
  colors: ReadonlyMap<string, string>;
  /** The run now training, which cannot be deleted. */
  activeRecordId: string | null;
}) {
  const { state } = history;
  const { records, selectedIds, lastDeleted, storageProblem, importMessage, checkpoints } = state;
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
        {history.storageKind === 'indexedDB' ? ' in this browser' : ' until the page closes'}. Tick
        runs to overlay them on the charts and compare them below.
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
              checkpointEpoch={checkpoints[record.id] ?? null}
              resumable={!trainerBusy && canResume(record)}
              history={history}
            />
          ))}
        </ul>
      )}
    </section>
  );
});
