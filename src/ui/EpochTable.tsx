import { memo } from 'react';
import { bookResultText } from '../config/bookResult.ts';
import type { EpochMetrics } from '../common/types.ts';
import { formatDuration, formatLoss, formatPercent, formatRate } from './format.ts';

/** The numeric columns after "Epoch": heading, value, and how it is shown. */
const COLUMNS: readonly {
  heading: string;
  key: Exclude<keyof EpochMetrics, 'epoch'>;
  format: (value: number) => string;
}[] = [
  { heading: 'Train loss', key: 'trainLoss', format: formatLoss },
  { heading: 'Train acc', key: 'trainAccuracy', format: formatPercent },
  { heading: 'Val loss', key: 'valLoss', format: formatLoss },
  { heading: 'Val acc', key: 'valAccuracy', format: formatPercent },
  { heading: 'Images/s', key: 'imagesPerSecond', format: formatRate },
  { heading: 'Elapsed', key: 'elapsedMs', format: formatDuration },
];

/** The book's per-epoch numbers; each cell's title holds the full-precision value. */
export const EpochTable = memo(function EpochTable({
  metrics,
  runDescription,
  bookRun,
}: {
  metrics: readonly EpochMetrics[];
  /** Which run the numbers (and the views below) are from; null before the first run. */
  runDescription: string | null;
  /** The run has the book's settings: the book's published result is shown beside it. */
  bookRun: boolean;
}) {
  return (
    <section className="panel" aria-labelledby="epoch-metrics-heading">
      <h2 id="epoch-metrics-heading">Epoch metrics</h2>
      {runDescription !== null && (
        <p className="muted" data-testid="details-run">
          This table, the predictions, the filters and the confusion matrix show the latest run:{' '}
          {runDescription}.
        </p>
      )}
      {bookRun && (
        <p className="muted" data-testid="book-result-run">
          {bookResultText()}
        </p>
      )}
      <table aria-label="Epoch metrics">
        <thead>
          <tr>
            <th scope="col">Epoch</th>
            {COLUMNS.map((column) => (
              <th scope="col" className="num" key={column.key}>
                {column.heading}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {metrics.length === 0 ? (
            <tr>
              <td colSpan={COLUMNS.length + 1} className="muted">
                No epoch finished yet.
              </td>
            </tr>
          ) : (
            metrics.map((row) => (
              <tr key={row.epoch}>
                <td>{row.epoch}</td>
                {COLUMNS.map((column) => (
                  <td className="num" key={column.key} title={String(row[column.key])}>
                    {column.format(row[column.key])}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </section>
  );
});
