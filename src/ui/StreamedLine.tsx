import type { Chart as ChartJS, ChartData, ChartOptions } from 'chart.js';
import { useEffect, useRef, useState } from 'react';
import { Line } from 'react-chartjs-2';
import { setLearningRateMarkers, type LearningRateMarker } from './learningRateMarkers.ts';
import { syncedCopy, syncSeries, type Point, type SyncedSeries } from './seriesSync.ts';
import type { StreamedDataset } from './streamedDataset.ts';
import { cancelTask, scheduleTask } from './taskQueue.ts';
import './chartSetup.ts';

/**
 * The smallest wrapper around react-chartjs-2's <Line> for series that grow while a run trains.
 * <Line> creates and destroys the chart; everything else goes through its ref: new datasets when
 * the chart's structure changes (which datasets, their labels and colours), else the new points
 * appended to the datasets' own arrays (seriesSync.ts), and new options, then one
 * `update('none')` in a task of its own (taskQueue), outside React's commit, coalescing the
 * reports that arrive before it runs. <Line> itself gets its first data and options only: given
 * new ones, it updates the chart inside React's commit. (Measured: the Train click, which turns
 * the charts' options from "no run" to "one run", took 17–26 ms of CPU in one task when <Line>
 * redrew the loss and accuracy charts in the commit.) So a batch report costs the chart the new
 * points' copy and one redraw, not a rebuilt series (issue #13), and no worker message redraws
 * every chart inside one long task (issue #5).
 */

function structureKeyOf(datasets: readonly StreamedDataset[]): string {
  return datasets.map((d) => `${d.label}\u0000${String(d.style.borderColor)}`).join('\u0001');
}

export function StreamedLine({
  datasets,
  options,
  markers = [],
  label,
  describedBy,
}: {
  datasets: readonly StreamedDataset[];
  /** Stable across reports: a new object makes chart.js resolve every option again. */
  options: ChartOptions<'line'>;
  markers?: readonly LearningRateMarker[];
  label: string;
  /** The id of the text that summarises what the chart shows (its text alternative). */
  describedBy?: string;
}) {
  const chartRef = useRef<ChartJS<'line', Point[]>>(null);
  // <Line> gets one data object for its lifetime: it creates the chart with it and never
  // updates it inside React's commit. Datasets and points are set through the chart ref below.
  const [data] = useState<ChartData<'line', Point[]>>(() => ({ datasets: [] }));
  const [firstOptions] = useState(options);
  /** The options last rendered, and new ones not yet given to the chart. */
  const renderedOptions = useRef(options);
  const pendingOptions = useRef<ChartOptions<'line'> | null>(null);
  /** The datasets' structure (labels, colours) and what each was filled from. */
  const drawn = useRef<{ key: string; synced: SyncedSeries<unknown>[] } | null>(null);
  // The task's key, stable for the component's lifetime.
  const [taskKey] = useState(() => ({}));

  // After every render: new datasets when the structure changed (a run selected or removed),
  // else only the new points appended; one redraw scheduled when anything changed.
  useEffect(() => {
    const chart = chartRef.current;
    if (chart === null) return;
    let changed = setLearningRateMarkers(chart as unknown as ChartJS, markers);
    if (renderedOptions.current !== options) {
      renderedOptions.current = options;
      pendingOptions.current = options;
      changed = true;
    }
    const key = structureKeyOf(datasets);
    if (drawn.current?.key !== key) {
      const synced = datasets.map((d) =>
        syncedCopy(d.source, d.toPoint as (item: unknown) => Point),
      );
      chart.data.datasets = datasets.map((d, i) => ({
        ...d.style,
        label: d.label,
        data: synced[i].points,
      }));
      drawn.current = { key, synced };
      changed = true;
    } else {
      const { synced } = drawn.current;
      datasets.forEach((d, i) => {
        if (syncSeries(synced[i], d.source)) changed = true;
      });
    }
    if (changed) {
      scheduleTask(taskKey, () => {
        const current = chartRef.current;
        if (current === null) return;
        if (pendingOptions.current !== null) {
          // A copy, as <Line> gives the chart: chart.js adds its defaults to the object.
          current.options = { ...pendingOptions.current };
          pendingOptions.current = null;
        }
        current.update('none');
      });
    }
  });
  useEffect(() => () => cancelTask(taskKey), [taskKey]);

  return (
    <Line
      ref={chartRef}
      data={data}
      options={firstOptions}
      updateMode="none"
      aria-label={label}
      aria-describedby={describedBy}
    />
  );
}
