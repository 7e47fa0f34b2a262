import {
  Chart as ChartJS,
  type ChartData,
  type ChartDataset,
  type ChartOptions,
  type Plugin,
  type Point,
} from 'chart.js';
import { useEffect, useRef } from 'react';
import { cancelTask, scheduleTask } from './taskQueue.ts';
import './chartSetup.ts';

type LineData = ChartData<'line', Point[]>;

/**
 * chart.js keeps the dataset objects it was given; reusing the one at the same place with the
 * same label (as react-chartjs-2 does) keeps its element state instead of rebuilding it.
 */
function mergeDatasets(
  current: ChartDataset<'line', Point[]>[],
  next: readonly ChartDataset<'line', Point[]>[],
): ChartDataset<'line', Point[]>[] {
  return next.map((dataset, index) => {
    const existing = current.at(index);
    return existing !== undefined && existing.label === dataset.label
      ? Object.assign(existing, dataset)
      : { ...dataset };
  });
}

/** Charts whose update is to lay out only; their drawing follows in a later task. */
const deferredDraws = new WeakSet<ChartJS>();

/** Cancels chart.js's drawing at the end of an update for the charts in deferredDraws. */
const deferDraw: Plugin<'line'> = {
  id: 'deferDraw',
  beforeRender: (chart) => !deferredDraws.has(chart),
};

/** Whether `next` would draw what `current` draws: the same points (by identity) and styles. */
function sameDatasets(
  current: readonly ChartDataset<'line', Point[]>[],
  next: readonly ChartDataset<'line', Point[]>[],
): boolean {
  return (
    current.length === next.length &&
    next.every((dataset, index) => {
      const { data, ...style } = dataset;
      const { data: currentData, ...currentStyle } = current[index];
      return data === currentData && JSON.stringify(style) === JSON.stringify(currentStyle);
    })
  );
}

/**
 * A chart.js line chart whose redraws never run inside React's commit: a change of `data` or
 * `options` schedules one `update('none')` in a task of its own (taskQueue), coalescing changes
 * that arrive before it runs. react-chartjs-2 instead updated every chart in the commit's effects,
 * so one worker message redrew all charts in a single long main-thread task (issue #5).
 */
export function LineChart({
  data,
  options,
  label,
  describedBy,
}: {
  data: LineData;
  options: ChartOptions<'line'>;
  label: string;
  /** The id of the text that summarises what the chart shows (its text alternative). */
  describedBy?: string;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const chartRef = useRef<ChartJS<'line', Point[]> | null>(null);
  const latest = useRef({ data, options });

  // What the chart shows now, to tell a real change from a re-derived copy of the same data.
  const drawn = useRef({ data, options });

  useEffect(() => {
    latest.current = { data, options };
    const chart = chartRef.current;
    if (chart === null) return;
    scheduleTask(chart, () => {
      const next = latest.current;
      const sameOptions = next.options === drawn.current.options;
      if (sameOptions && sameDatasets(drawn.current.data.datasets, next.data.datasets)) return;
      drawn.current = next;
      chart.data.datasets = mergeDatasets(chart.data.datasets, next.data.datasets);
      // A new options object makes chart.js resolve every option again: only when they changed.
      if (!sameOptions) chart.options = next.options;
      // Layout here, drawing in a task of its own: together they can exceed a long task's
      // 50 ms on a machine whose cores are busy with a software GPU.
      deferredDraws.add(chart);
      chart.update('none');
      deferredDraws.delete(chart);
      // Keyed by the canvas: the chart itself keys its pending update.
      scheduleTask(chart.canvas, () => chart.render());
    });
  }, [data, options]);

  // Created once, when the canvas is in the page; later changes go through the queue above.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    const { data: initialData, options: initialOptions } = latest.current;
    drawn.current = latest.current;
    const chart = new ChartJS<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets: mergeDatasets([], initialData.datasets) },
      options: initialOptions,
      plugins: [deferDraw],
    });
    chartRef.current = chart;
    return () => {
      cancelTask(chart);
      cancelTask(canvas);
      chart.destroy();
      chartRef.current = null;
    };
  }, []);

  return <canvas ref={canvasRef} role="img" aria-label={label} aria-describedby={describedBy} />;
}
