import { memo, type ReactNode } from 'react';
import {
  CHOICE_KEYS,
  CHOICE_RULES,
  type ChoiceSettingKey,
  NUMERIC_KEYS,
  NUMERIC_RULES,
  type NumericSettingKey,
  type Settings,
  type SettingsDraft,
  type SettingsErrors,
} from '../config/settings.ts';

const HINTS: Readonly<Record<NumericSettingKey, string>> = {
  learningRate: 'SGD step size; the book uses 0.01',
  dropout: 'after each hidden dense layer; 0 turns it off; book 0.5',
  batchSize: 'images per SGD step; book 128',
  epochs: 'passes over the training examples; book 10',
  imageSize: '28×28 images are resized to this; book 224',
  width: 'multiplies channels and units; book 1',
  trainExamples: 'stratified subset of the 60,000',
  testExamples: 'stratified subset of the 10,000, for validation',
  seed: 'weights, subset and shuffle order',
};

const CHOICE_HINTS: Readonly<Record<ChoiceSettingKey, string>> = {
  dropConv: 'leave out one 3×3 conv layer (exercise: simplify); book none',
  batchNorm: 'after each conv and hidden dense layer, before the activation; book off',
  activation: 'of every hidden layer; book ReLU',
  lrn: 'after conv1 and conv2, as in the original AlexNet (5, 1e-4, 0.75, 2); book off',
  backend: 'WebGPU first; falls back to WebGL, then CPU',
  kernels:
    'WebGPU convolutions: auto = ours on a software GPU; on a real one, whichever times faster',
};

/** A label, the control, its hint and its error; the control is described by both. */
function Field({
  name,
  label,
  hint,
  error,
  children,
}: {
  name: keyof Settings;
  label: string;
  hint: string;
  error: string | undefined;
  children: (describedBy: string) => ReactNode;
}) {
  const id = `setting-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(`${id}-hint${error === undefined ? '' : ` ${id}-error`}`)}
      <small id={`${id}-hint`} className="hint">
        {hint}
      </small>
      {error !== undefined && (
        <small id={`${id}-error`} className="error">
          {error}
        </small>
      )}
    </div>
  );
}

/** The labelled inputs; text inputs so that any typed value can be explained, not dropped. */
export const SettingsForm = memo(function SettingsForm({
  draft,
  errors,
  disabled,
  onChange,
}: {
  draft: SettingsDraft;
  errors: SettingsErrors;
  disabled: boolean;
  onChange: (key: keyof Settings, value: string) => void;
}) {
  return (
    <fieldset className="settings" disabled={disabled}>
      <legend>Settings</legend>
      {NUMERIC_KEYS.map((key) => (
        <Field
          key={key}
          name={key}
          label={NUMERIC_RULES[key].label}
          hint={HINTS[key]}
          error={errors[key]}
        >
          {(describedBy) => (
            <input
              id={`setting-${key}`}
              type="text"
              inputMode={NUMERIC_RULES[key].integer ? 'numeric' : 'decimal'}
              autoComplete="off"
              spellCheck={false}
              value={draft[key]}
              aria-invalid={errors[key] !== undefined}
              aria-describedby={describedBy}
              onChange={(event) => onChange(key, event.target.value)}
            />
          )}
        </Field>
      ))}
      {CHOICE_KEYS.map((key) => (
        <Field
          key={key}
          name={key}
          label={CHOICE_RULES[key].label}
          hint={CHOICE_HINTS[key]}
          error={errors[key]}
        >
          {(describedBy) => (
            <select
              id={`setting-${key}`}
              value={draft[key]}
              aria-describedby={describedBy}
              onChange={(event) => onChange(key, event.target.value)}
            >
              {CHOICE_RULES[key].options.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
          )}
        </Field>
      ))}
    </fieldset>
  );
});
