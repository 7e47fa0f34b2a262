import { memo } from 'react';
import type { LayerTableResult } from '../model/layerTable.ts';
import { formatShape, vanishedMessage } from '../model/layerTable.ts';
import { formatMegabytes, type MemoryEstimate } from '../model/memory.ts';
import { formatInteger } from './format.ts';

/** The book's layer_summary for the current settings, computed without training. */
export const LayerTable = memo(function LayerTable({
  result,
  imageSize,
  memory,
}: {
  result: LayerTableResult | null;
  imageSize: number | null;
  /** For the current batch size; null while a setting is invalid. */
  memory: MemoryEstimate | null;
}) {
  return (
    <section className="panel" aria-labelledby="layer-shapes-heading">
      <h2 id="layer-shapes-heading">Layer shapes</h2>
      {result === null ? (
        <p className="muted">Enter valid settings to see the network’s shapes.</p>
      ) : !result.ok ? (
        <p className="error">{vanishedMessage(result.vanished)}</p>
      ) : (
        <>
          <p className="muted">
            One {imageSize}×{imageSize} grey image in; shapes are channels×height×width as the book
            prints them.
          </p>
          <table aria-label="Layer shapes">
            <thead>
              <tr>
                <th scope="col">Layer</th>
                <th scope="col">Output shape</th>
                <th scope="col" className="num">
                  Parameters
                </th>
              </tr>
            </thead>
            <tbody>
              {result.table.rows.map((row) => (
                <tr key={row.name}>
                  <td>
                    <span className="layer-name">{row.name}</span> {row.description}
                  </td>
                  <td>{formatShape(row.outputShape)}</td>
                  <td className="num">{formatInteger(row.parameters)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="total">
            Total parameters: <strong>{formatInteger(result.table.totalParameters)}</strong>
          </p>
          {memory !== null && (
            <p className="muted" data-testid="memory-estimate">
              A training step needs about {formatMegabytes(memory.totalBytes)} of GPU memory
              (weights, activations and their gradients); the largest single buffer is{' '}
              {memory.largestBuffer.name}, {formatMegabytes(memory.largestBuffer.bytes)}.
            </p>
          )}
        </>
      )}
    </section>
  );
});
