import type { ChartData, ChartOptions } from 'chart.js';
import { memo, useMemo } from 'react';
import type { ChartPoint } from '../state/trainerState.ts';
import { throughputSummary } from './chartSummary.ts';
import { formatBytes, formatRate } from './format.ts';
import { LineChart } from './LineChart.tsx';

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
  throughput: readonly ChartPoint[];
  tensorMegabytes: readonly ChartPoint[];
  epochs: number;
  peakTensorBytes: number | null;
}) {
  const data = useMemo<ChartData<'line', ChartPoint[]>>(
    () => ({
      datasets: [
        {
          label: 'images per second',
          data: [...throughput],
          borderColor: THROUGHPUT_COLOR,
          backgroundColor: THROUGHPUT_COLOR,
          pointRadius: 0,
          borderWidth: 1.5,
          yAxisID: 'y',
        },
        {
          label: 'tensor memory (MB)',
          data: [...tensorMegabytes],
          borderColor: MEMORY_COLOR,
          backgroundColor: MEMORY_COLOR,
          pointRadius: 0,
          borderWidth: 1.5,
          borderDash: [4, 3],
          yAxisID: 'memory',
        },
      ],
    }),
    [throughput, tensorMegabytes],
  );
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
      plugins: { legend: { position: 'bottom', labels: { boxHeight: 2 } } },
    }),
    [epochs],
  );
  const latestRate = throughput.at(-1)?.y;
  const summary = useMemo(
    () => throughputSummary(throughput, tensorMegabytes, peakTensorBytes),
    [throughput, tensorMegabytes, peakTensorBytes],
  );
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
        <LineChart
          data={data}
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
