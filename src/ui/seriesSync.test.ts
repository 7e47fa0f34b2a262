import { describe, expect, it } from 'vitest';
import { syncedCopy, syncSeries } from './seriesSync.ts';

describe('chart series sync', () => {
  it('appends only the new points of a grown series, keeping the chart’s array', () => {
    const source = [{ x: 0.1, y: 2 }];
    const synced = syncedCopy(source);
    const points = synced.points;
    source.push({ x: 0.2, y: 1.9 }, { x: 0.3, y: 1.8 });
    expect(syncSeries(synced, source)).toBe(true);
    expect(synced.points).toBe(points);
    expect(points).toEqual(source);
    // Nothing new: nothing to redraw.
    expect(syncSeries(synced, source)).toBe(false);
  });

  it('copies the points, so the chart data does not change with the record', () => {
    const source = [
      { x: 0.1, y: 2 },
      { x: 0.2, y: 1.9 },
    ];
    const synced = syncedCopy(source);
    source[0].y = 42;
    source.push({ x: 99, y: 1 });
    expect(synced.points).toHaveLength(2);
    expect(synced.points[0].y).toBe(2);
  });

  it('refills from another series: a decimated copy, another run, or a shorter one', () => {
    const source = Array.from({ length: 6 }, (_, i) => ({ x: i, y: i }));
    const synced = syncedCopy(source);
    const decimated = source.filter((_, i) => i % 2 === 1);
    expect(syncSeries(synced, decimated)).toBe(true);
    expect(synced.points).toEqual(decimated);
    // Same length as copied but other points (an epoch series derived anew with a changed value).
    const other = decimated.map((point) => ({ ...point, y: point.y + 1 }));
    expect(syncSeries(synced, other)).toBe(true);
    expect(synced.points).toEqual(other);
    expect(syncSeries(synced, [])).toBe(true);
    expect(synced.points).toEqual([]);
  });
});

describe('chart series sync through a mapping', () => {
  it('appends an epoch row added by a new array that keeps the earlier rows', () => {
    const rows = [{ epoch: 1, valAccuracy: 0.5 }];
    const synced = syncedCopy(rows, (row) => ({ x: row.epoch, y: row.valAccuracy }));
    const points = synced.points;
    const next = [...rows, { epoch: 2, valAccuracy: 0.6 }];
    expect(syncSeries(synced, next)).toBe(true);
    expect(synced.points).toBe(points);
    expect(points).toEqual([
      { x: 1, y: 0.5 },
      { x: 2, y: 0.6 },
    ]);
  });
});
