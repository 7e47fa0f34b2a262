import { memo, useState } from 'react';
import type { Settings } from '../config/settings.ts';
import { settingLabel, varyingSettingKeys } from '../history/compare.ts';
import { EXERCISES, expandExercise } from '../history/exercises.ts';
import type { QueuedRun } from '../session/historyState.ts';
import { describeScale, type FittedSettings } from '../model/deviceFit.ts';
import { formatEstimate } from '../model/speed.ts';

type ExerciseScale = 'fitted' | 'form';

/**
 * The guide's exercises, one click each: the runs are queued with every other setting held at
 * the form's values and trained one after another; the queue is shown and can be edited.
 */
export const ExercisesPanel = memo(function ExercisesPanel({
  base,
  fitted,
  formRunEstimateMs,
  reading,
  queue,
  onQueue,
  onRemove,
  onCancel,
}: {
  /** The form's settings, or null while the form has errors. */
  base: Settings | null;
  /** The exercise scale fitted to this device (EXERCISE_RUN_BUDGET_MS a run); null until timed. */
  fitted: FittedSettings | null;
  /** One run at the form's settings on this device, or null. */
  formRunEstimateMs: number | null;
  /** The last exercise's result in a sentence, once its runs have ended. */
  reading: string | null;
  queue: readonly QueuedRun[];
  onQueue: (
    exercise: { id: string; title: string },
    runs: { settings: Settings; label: string }[],
  ) => void;
  onRemove: (queueId: number) => void;
  onCancel: () => void;
}) {
  const [problem, setProblem] = useState<string | null>(null);
  const [scale, setScale] = useState<ExerciseScale>('fitted');
  const runBase = scale === 'fitted' ? (fitted?.settings ?? null) : base;
  return (
    <section className="panel exercises" aria-labelledby="exercises-heading">
      <h2 id="exercises-heading">Exercises</h2>
      <p className="muted">
        Each runs its variations one after another, everything else the same; the runs are overlaid
        on the charts and compared in the table.
      </p>
      <fieldset className="exercise-scale">
        <legend>Run the exercises at</legend>
        <label>
          <input
            type="radio"
            name="exercise-scale"
            value="fitted"
            checked={scale === 'fitted'}
            onChange={() => setScale('fitted')}
          />{' '}
          the exercise scale for this device
          {fitted === null ? (
            ' (timing this device…)'
          ) : (
            <>
              : {formatEstimate(fitted.estimate.totalMs)} a run{' '}
              <span className="muted" data-testid="exercise-scale">
                ({describeScale(fitted.settings)})
              </span>
            </>
          )}
        </label>
        <label>
          <input
            type="radio"
            name="exercise-scale"
            value="form"
            checked={scale === 'form'}
            onChange={() => setScale('form')}
          />{' '}
          the settings above
          {formRunEstimateMs !== null && <>: {formatEstimate(formRunEstimateMs)} a run</>}
        </label>
      </fieldset>
      <ul className="exercise-list">
        {EXERCISES.map((exercise) => (
          <li key={exercise.id}>
            <button
              type="button"
              disabled={runBase === null}
              onClick={() => {
                if (runBase === null) return;
                const expanded = expandExercise(exercise.id, runBase, {
                  atExerciseScale: scale === 'fitted',
                });
                if (!expanded.ok) {
                  setProblem(expanded.message);
                  return;
                }
                setProblem(null);
                // Each queued run is named by what the exercise varies: "dropout 0.7".
                const varying = varyingSettingKeys(expanded.runs);
                const runs = expanded.runs.map((settings) => ({
                  settings,
                  label: varying.map((key) => settingLabel(key, settings[key])).join(', '),
                }));
                onQueue({ id: exercise.id, title: exercise.title }, runs);
              }}
            >
              {exercise.title}
            </button>
            <span className="muted">
              {' '}
              {exercise.question}
              {scale === 'fitted' && 'scaledNote' in exercise && ` ${exercise.scaledNote}`}
            </span>
          </li>
        ))}
      </ul>
      {problem !== null && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {reading !== null && (
        <p className="reading" data-testid="exercise-reading">
          {reading}
        </p>
      )}
      {queue.length > 0 && (
        <>
          <h3>Queued runs</h3>
          <ol className="queue" aria-label="Queue">
            {queue.map((item) => {
              const what = item.label;
              return (
                <li key={item.queueId}>
                  <span>
                    {item.exercise?.title ?? 'Run'}: {what}
                  </span>{' '}
                  <button
                    type="button"
                    aria-label={`Remove queued run ${what}`}
                    onClick={() => onRemove(item.queueId)}
                  >
                    Remove
                  </button>
                </li>
              );
            })}
          </ol>
          <button type="button" onClick={onCancel}>
            Cancel queue
          </button>
        </>
      )}
    </section>
  );
});
