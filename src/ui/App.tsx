import { useCallback, useEffect, useMemo } from 'react';
import {
  architectureFromDraft,
  DEFAULT_SETTINGS,
  parseNumericSetting,
  type SettingsErrors,
} from '../config/settings.ts';
import { architectureOf, trainingMemoryOf } from '../model/settingsCheck.ts';
import { gpuFitProblem } from '../model/memory.ts';
import { alexNetLayers } from '../model/architecture.ts';
import { computeLayerTable } from '../model/layerTable.ts';
import { currentDataId, dataSetInfoOf, deviceSpeedOf, isActive } from '../session/trainerState.ts';
import {
  EXERCISE_MIN_TRAIN_EXAMPLES,
  EXERCISE_RUN_BUDGET_MS,
  EXERCISE_RUNGS,
  fitToDevice,
  QUICK_BUDGET_MS,
  QUICK_RUNGS,
  type FittedSettings,
} from '../model/deviceFit.ts';
import { estimateRun } from '../model/speed.ts';
import { exerciseReading } from '../history/exerciseReading.ts';
import { isBookRun } from '../config/bookResult.ts';
import { DeviceFit } from './DeviceFit.tsx';
import { RunEstimate } from './RunEstimate.tsx';
import { useDebouncedValue } from './useDebouncedValue.ts';
import { FASHION_MNIST_INFO } from '../data/uploadedData.ts';
import { useSettingsDraft } from './useSettingsDraft.ts';
import { AccuracyChart, LossChart } from './Charts.tsx';
import { ConfusionMatrix } from './ConfusionMatrix.tsx';
import { DataPanel } from './DataPanel.tsx';
import { EpochTable } from './EpochTable.tsx';
import { FiltersGrid } from './FiltersGrid.tsx';
import { LayerTable } from './LayerTable.tsx';
import { PredictionsGrid } from './PredictionsGrid.tsx';
import { SettingsForm } from './SettingsForm.tsx';
import { StatusBar } from './StatusBar.tsx';
import { startupText } from './startupText.ts';
import { BackendNotes } from './BackendNotes.tsx';
import { ComparisonTable } from './ComparisonTable.tsx';
import { ExercisesPanel } from './ExercisesPanel.tsx';
import { LearningRateControl } from './LearningRateControl.tsx';
import { PytorchExportButton } from './PytorchExportButton.tsx';
import { RunsPanel } from './RunsPanel.tsx';
import { ThroughputChart } from './ThroughputChart.tsx';
import {
  BOOK_SETTINGS_LABEL,
  comparisonRows,
  overlaySeries,
  settingsDifferences,
} from '../history/compare.ts';
import { useSession, useSessionStore } from './useSession.ts';

const NO_POINTS: never[] = [];
/** The estimate and the fitted scales follow the form once typing pauses this long. */
const ESTIMATE_DEBOUNCE_MS = 300;
// Stable empty values keep the memoised form and charts from re-rendering on every batch.
const NO_ERRORS: SettingsErrors = {};

function numberOrNull(parsed: { ok: true; value: number } | { ok: false }): number | null {
  return parsed.ok ? parsed.value : null;
}

export function App() {
  const { draft, validation, urlNotices, setField, setFields } = useSettingsDraft();
  const backendChoice = validation.ok ? validation.settings.backend : DEFAULT_SETTINGS.backend;
  const session = useSessionStore();
  // The worker starts on the form's backend as the page opens, and follows it.
  useEffect(() => session.setBackend(backendChoice), [session, backendChoice]);
  const state = useSession((s) => s.trainer);
  const { pause, resume, stop, setLearningRate } = session;
  const { chooseDataFiles, chooseFashionMnist, editDataNames } = session;
  // The data must be settled (files checked, names valid) before a run can start.
  const dataInfo = dataSetInfoOf(state.data);
  const dataReady = dataInfo.ok && state.data.checking === null;
  const active = isActive(state.runState);
  const records = useSession((s) => s.records);
  const selectedIds = useSession((s) => s.history.selectedIds);
  const liveRecordId = useSession((s) => s.history.liveRecordId);
  const queue = useSession((s) => s.history.queue);

  // The selected runs in the order they were selected, so a run keeps its colour as others join.
  const selectedRecords = useMemo(
    () =>
      selectedIds
        .map((id) => records.find((record) => record.id === id))
        .filter((record) => record !== undefined),
    [records, selectedIds],
  );
  const series = useMemo(() => overlaySeries(selectedRecords), [selectedRecords]);
  const comparison = useMemo(() => comparisonRows(selectedRecords), [selectedRecords]);
  const colors = useMemo(() => new Map(series.map((run) => [run.id, run.color])), [series]);

  // The table follows the form as soon as the fields it needs are valid, even if others are not.
  const tableImageSize = numberOrNull(parseNumericSetting('imageSize', draft.imageSize));
  // The draft is a new object only when a field changes; the table is arithmetic.
  const layerTable = useMemo(() => {
    const architecture = architectureFromDraft(draft);
    if (tableImageSize === null || architecture === null) return null;
    return computeLayerTable(alexNetLayers(architectureOf(architecture)), tableImageSize);
  }, [tableImageSize, draft]);

  const memory = useMemo(
    () => (validation.ok ? trainingMemoryOf(validation.settings) : null),
    [validation],
  );
  const limits = state.backend?.adapter?.limits ?? null;
  const fitProblem =
    validation.ok && memory !== null && limits !== null
      ? gpuFitProblem(memory, limits, validation.settings.batchSize, validation.settings.imageSize)
      : null;

  // With the person's own files chosen, the script trains on them, under the names given here.
  // While those names are invalid the button is disabled with the naming problem, as Train is:
  // falling back to Fashion-MNIST would hand over a script for data the person did not choose.
  // state.data is a new object only when the data or its names change, not on every batch.
  const pytorchOwnData = useMemo(() => {
    const info = dataSetInfoOf(state.data);
    if (state.data.uploaded === null || !info.ok) return null;
    return { name: info.info.name, classNames: info.info.classNames, summary: state.data.uploaded };
  }, [state.data]);

  // How long things take here: the form's run, Quick's and the exercises' fitted scales.
  const speed = useMemo(
    () => deviceSpeedOf(state.backend, state.speed),
    [state.backend, state.speed],
  );
  const settledSettings = useDebouncedValue(
    validation.ok ? validation.settings : null,
    ESTIMATE_DEBOUNCE_MS,
  );
  const formEstimate = useMemo(
    () => (settledSettings === null ? null : estimateRun(settledSettings, speed)),
    [settledSettings, speed],
  );
  const fitBase = useMemo(
    () => settledSettings ?? { ...DEFAULT_SETTINGS, backend: backendChoice },
    [settledSettings, backendChoice],
  );
  const quick = useMemo(
    () => fitToDevice(fitBase, speed, QUICK_BUDGET_MS, QUICK_RUNGS),
    [fitBase, speed],
  );
  const exerciseScale = useMemo(
    () =>
      settledSettings === null
        ? null
        : fitToDevice(
            settledSettings,
            speed,
            EXERCISE_RUN_BUDGET_MS,
            EXERCISE_RUNGS,
            EXERCISE_MIN_TRAIN_EXAMPLES,
          ),
    [settledSettings, speed],
  );
  // Stable, so that the memoised DeviceFit does not re-render on every batch report.
  const applyQuick = useCallback(
    (fitted: FittedSettings) => {
      const { imageSize, width, batchSize, learningRate, trainExamples, testExamples, epochs } =
        fitted.settings;
      setFields({ imageSize, width, batchSize, learningRate, trainExamples, testExamples, epochs });
    },
    [setFields],
  );

  const run = state.run;
  // Before a run's first report, its time left is the estimate made before it started.
  const runSettings = run?.settings ?? null;
  const runEstimate = useMemo(
    () => (runSettings === null ? null : estimateRun(runSettings, speed)),
    [runSettings, speed],
  );
  // An exercise's reading, once every run it queued has ended (they are selected together).
  const exerciseId = selectedRecords[0]?.exercise?.id ?? null;
  const reading = useMemo(() => {
    if (exerciseId === null || queue.some((item) => item.exercise?.id === exerciseId)) return null;
    // An answer compares: at least two of the exercise's runs, and nothing else, selected.
    if (selectedRecords.length < 2) return null;
    if (selectedRecords.some((record) => record.exercise?.id !== exerciseId)) return null;
    return exerciseReading(exerciseId, selectedRecords);
  }, [exerciseId, queue, selectedRecords]);
  const chartEpochs =
    selectedRecords.length > 0
      ? Math.max(...selectedRecords.map((record) => record.settings.epochs))
      : validation.ok
        ? validation.settings.epochs
        : DEFAULT_SETTINGS.epochs;
  const errors = validation.ok ? NO_ERRORS : validation.errors;

  return (
    <div className="app">
      <header>
        <h1>AlexNet on {dataInfo.ok ? dataInfo.info.name : 'your data'}</h1>
        <p className="subtitle">
          The network of <cite>Dive into Deep Learning</cite> §8.1, trained in your browser on your
          GPU with TensorFlow.js and WebGPU.
        </p>
        <StatusBar
          backend={state.backend}
          runState={state.runState}
          run={run}
          estimatedTotalMs={runEstimate?.totalMs ?? null}
        />
        {run?.startup != null && (
          <p
            className="muted"
            data-testid="startup-time"
            data-timings={JSON.stringify(run.startup)}
          >
            {startupText(run.startup)}
          </p>
        )}
        <DeviceFit
          backend={state.backend}
          speed={speed}
          formEstimateMs={formEstimate?.totalMs ?? null}
          quick={quick}
          disabled={active}
          onQuick={applyQuick}
        />
      </header>
      <main>
        <aside className="controls">
          {urlNotices.length > 0 && (
            <ul className="notices" aria-label="Link notices">
              {urlNotices.map((notice) => (
                <li key={notice}>{notice}</li>
              ))}
            </ul>
          )}
          <SettingsForm draft={draft} errors={errors} disabled={active} onChange={setField} />
          <div className="buttons">
            <button
              type="button"
              className="primary"
              disabled={!validation.ok || fitProblem !== null || active || !dataReady}
              onClick={() => {
                if (validation.ok) session.startRun(validation.settings);
              }}
            >
              Train
            </button>
            <button type="button" disabled={state.runState !== 'training'} onClick={pause}>
              Pause
            </button>
            <button type="button" disabled={state.runState !== 'paused'} onClick={resume}>
              Resume
            </button>
            <button type="button" disabled={!active} onClick={stop}>
              Stop
            </button>
          </div>
          <RunEstimate
            estimate={formEstimate}
            speed={speed}
            timing={state.backend !== null}
            bookRun={settledSettings !== null && isBookRun(settledSettings)}
          />
          <div className="buttons">
            <PytorchExportButton
              settings={validation.ok ? validation.settings : null}
              ownData={pytorchOwnData}
              ownDataProblem={
                state.data.uploaded !== null && !dataInfo.ok ? dataInfo.message : null
              }
            />
          </div>
          {run !== null && active && (
            <LearningRateControl
              key={run.runId}
              current={run.learningRate}
              onApply={setLearningRate}
            />
          )}
          {fitProblem !== null && (
            <p className="error" data-testid="gpu-fit-problem">
              {fitProblem}
            </p>
          )}
          {!validation.ok && (
            <p className="error" id="train-disabled-reason">
              Fix the highlighted settings to train.
            </p>
          )}
          <ExercisesPanel
            base={validation.ok && fitProblem === null && dataReady ? validation.settings : null}
            fitted={dataReady ? exerciseScale : null}
            formRunEstimateMs={formEstimate?.totalMs ?? null}
            reading={reading}
            queue={queue}
            onQueue={session.queueExercise}
            onRemove={session.removeQueued}
            onCancel={session.cancelQueue}
          />
          <BackendNotes backend={state.backend} workerError={state.workerError} />
          <DataPanel
            progress={state.dataProgress}
            source={state.dataSource}
            run={run}
            data={state.data}
            busy={active}
            onChooseFiles={chooseDataFiles}
            onUseFashionMnist={chooseFashionMnist}
            onEditNames={editDataNames}
          />
          {run?.checkpointProblem && (
            <p className="warning" role="alert">
              {run.checkpointProblem}
            </p>
          )}
          {run?.endMessage && (
            <p
              className={
                run.endStatus === 'failed' || run.endStatus === 'diverged' ? 'error' : 'muted'
              }
              role="alert"
            >
              {run.endMessage}
            </p>
          )}
        </aside>
        <section className="results">
          <div className="charts">
            <LossChart series={series} epochs={chartEpochs} />
            <AccuracyChart series={series} epochs={chartEpochs} />
          </div>
          <ComparisonTable rows={comparison} />
          {/* Always in the page, empty before a run: creating a chart measures the page, which
              would otherwise happen in the Train click's task. */}
          <div className="charts">
            <ThroughputChart
              throughput={run?.throughput ?? NO_POINTS}
              tensorMegabytes={run?.tensorMegabytes ?? NO_POINTS}
              epochs={run?.settings.epochs ?? chartEpochs}
              peakTensorBytes={run?.tensors?.maxBytes ?? null}
              batchesDone={run?.batchesDone ?? 0}
            />
          </div>
          <RunsPanel
            colors={colors}
            activeRecordId={active ? liveRecordId : null}
            trainerBusy={active || queue.length > 0}
            heldModel={state.heldModel}
            currentDataId={currentDataId(state.data)}
          />
          <EpochTable
            metrics={run?.epochMetrics ?? NO_POINTS}
            bookRun={run !== null && isBookRun(run.settings)}
            runDescription={
              run === null
                ? null
                : settingsDifferences(run.settings).join(', ') || BOOK_SETTINGS_LABEL
            }
          />
          <PredictionsGrid
            samples={run?.samples ?? null}
            predictions={run?.predictions ?? null}
            classNames={run?.dataSet.classNames ?? FASHION_MNIST_INFO.classNames}
          />
          <FiltersGrid
            filters={run?.filters ?? null}
            epoch={run?.epochMetrics.at(-1)?.epoch ?? null}
          />
          <ConfusionMatrix
            confusion={run?.confusion ?? null}
            epoch={run?.epochMetrics.at(-1)?.epoch ?? null}
            classNames={run?.dataSet.classNames ?? FASHION_MNIST_INFO.classNames}
          />
          <LayerTable
            result={layerTable}
            imageSize={tableImageSize}
            batchSize={validation.ok ? validation.settings.batchSize : null}
            memory={memory}
          />
        </section>
      </main>
    </div>
  );
}
