import { memo, useEffect, useRef } from 'react';
import type { FilterWeights } from '../worker/protocol.ts';
import { cancelTask, scheduleTask } from './taskQueue.ts';

/** One filter (first input channel), scaled to its own min..max so that its shape shows. */
function FilterImage({ filters, index }: { filters: FilterWeights; index: number }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    // In the task queue, a few filters a task: the book's 96 at once made one long task (#5).
    scheduleTask(canvas, () => {
      const context = canvas.getContext('2d');
      if (!context) return;
      const { kernelSize, inputChannels, filterCount, weights } = filters;
      const pixels = kernelSize * kernelSize;
      // Layout [row, col, channel, filter]: element ((row * k + col) * inputChannels) * filterCount + index.
      const valueAt = (pixel: number) => weights[pixel * inputChannels * filterCount + index];
      let min = Infinity;
      let max = -Infinity;
      for (let pixel = 0; pixel < pixels; pixel++) {
        min = Math.min(min, valueAt(pixel));
        max = Math.max(max, valueAt(pixel));
      }
      const range = max - min || 1;
      const image = context.createImageData(kernelSize, kernelSize);
      for (let pixel = 0; pixel < pixels; pixel++) {
        const grey = Math.round(((valueAt(pixel) - min) / range) * 255);
        image.data.set([grey, grey, grey, 255], pixel * 4);
      }
      context.putImageData(image, 0, 0);
    });
    return () => cancelTask(canvas);
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
