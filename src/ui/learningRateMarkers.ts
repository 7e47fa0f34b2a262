import { Chart as ChartJS, type Plugin } from 'chart.js';

/**
 * Dashed vertical lines where the learning rate was changed during a run, drawn over a chart's
 * datasets. The markers are set per chart through its ref (setLearningRateMarkers), not through
 * its options, so that a new marker does not make chart.js resolve every option again.
 */

export interface LearningRateMarker {
  x: number;
  text: string;
  color: string;
}

const markersByChart = new WeakMap<ChartJS, readonly LearningRateMarker[]>();

function sameMarkers(a: readonly LearningRateMarker[], b: readonly LearningRateMarker[]): boolean {
  return (
    a.length === b.length &&
    a.every((m, i) => m.x === b[i].x && m.text === b[i].text && m.color === b[i].color)
  );
}

/** Sets `chart`'s markers; returns whether they changed (the chart needs drawing again). */
export function setLearningRateMarkers(
  chart: ChartJS,
  markers: readonly LearningRateMarker[],
): boolean {
  if (sameMarkers(markersByChart.get(chart) ?? [], markers)) return false;
  markersByChart.set(chart, markers);
  return true;
}

export const learningRateMarkers: Plugin<'line'> = {
  id: 'learningRateMarkers',
  afterDatasetsDraw(chart) {
    const markers = markersByChart.get(chart as unknown as ChartJS) ?? [];
    const { ctx, chartArea, scales } = chart;
    for (const { x: value, text, color } of markers) {
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
