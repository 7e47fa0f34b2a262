import {
  Chart as ChartJS,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartData,
  type ChartOptions,
} from 'chart.js';
import { memo, useMemo } from 'react';
import { Line } from 'react-chartjs-2';
import type { ChartPoint } from '../state/trainerState.ts';
import type { EpochMetrics } from '../worker/protocol.ts';

ChartJS.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

const COLORS = {
  trainBatch: 'rgba(31, 119, 180, 0.45)',
  train: '#1f77b4',
  validation: '#d62728',
} as const;

function options(
  epochs: number,
  yTitle: string,
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
    plugins: { legend: { position: 'bottom', labels: { usePointStyle: true, boxHeight: 6 } } },
  };
}

/** Epoch-end points: x is the epoch number, as in the book's progress board. */
function epochSeries(
  metrics: readonly EpochMetrics[],
  pick: (m: EpochMetrics) => number,
): ChartPoint[] {
  return metrics.map((m) => ({ x: m.epoch, y: pick(m) }));
}

export const LossChart = memo(function LossChart({
  batchLoss,
  metrics,
  epochs,
}: {
  batchLoss: readonly ChartPoint[];
  metrics: readonly EpochMetrics[];
  epochs: number;
}) {
  const data = useMemo<ChartData<'line', ChartPoint[]>>(
    () => ({
      datasets: [
        {
          label: 'train loss (batches)',
          data: [...batchLoss],
          borderColor: COLORS.trainBatch,
          backgroundColor: COLORS.trainBatch,
          borderWidth: 1,
          pointRadius: 0,
        },
        {
          label: 'train loss (epoch)',
          data: epochSeries(metrics, (m) => m.trainLoss),
          borderColor: COLORS.train,
          backgroundColor: COLORS.train,
          pointRadius: 3,
        },
        {
          label: 'validation loss',
          data: epochSeries(metrics, (m) => m.valLoss),
          borderColor: COLORS.validation,
          backgroundColor: COLORS.validation,
          borderDash: [6, 3],
          pointRadius: 3,
        },
      ],
    }),
    [batchLoss, metrics],
  );
  const chartOptions = useMemo(() => options(epochs, 'loss'), [epochs]);
  return (
    <figure
      className="chart"
      data-chart="loss"
      data-points={data.datasets.reduce((sum, d) => sum + d.data.length, 0)}
    >
      <figcaption>Loss</figcaption>
      <div className="chart-canvas">
        <Line data={data} options={chartOptions} aria-label="Loss chart" role="img" />
      </div>
    </figure>
  );
});

export const AccuracyChart = memo(function AccuracyChart({
  metrics,
  epochs,
}: {
  metrics: readonly EpochMetrics[];
  epochs: number;
}) {
  const data = useMemo<ChartData<'line', ChartPoint[]>>(
    () => ({
      datasets: [
        {
          label: 'train accuracy',
          data: epochSeries(metrics, (m) => m.trainAccuracy),
          borderColor: COLORS.train,
          backgroundColor: COLORS.train,
          pointRadius: 3,
        },
        {
          label: 'validation accuracy',
          data: epochSeries(metrics, (m) => m.valAccuracy),
          borderColor: COLORS.validation,
          backgroundColor: COLORS.validation,
          borderDash: [6, 3],
          pointRadius: 3,
        },
      ],
    }),
    [metrics],
  );
  const chartOptions = useMemo(() => options(epochs, 'accuracy', { min: 0, max: 1 }), [epochs]);
  return (
    <figure
      className="chart"
      data-chart="accuracy"
      data-points={data.datasets.reduce((sum, d) => sum + d.data.length, 0)}
    >
      <figcaption>Accuracy</figcaption>
      <div className="chart-canvas">
        <Line data={data} options={chartOptions} aria-label="Accuracy chart" role="img" />
      </div>
    </figure>
  );
});
