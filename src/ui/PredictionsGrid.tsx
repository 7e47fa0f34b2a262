import { memo, useEffect, useRef, useState } from 'react';
import type { PredictionSamples, SamplePredictions } from '../worker/protocol.ts';
import { formatPercent } from './format.ts';
import { cancelTask, scheduleTask } from './taskQueue.ts';

/**
 * One 28×28 original, drawn pixel for pixel and scaled up crisply by CSS. Memoised on the run's
 * samples, which never change during a run: only the labels under it change at each epoch.
 */
const SampleImage = memo(function SampleImage({
  samples,
  index,
}: {
  samples: PredictionSamples;
  index: number;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    // Drawn in the task queue, a few images a task, not all 32 in the commit's task (issue #5).
    scheduleTask(canvas, () => {
      const context = canvas.getContext('2d');
      if (!context) return;
      const size = samples.imageSize;
      const image = context.createImageData(size, size);
      const offset = index * size * size;
      for (let i = 0; i < size * size; i++) {
        const value = samples.pixels[offset + i];
        image.data[i * 4] = value;
        image.data[i * 4 + 1] = value;
        image.data[i * 4 + 2] = value;
        image.data[i * 4 + 3] = 255;
      }
      context.putImageData(image, 0, 0);
    });
    return () => cancelTask(canvas);
  }, [samples, index]);
  return (
    <canvas
      ref={canvasRef}
      width={samples.imageSize}
      height={samples.imageSize}
      className="sample-image"
      aria-hidden
    />
  );
});

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
              <SampleImage samples={samples} index={index} />
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
