import { memo, useEffect, useRef, useState } from 'react';
import type { PredictionSamples, SamplePredictions } from '../worker/protocol.ts';
import { formatPercent } from './format.ts';

/** One 28×28 original, drawn pixel for pixel and scaled up crisply by CSS. */
function SampleImage({ pixels, size }: { pixels: Uint8Array; size: number }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvasRef.current?.getContext('2d');
    if (!context) return;
    const image = context.createImageData(size, size);
    pixels.forEach((value, i) => {
      image.data.set([value, value, value, 255], i * 4);
    });
    context.putImageData(image, 0, 0);
  }, [pixels, size]);
  return <canvas ref={canvasRef} width={size} height={size} className="sample-image" aria-hidden />;
}

/**
 * A fixed set of validation images with the network's prediction, its confidence and the true
 * class, refreshed every epoch; mistakes are marked and can be shown alone.
 */
export const PredictionsGrid = memo(function PredictionsGrid({
  samples,
  predictions,
  classNames,
}: {
  samples: PredictionSamples | null;
  predictions: SamplePredictions | null;
  /** Index = class id: the run's data set's names. */
  classNames: readonly string[];
}) {
  const [mistakesOnly, setMistakesOnly] = useState(false);
  if (samples === null || predictions === null) {
    return (
      <section className="panel" aria-labelledby="predictions-heading">
        <h2 id="predictions-heading">Predictions</h2>
        <p className="muted">Validation images with their predictions appear after each epoch.</p>
      </section>
    );
  }
  const pixelsPerImage = samples.imageSize * samples.imageSize;
  const items = Array.from(samples.labels, (label, index) => ({
    index,
    label,
    predicted: predictions.predicted[index],
    confidence: predictions.confidence[index],
  }));
  const mistakes = items.filter((item) => item.predicted !== item.label).length;
  const shown = mistakesOnly ? items.filter((item) => item.predicted !== item.label) : items;
  return (
    <section className="panel" aria-labelledby="predictions-heading">
      <h2 id="predictions-heading">Predictions</h2>
      <p className="muted">
        {items.length} validation images, {mistakes} misclassified.{' '}
        <label>
          <input
            type="checkbox"
            checked={mistakesOnly}
            onChange={(event) => setMistakesOnly(event.target.checked)}
          />{' '}
          Show mistakes only
        </label>
      </p>
      <ul className="predictions" aria-label="Predictions">
        {shown.map(({ index, label, predicted, confidence }) => {
          const wrong = predicted !== label;
          const text =
            `Predicted ${classNames[predicted]} (${formatPercent(confidence)}), ` +
            `true ${classNames[label]}${wrong ? ': mistake' : ''}`;
          return (
            <li
              key={index}
              className={wrong ? 'mistake' : 'correct'}
              aria-label={text}
              title={text}
            >
              <SampleImage
                pixels={samples.pixels.subarray(
                  index * pixelsPerImage,
                  (index + 1) * pixelsPerImage,
                )}
                size={samples.imageSize}
              />
              <span className="predicted">
                {classNames[predicted]} {formatPercent(confidence)}
              </span>
              {wrong && <span className="truth">true: {classNames[label]}</span>}
            </li>
          );
        })}
      </ul>
    </section>
  );
});
