import { memo } from 'react';
import type { ComparisonRow } from '../history/compare.ts';
import { formatBytes, formatDuration, formatLoss, formatPercent, formatRate } from './format.ts';

const orDash = (value: number | null, format: (value: number) => string) =>
  value === null ? '—' : format(value);

/** The selected runs side by side: what differs, how they ended, how fast they were. */
export const ComparisonTable = memo(function ComparisonTable({
  rows,
}: {
  rows: readonly ComparisonRow[];
}) {
  // An unnamed run's label is already what differs; the column only adds to named runs.
  const showDifferences = rows.some((row) => row.label !== row.differences.join(', '));
  return (
    <section className="panel" aria-labelledby="comparison-heading">
      <h2 id="comparison-heading">Run comparison</h2>
      {rows.length === 0 ? (
        <p className="muted">Tick runs in the Runs list, or run an exercise, to compare them.</p>
      ) : (
        // Scrolls sideways inside the panel rather than clip a column; focusable, so that the
        // keyboard can scroll it too.
        <div
          className="table-scroll"
          tabIndex={0}
          role="group"
          aria-label="Run comparison, scrolls sideways"
        >
          <table aria-label="Run comparison" className="comparison">
            <thead>
              <tr>
                <th scope="col">Run</th>
                {showDifferences && <th scope="col">Differs in</th>}
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Epochs
                </th>
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
                  Best val acc (epoch)
                </th>
                <th
                  scope="col"
                  title="The page's backend, or the exported PyTorch script's device and processes"
                >
                  Ran on
                </th>
                <th scope="col" className="num">
                  Images/s
                </th>
                <th scope="col" className="num">
                  Training time
                </th>
                <th
                  scope="col"
                  className="num"
                  title="The most the worker's tensors held (tf.memory); for a PyTorch run on CUDA, the most its first process allocated"
                >
                  Peak tensor memory
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-run-id={row.id}>
                  {/* One line, cut short with an ellipsis: a lone run's label lists every
                      setting that differs from the book's; all of it is in the title. */}
                  <th scope="row" title={row.title}>
                    <span className="swatch" style={{ background: row.color }} aria-hidden="true" />
                    <span className="run-name">{row.label}</span>
                  </th>
                  {showDifferences && (
                    <td title={row.differences.join(', ') || undefined}>
                      <span className="run-name">{row.differences.join(', ') || '—'}</span>
                    </td>
                  )}
                  <td title={row.statusMessage ?? undefined}>{row.status}</td>
                  <td className="num">
                    {row.epochsDone}/{row.epochsPlanned}
                  </td>
                  <td className="num">{orDash(row.finalTrainLoss, formatLoss)}</td>
                  <td className="num">{orDash(row.finalTrainAccuracy, formatPercent)}</td>
                  <td className="num">{orDash(row.finalValLoss, formatLoss)}</td>
                  <td className="num">{orDash(row.finalValAccuracy, formatPercent)}</td>
                  <td className="num">
                    {row.bestValAccuracy === null
                      ? '—'
                      : `${formatPercent(row.bestValAccuracy)} (${row.bestValAccuracyEpoch})`}
                  </td>
                  <td className="ran-on" title={row.ranOnTitle ?? undefined}>
                    {row.ranOn ?? '—'}
                  </td>
                  <td className="num">{orDash(row.imagesPerSecond, formatRate)}</td>
                  <td className="num">{formatDuration(row.elapsedMs)}</td>
                  <td className="num">{orDash(row.peakTensorBytes, formatBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
});
