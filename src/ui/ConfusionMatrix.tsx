import { memo } from 'react';
import { perClassAccuracy } from '../model/metrics.ts';
import { formatInteger, formatPercent } from './format.ts';

/**
 * Which classes the network confuses, on the validation images after the latest epoch: rows
 * are the true class, columns the predicted one; the shade follows the share of the row.
 */
export const ConfusionMatrix = memo(function ConfusionMatrix({
  confusion,
  epoch,
  classNames,
}: {
  confusion: Int32Array | null;
  epoch: number | null;
  /** Index = class id: the run's data set's names. */
  classNames: readonly string[];
}) {
  const numClasses = classNames.length;
  return (
    <section className="panel" aria-labelledby="confusion-heading">
      <h2 id="confusion-heading">
        Confusion matrix{epoch === null ? '' : ` after epoch ${epoch}`}
      </h2>
      {confusion === null ? (
        <p className="muted">Filled in on the validation images at the end of each epoch.</p>
      ) : (
        <div
          className="confusion-scroll"
          tabIndex={0}
          role="group"
          aria-label="Confusion matrix, scrolls sideways"
        >
          <table aria-label="Confusion matrix" className="confusion">
            <thead>
              <tr>
                <th scope="col">True \ predicted</th>
                {classNames.map((name) => (
                  <th scope="col" key={name} className="num">
                    {name}
                  </th>
                ))}
                <th scope="col" className="num">
                  Accuracy
                </th>
              </tr>
            </thead>
            <tbody>
              {perClassAccuracy(confusion, numClasses).map((accuracy, trueClass) => {
                const row = confusion.subarray(
                  trueClass * numClasses,
                  (trueClass + 1) * numClasses,
                );
                const rowTotal = row.reduce((a, b) => a + b, 0);
                return (
                  <tr key={classNames[trueClass]}>
                    <th scope="row">{classNames[trueClass]}</th>
                    {Array.from(row, (count, predicted) => {
                      const share = rowTotal === 0 ? 0 : count / rowTotal;
                      const hue = predicted === trueClass ? '31, 119, 180' : '214, 39, 40';
                      // At most 70% opaque: the count's dark text keeps a contrast of 4.5:1.
                      return (
                        <td
                          key={predicted}
                          className="num"
                          style={{ background: `rgba(${hue}, ${share * 0.7})` }}
                        >
                          {formatInteger(count)}
                        </td>
                      );
                    })}
                    <td className="num">
                      {Number.isNaN(accuracy) ? '–' : formatPercent(accuracy)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
});
