/**
 * Keeps a chart's own point arrays in step with the session's series, by appending: a run's
 * series only grow while it trains (a batch report appends its new points in place, an epoch
 * adds a row), so a chart copies only the points it has not seen, not the whole series per
 * report. A series that did not grow from what the chart copied (another run, a decimated copy)
 * is copied afresh.
 */

export interface Point {
  x: number;
  y: number;
}

/** What a chart dataset was last filled from. */
export interface SyncedSeries<T> {
  /** The chart's own array (the dataset's data), only ever appended to or refilled. */
  readonly points: Point[];
  /** The point of each source item, e.g. an epoch's validation accuracy. */
  readonly toPoint: (item: T) => Point;
  /** The last source item copied (by identity), to tell a grown series from another one. */
  lastCopied: T | undefined;
  copied: number;
}

const copyPoint = (point: Point): Point => ({ x: point.x, y: point.y });

/** A chart's own copy of `source`, through `toPoint` (by default a copy of each point). */
export function syncedCopy<T>(
  source: readonly T[],
  ...toPoint: T extends Point ? [((item: T) => Point)?] : [(item: T) => Point]
): SyncedSeries<T> {
  const synced: SyncedSeries<T> = {
    points: [],
    toPoint: toPoint[0] ?? (copyPoint as (item: T) => Point),
    lastCopied: undefined,
    copied: 0,
  };
  syncSeries(synced, source);
  return synced;
}

/**
 * Brings `synced.points` up to `source`: appends the new points when `source` grew from what was
 * copied, else refills. Returns whether anything changed.
 */
export function syncSeries<T>(synced: SyncedSeries<T>, source: readonly T[]): boolean {
  const { copied } = synced;
  const grew =
    source.length >= copied && (copied === 0 || source[copied - 1] === synced.lastCopied);
  if (grew && source.length === copied) return false;
  if (!grew) synced.points.length = 0;
  for (let i = grew ? copied : 0; i < source.length; i++) {
    synced.points.push(synced.toPoint(source[i]));
  }
  synced.copied = source.length;
  synced.lastCopied = source.at(-1);
  return true;
}
