import type { ChartDataset } from 'chart.js';
import type { Point } from './seriesSync.ts';

/** The datasets StreamedLine draws: a look, and the session's series its points come from. */

/** How a dataset looks; its points come from `source`. */
export type DatasetStyle = Omit<ChartDataset<'line', Point[]>, 'data' | 'label'>;

export interface StreamedDataset {
  label: string;
  style: DatasetStyle;
  /** The session's series, read by identity: items already copied are not copied again. */
  source: readonly unknown[];
  toPoint: (item: never) => Point;
}

/** A dataset drawn from `source`'s items, each through `toPoint`. */
export function streamed<T>(
  label: string,
  style: DatasetStyle,
  source: readonly T[],
  toPoint: (item: T) => Point,
): StreamedDataset {
  return { label, style, source, toPoint };
}

const asPoint = (point: Point): Point => point;

/** A dataset drawn from a series of points. */
export function streamedPoints(
  label: string,
  style: DatasetStyle,
  source: readonly Point[],
): StreamedDataset {
  return streamed(label, style, source, asPoint);
}
