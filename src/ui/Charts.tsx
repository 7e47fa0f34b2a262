import {
  Chart as ChartJS,
  type ChartData,
  type ChartDataset,
  type ChartOptions,
  type ChartType,
  type Plugin,
} from 'chart.js';
import { memo, useMemo } from 'react';
import type { RunSeries } from '../history/compare.ts';
import type { SeriesPoint } from '../common/types.ts';
import { accuracySummary, lossSummary } from './chartSummary.ts';
import { LineChart } from './LineChart.tsx';

/** A vertical line where the learning rate was changed during a run. */
interface LearningRateMarker {
  x: number;
  text: string;
  color: string;
}

declare module 'chart.js' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the name must match chart.js's
  interface PluginOptionsByType<TType extends ChartType> {
    learningRateMarkers?: { markers: LearningRateMarker[] };
  }
}

const learningRateMarkers: Plugin<'line'> = {
  id: 'learningRateMarkers',
  afterDatasetsDraw(chart) {
    const markers = chart.options.plugins?.learningRateMarkers?.markers ?? [];
    const { ctx, chartArea, scales } = chart;
    for (const { x: value, text, color } of markers) {
      // chart.js hands options over as deep partials.
      if (value === undefined || text === undefined || color === undefined) continue;
      const x = scales.x.getPixelForValue(value);
      if (x < chartArea.left || x > chartArea.right) continue;
      ctx.save();
      ctx.strokeStyle = color;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillText(text, x + 3, chartArea.top + 11);
      ctx.restore();
    }
  },
};

ChartJS.register(learningRateMarkers);

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
  markers: LearningRateMarker[],
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
      learningRateMarkers: { markers },
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

type LineDataset = ChartDataset<'line', SeriesPoint[]>;

function line(
  label: string,
  data: SeriesPoint[],
  color: string,
  style: 'batches' | 'train' | 'validation',
): LineDataset {
  return {
    label,
    data,
    borderColor: color,
    backgroundColor: color,
    borderWidth: style === 'batches' ? 1 : 2,
    pointRadius: style === 'batches' ? 0 : 3,
    borderDash: style === 'validation' ? [6, 3] : undefined,
  };
}

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
  data,
  chartOptions,
  series,
  summary,
}: {
  name: 'Loss' | 'Accuracy';
  data: ChartData<'line', SeriesPoint[]>;
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
      data-points={data.datasets.reduce((sum, d) => sum + d.data.length, 0)}
    >
      <figcaption>{name}</figcaption>
      <div className="chart-canvas">
        <LineChart
          data={data}
          options={chartOptions}
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
  const data = useMemo<ChartData<'line', SeriesPoint[]>>(() => {
    if (series.length === 1) {
      const [run] = series;
      const colors = SINGLE_RUN_COLORS;
      return {
        datasets: [
          line('train loss (batches)', run.batchLoss, colors.trainBatch, 'batches'),
          line('train loss (epoch)', run.trainLoss, colors.train, 'train'),
          line('validation loss', run.valLoss, colors.validation, 'validation'),
        ],
      };
    }
    return {
      datasets: series.flatMap((run) => [
        line(`${run.label} · train`, run.batchLoss, run.color, 'batches'),
        line(`${run.label} · validation`, run.valLoss, run.color, 'validation'),
      ]),
    };
  }, [series]);
  const single = series.length === 1;
  // Options change rarely but the series at every batch report: keyed by value, so chart.js
  // keeps its resolved options (rebuilding them is most of a redraw's cost).
  const markersKey = JSON.stringify(markersOf(series));
  const chartOptions = useMemo(
    () => options(epochs, 'loss', single, JSON.parse(markersKey) as LearningRateMarker[]),
    [epochs, single, markersKey],
  );
  const summary = useMemo(() => lossSummary(series), [series]);
  return (
    <ChartFigure
      name="Loss"
      data={data}
      chartOptions={chartOptions}
      series={series}
      summary={summary}
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
  const data = useMemo<ChartData<'line', SeriesPoint[]>>(() => {
    const single = series.length === 1;
    return {
      datasets: series.flatMap((run) => [
        line(
          single ? 'train accuracy' : `${run.label} · train`,
          run.trainAccuracy,
          single ? SINGLE_RUN_COLORS.train : run.color,
          'train',
        ),
        line(
          single ? 'validation accuracy' : `${run.label} · validation`,
          run.valAccuracy,
          single ? SINGLE_RUN_COLORS.validation : run.color,
          'validation',
        ),
      ]),
    };
  }, [series]);
  const single = series.length === 1;
  const markersKey = JSON.stringify(markersOf(series));
  const chartOptions = useMemo(
    () =>
      options(epochs, 'accuracy', single, JSON.parse(markersKey) as LearningRateMarker[], {
        min: 0,
        max: 1,
      }),
    [epochs, single, markersKey],
  );
  const summary = useMemo(() => accuracySummary(series), [series]);
  return (
    <ChartFigure
      name="Accuracy"
      data={data}
      chartOptions={chartOptions}
      series={series}
      summary={summary}
    />
  );
});
