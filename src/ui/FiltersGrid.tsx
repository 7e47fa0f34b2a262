import { memo, useEffect, useRef } from 'react';
import type { FilterWeights } from '../worker/protocol.ts';

/** One filter (first input channel), scaled to its own min..max so that its shape shows. */
function FilterImage({ filters, index }: { filters: FilterWeights; index: number }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvasRef.current?.getContext('2d');
    if (!context) return;
    const { kernelSize, inputChannels, filterCount, weights } = filters;
    const values: number[] = [];
    // Layout [row, col, channel, filter]: element ((row * k + col) * inputChannels) * filterCount + index.
    for (let pixel = 0; pixel < kernelSize * kernelSize; pixel++) {
      values.push(weights[pixel * inputChannels * filterCount + index]);
    }
    const min = Math.min(...values);
    const range = Math.max(...values) - min || 1;
    const image = context.createImageData(kernelSize, kernelSize);
    values.forEach((value, pixel) => {
      const grey = Math.round(((value - min) / range) * 255);
      image.data.set([grey, grey, grey, 255], pixel * 4);
    });
    context.putImageData(image, 0, 0);
  }, [filters, index]);
  return (
    <canvas
      ref={canvasRef}
      width={filters.kernelSize}
      height={filters.kernelSize}
      className="filter-image"
      role="img"
      aria-label={`Filter ${index + 1}`}
    />
  );
}

/** conv1's filters after the latest epoch: edge and blob detectors form here as it learns. */
export const FiltersGrid = memo(function FiltersGrid({
  filters,
  epoch,
}: {
  filters: FilterWeights | null;
  epoch: number | null;
}) {
  return (
    <section className="panel" aria-labelledby="filters-heading">
      <h2 id="filters-heading">
        What the first layer learned{epoch === null ? '' : ` (after epoch ${epoch})`}
      </h2>
      {filters === null ? (
        <p className="muted">conv1’s filters appear here after each epoch.</p>
      ) : (
        <>
          <p className="muted">
            conv1’s {filters.filterCount} filters, {filters.kernelSize}×{filters.kernelSize}, each
            scaled from its smallest (black) to its largest (white) weight.
          </p>
          <div className="filters" aria-label="First-layer filters" role="group">
            {Array.from({ length: filters.filterCount }, (_, index) => (
              <FilterImage key={index} filters={filters} index={index} />
            ))}
          </div>
        </>
      )}
    </section>
  );
});
