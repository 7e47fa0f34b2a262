import { memo } from 'react';
import type { LayerTableResult } from '../model/layerTable.ts';
import { formatShape, vanishedMessage } from '../model/layerTable.ts';
import { formatInteger } from './format.ts';

/** The book's layer_summary for the current settings, computed without training. */
export const LayerTable = memo(function LayerTable({
  result,
  imageSize,
}: {
  result: LayerTableResult | null;
  imageSize: number | null;
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
        </>
      )}
    </section>
  );
});
