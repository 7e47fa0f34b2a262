import type { ChartOptions } from 'chart.js';
import { memo, useMemo } from 'react';
import type { RunSeries } from '../history/compare.ts';
import type { EpochMetrics } from '../common/types.ts';
import { accuracySummary, lossSummary } from './chartSummary.ts';
import type { LearningRateMarker } from './learningRateMarkers.ts';
import { StreamedLine } from './StreamedLine.tsx';
import {
  streamed,
  streamedPoints,
  type DatasetStyle,
  type StreamedDataset,
} from './streamedDataset.ts';

/**
 * The loss and accuracy charts of the runs shown, drawn with react-chartjs-2 through
 * StreamedLine: a batch report appends its points to the charts' datasets; nothing is rebuilt.
 */

/** One run alone is drawn as before comparisons existed: training blue, validation red. */
const SINGLE_RUN_COLORS = {
  trainBatch: 'rgba(31, 119, 180, 0.45)',
  train: '#1f77b4',
  validation: '#d62728',
} as const;

function options(
  epochs: number,
  yTitle: string,
  showLegend: boolean,
  yRange?: { min: number; max: number },
): ChartOptions<'line'> {
  return {
    animation: false,
    parsing: false,
    normalized: true,
    maintainAspectRatio: false,
    interaction: { mode: 'nearest', intersect: false },
    scales: {
      x: { type: 'linear', min: 0, max: epochs, title: { display: true, text: 'epoch' } },
      // Loss scales to its data so that small early changes are visible; accuracy stays 0..1.
      y: { type: 'linear', ...yRange, title: { display: true, text: yTitle } },
    },
    plugins: {
      legend: {
        display: showLegend,
        position: 'bottom',
        labels: { usePointStyle: true, boxHeight: 6 },
      },
      // A long run's per-batch loss has more points than the chart has pixels.
      decimation: { enabled: true, algorithm: 'min-max' },
    },
  };
}

function markersOf(series: readonly RunSeries[]): LearningRateMarker[] {
  const single = series.length === 1;
  return series.flatMap((run) =>
    run.learningRateChanges.map((change) => ({
      x: change.x,
      text: `lr ${change.learningRate}`,
      color: single ? '#555' : run.color,
    })),
  );
}

type Style = 'batches' | 'train' | 'validation';

function styleOf(color: string, style: Style): DatasetStyle {
  return {
    borderColor: color,
    backgroundColor: color,
    borderWidth: style === 'batches' ? 1 : 2,
    pointRadius: style === 'batches' ? 0 : 3,
    borderDash: style === 'validation' ? [6, 3] : undefined,
  };
}

/** A per-epoch series of a run's epochs, e.g. its validation loss. */
function epochLine(
  label: string,
  epochs: readonly EpochMetrics[],
  color: string,
  style: Style,
  value: (metrics: EpochMetrics) => number,
): StreamedDataset {
  return streamed(label, styleOf(color, style), epochs, (m) => ({ x: m.epoch, y: value(m) }));
}

const trainLossOf = (m: EpochMetrics) => m.trainLoss;
const valLossOf = (m: EpochMetrics) => m.valLoss;
const trainAccuracyOf = (m: EpochMetrics) => m.trainAccuracy;
const valAccuracyOf = (m: EpochMetrics) => m.valAccuracy;

/** The runs drawn, as a list under the chart: one colour per run, the same in both charts. */
function RunLegend({ series, chart }: { series: readonly RunSeries[]; chart: string }) {
  if (series.length < 2) return null;
  return (
    <>
      <ul className="run-legend" aria-label={`${chart} chart runs`}>
        {series.map((run) => (
          <li key={run.id}>
            <span className="swatch" style={{ background: run.color }} aria-hidden="true" />
            {run.label}
          </li>
        ))}
      </ul>
      <p className="muted legend-key">solid: training · dashed: validation</p>
    </>
  );
}

function ChartFigure({
  name,
  datasets,
  chartOptions,
  series,
  summary,
}: {
  name: 'Loss' | 'Accuracy';
  datasets: readonly StreamedDataset[];
  chartOptions: ChartOptions<'line'>;
  series: readonly RunSeries[];
  /** The chart's latest values in words: its text alternative. */
  summary: string;
}) {
  const summaryId = `${name.toLowerCase()}-chart-summary`;
  return (
    <figure
      className="chart"
      data-chart={name.toLowerCase()}
      data-runs={series.length}
      data-points={datasets.reduce((sum, d) => sum + d.source.length, 0)}
    >
      <figcaption>{name}</figcaption>
      <div className="chart-canvas">
        <StreamedLine
          datasets={datasets}
          options={chartOptions}
          markers={markersOf(series)}
          label={`${name} chart`}
          describedBy={summaryId}
        />
      </div>
      <RunLegend series={series} chart={name} />
      <p className="muted chart-summary">
        <span id={summaryId}>{summary}</span>{' '}
        <a href="#comparison-heading">Numbers: run comparison table</a>
      </p>
    </figure>
  );
}

/**
 * Loss against epochs for every run shown. One run: per-batch loss, epoch training loss and
 * validation loss. Several runs: per run, its per-batch training loss (solid) and validation loss
 * (dashed) in the run's colour.
 */
export const LossChart = memo(function LossChart({
  series,
  epochs,
}: {
  series: readonly RunSeries[];
  epochs: number;
}) {
  const single = series.length === 1;
  const datasets = series.flatMap((run): StreamedDataset[] => {
    if (single) {
      const colors = SINGLE_RUN_COLORS;
      return [
        streamedPoints(
          'train loss (batches)',
          styleOf(colors.trainBatch, 'batches'),
          run.batchLoss,
        ),
        epochLine('train loss (epoch)', run.epochMetrics, colors.train, 'train', trainLossOf),
        epochLine('validation loss', run.epochMetrics, colors.validation, 'validation', valLossOf),
      ];
    }
    return [
      streamedPoints(`${run.label} · train`, styleOf(run.color, 'batches'), run.batchLoss),
      epochLine(`${run.label} · validation`, run.epochMetrics, run.color, 'validation', valLossOf),
    ];
  });
  const chartOptions = useMemo(() => options(epochs, 'loss', single), [epochs, single]);
  return (
    <ChartFigure
      name="Loss"
      datasets={datasets}
      chartOptions={chartOptions}
      series={series}
      summary={lossSummary(series)}
    />
  );
});

export const AccuracyChart = memo(function AccuracyChart({
  series,
  epochs,
}: {
  series: readonly RunSeries[];
  epochs: number;
}) {
  const single = series.length === 1;
  const datasets = series.flatMap((run) => [
    epochLine(
      single ? 'train accuracy' : `${run.label} · train`,
      run.epochMetrics,
      single ? SINGLE_RUN_COLORS.train : run.color,
      'train',
      trainAccuracyOf,
    ),
    epochLine(
      single ? 'validation accuracy' : `${run.label} · validation`,
      run.epochMetrics,
      single ? SINGLE_RUN_COLORS.validation : run.color,
      'validation',
      valAccuracyOf,
    ),
  ]);
  const chartOptions = useMemo(
    () => options(epochs, 'accuracy', single, { min: 0, max: 1 }),
    [epochs, single],
  );
  return (
    <ChartFigure
      name="Accuracy"
      datasets={datasets}
      chartOptions={chartOptions}
      series={series}
      summary={accuracySummary(series)}
    />
  );
});
