import type { ChartOptions } from 'chart.js';
import { memo, useMemo } from 'react';
import type { ChartPoint } from '../session/trainerState.ts';
import { throughputSummary } from './chartSummary.ts';
import { formatBytes, formatRate } from './format.ts';
import { StreamedLine } from './StreamedLine.tsx';
import { streamedPoints } from './streamedDataset.ts';

const THROUGHPUT_COLOR = '#59a14f';
const MEMORY_COLOR = '#b07aa1';

/**
 * The latest run's speed and memory as it trains: training images per second between reports
 * (left axis) and the megabytes the worker's tensors hold (right axis, tf.memory()). Flat memory
 * means nothing leaks; the run comparison shows each run's peak beside its images per second.
 */
export const ThroughputChart = memo(function ThroughputChart({
  throughput,
  tensorMegabytes,
  epochs,
  peakTensorBytes,
}: {
  /**
   * The run's own series: its batch reports append to them in place, so the same arrays arrive
   * with more points; `batchesDone` is what changes with each report (see below).
   */
  throughput: readonly ChartPoint[];
  tensorMegabytes: readonly ChartPoint[];
  epochs: number;
  peakTensorBytes: number | null;
  /** The run's batches so far: a new value re-renders the chart, which appends the new points. */
  batchesDone: number;
}) {
  // The run's own series, which its batch reports grow: the chart appends what is new.
  const datasets = [
    streamedPoints(
      'images per second',
      {
        borderColor: THROUGHPUT_COLOR,
        backgroundColor: THROUGHPUT_COLOR,
        pointRadius: 0,
        borderWidth: 1.5,
        yAxisID: 'y',
      },
      throughput,
    ),
    streamedPoints(
      'tensor memory (MB)',
      {
        borderColor: MEMORY_COLOR,
        backgroundColor: MEMORY_COLOR,
        pointRadius: 0,
        borderWidth: 1.5,
        borderDash: [4, 3],
        yAxisID: 'memory',
      },
      tensorMegabytes,
    ),
  ];
  const options = useMemo<ChartOptions<'line'>>(
    () => ({
      animation: false,
      parsing: false,
      normalized: true,
      maintainAspectRatio: false,
      scales: {
        x: { type: 'linear', min: 0, max: epochs, title: { display: true, text: 'epoch' } },
        y: { type: 'linear', min: 0, title: { display: true, text: 'images/s' } },
        memory: {
          type: 'linear',
          position: 'right',
          min: 0,
          grid: { drawOnChartArea: false },
          title: { display: true, text: 'MB' },
        },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxHeight: 2 } },
        decimation: { enabled: true, algorithm: 'min-max' },
      },
    }),
    [epochs],
  );
  const latestRate = throughput.at(-1)?.y;
  // Its last points only: cheap at every report (the arrays grow in place, so no memo on them).
  const summary = throughputSummary(throughput, tensorMegabytes, peakTensorBytes);
  return (
    <figure className="chart" data-chart="throughput" data-points={throughput.length}>
      <figcaption>
        Throughput and memory
        {latestRate !== undefined && (
          <span className="muted">
            {' '}
            · now {formatRate(latestRate)} images/s
            {peakTensorBytes !== null && `, peak ${formatBytes(peakTensorBytes)} of tensors`}
          </span>
        )}
      </figcaption>
      <div className="chart-canvas">
        <StreamedLine
          datasets={datasets}
          options={options}
          label="Throughput and memory chart"
          describedBy="throughput-chart-summary"
        />
      </div>
      <p className="muted chart-summary">
        <span id="throughput-chart-summary">{summary}</span>{' '}
        <a href="#epoch-metrics-heading">Numbers per epoch: epoch metrics table</a>
      </p>
    </figure>
  );
});
