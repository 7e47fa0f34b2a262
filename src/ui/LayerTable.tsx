import { memo, useMemo } from 'react';
import type { LayerTableResult } from '../model/layerTable.ts';
import { formatShape, vanishedMessage } from '../model/layerTable.ts';
import { formatMegabytes, layerCosts, type MemoryEstimate } from '../model/memory.ts';
import { formatBytes, formatInteger, formatMultiplyAdds, formatPercent } from './format.ts';

/** Two thin bars: the layer's share of the arithmetic and of the parameters. */
function ShareBars({ compute, parameters }: { compute: number; parameters: number }) {
  return (
    <span
      className="share"
      title={`${formatPercent(compute)} of the multiply-adds, ${formatPercent(parameters)} of the parameters`}
    >
      <span className="bar compute" style={{ width: `${compute * 100}%` }} />
      <span className="bar parameters" style={{ width: `${parameters * 100}%` }} />
    </span>
  );
}

/**
 * The book's layer_summary for the current settings, computed without training, with where the
 * arithmetic and the memory go (the guide's §8).
 */
export const LayerTable = memo(function LayerTable({
  result,
  imageSize,
  batchSize,
  memory,
}: {
  result: LayerTableResult | null;
  imageSize: number | null;
  batchSize: number | null;
  /** For the current batch size; null while a setting is invalid. */
  memory: MemoryEstimate | null;
}) {
  const costs = useMemo(
    () => (result?.ok === true && batchSize !== null ? layerCosts(result.table, batchSize) : null),
    [result, batchSize],
  );
  if (result === null || !result.ok) {
    return (
      <section className="panel" aria-labelledby="layer-shapes-heading">
        <h2 id="layer-shapes-heading">Layer shapes</h2>
        {result === null ? (
          <p className="muted">Enter valid settings to see the network’s shapes.</p>
        ) : (
          <p className="error">{vanishedMessage(result.vanished)}</p>
        )}
      </section>
    );
  }
  const { rows, totalParameters, totalMultiplyAddsPerImage } = result.table;
  const totalActivationBytes = costs?.reduce((sum, cost) => sum + cost.activationBytes, 0) ?? null;
  return (
    <section className="panel" aria-labelledby="layer-shapes-heading">
      <h2 id="layer-shapes-heading">Layer shapes</h2>
      <p className="muted">
        One {imageSize}×{imageSize} grey image in; shapes are channels×height×width as the book
        prints them. Bars: share of the multiply-adds <span className="key compute" /> and of the
        parameters <span className="key parameters" />.
      </p>
      <table aria-label="Layer shapes">
        <thead>
          <tr>
            <th scope="col">Layer</th>
            <th scope="col">Output shape</th>
            <th scope="col" className="num">
              Parameters
            </th>
            <th scope="col" className="num">
              Multiply-adds per image
            </th>
            <th scope="col" className="num">
              Activations{batchSize === null ? '' : ` at batch ${batchSize}`}
            </th>
            <th scope="col" className="num">
              Weights
            </th>
            <th scope="col">Share</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={row.name}>
              <td>
                <span className="layer-name">{row.name}</span> {row.description}
              </td>
              <td>{formatShape(row.outputShape)}</td>
              <td className="num">{formatInteger(row.parameters)}</td>
              <td className="num">{formatMultiplyAdds(row.multiplyAddsPerImage)}</td>
              <td className="num">
                {costs === null ? '–' : formatBytes(costs[index].activationBytes)}
              </td>
              <td className="num">
                {costs === null ? '–' : formatBytes(costs[index].weightBytes)}
              </td>
              <td>
                <ShareBars
                  compute={row.multiplyAddsPerImage / totalMultiplyAddsPerImage}
                  parameters={row.parameters / totalParameters}
                />
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td />
            <td className="num">{formatInteger(totalParameters)}</td>
            <td className="num">{formatMultiplyAdds(totalMultiplyAddsPerImage)}</td>
            <td className="num">
              {totalActivationBytes === null ? '–' : formatBytes(totalActivationBytes)}
            </td>
            <td className="num">{formatBytes(totalParameters * 4)}</td>
            <td />
          </tr>
        </tfoot>
      </table>
      <p className="total">
        Total parameters: <strong>{formatInteger(totalParameters)}</strong>
      </p>
      {memory !== null && (
        <p className="muted" data-testid="memory-estimate">
          A training step needs about {formatMegabytes(memory.totalBytes)} of GPU memory (weights,
          activations and their gradients); the largest single buffer is {memory.largestBuffer.name}
          , {formatMegabytes(memory.largestBuffer.bytes)}.
        </p>
      )}
    </section>
  );
});
