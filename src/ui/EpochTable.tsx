import { memo } from 'react';
import type { EpochMetrics } from '../worker/protocol.ts';
import { formatDuration, formatLoss, formatPercent, formatRate } from './format.ts';

export const EpochTable = memo(function EpochTable({
  metrics,
}: {
  metrics: readonly EpochMetrics[];
}) {
  return (
    <section className="panel" aria-labelledby="epoch-metrics-heading">
      <h2 id="epoch-metrics-heading">Epoch metrics</h2>
      <table aria-label="Epoch metrics">
        <thead>
          <tr>
            <th scope="col">Epoch</th>
            <th scope="col" className="num">
              Train loss
            </th>
            <th scope="col" className="num">
              Train acc
            </th>
            <th scope="col" className="num">
              Val loss
            </th>
            <th scope="col" className="num">
              Val acc
            </th>
            <th scope="col" className="num">
              Images/s
            </th>
            <th scope="col" className="num">
              Elapsed
            </th>
          </tr>
        </thead>
        <tbody>
          {metrics.length === 0 ? (
            <tr>
              <td colSpan={7} className="muted">
                No epoch finished yet.
              </td>
            </tr>
          ) : (
            metrics.map((row) => (
              <tr key={row.epoch}>
                <td>{row.epoch}</td>
                <td className="num" title={String(row.trainLoss)}>
                  {formatLoss(row.trainLoss)}
                </td>
                <td className="num" title={String(row.trainAccuracy)}>
                  {formatPercent(row.trainAccuracy)}
                </td>
                <td className="num" title={String(row.valLoss)}>
                  {formatLoss(row.valLoss)}
                </td>
                <td className="num" title={String(row.valAccuracy)}>
                  {formatPercent(row.valAccuracy)}
                </td>
                <td className="num" title={String(row.imagesPerSecond)}>
                  {formatRate(row.imagesPerSecond)}
                </td>
                <td className="num">{formatDuration(row.elapsedMs)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </section>
  );
});
