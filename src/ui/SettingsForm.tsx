import { memo } from 'react';
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
  dropout: 'after each hidden dense layer; book 0.5',
  batchSize: 'images per SGD step; book 128',
  epochs: 'passes over the training examples; book 10',
  imageSize: '28×28 images are resized to this; book 224',
  width: 'multiplies channels and units; book 1',
  trainExamples: 'stratified subset of the 60,000',
  testExamples: 'stratified subset of the 10,000, for validation',
  seed: 'weights, subset and shuffle order',
};

const CHOICE_HINTS: Readonly<Record<ChoiceSettingKey, string>> = {
  backend: 'WebGPU first; falls back to WebGL, then CPU',
  kernels: 'WebGPU convolutions: auto = ours on a software GPU, TF.js’s on a real one',
};

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
      {NUMERIC_KEYS.map((key) => {
        const id = `setting-${key}`;
        const error = errors[key];
        return (
          <div className="field" key={key}>
            <label htmlFor={id}>{NUMERIC_RULES[key].label}</label>
            <input
              id={id}
              type="text"
              inputMode={NUMERIC_RULES[key].integer ? 'numeric' : 'decimal'}
              autoComplete="off"
              spellCheck={false}
              value={draft[key]}
              aria-invalid={error !== undefined}
              aria-describedby={`${id}-hint${error === undefined ? '' : ` ${id}-error`}`}
              onChange={(event) => onChange(key, event.target.value)}
            />
            <small id={`${id}-hint`} className="hint">
              {HINTS[key]}
            </small>
            {error !== undefined && (
              <small id={`${id}-error`} className="error">
                {error}
              </small>
            )}
          </div>
        );
      })}
      {CHOICE_KEYS.map((key) => {
        const id = `setting-${key}`;
        const error = errors[key];
        return (
          <div className="field" key={key}>
            <label htmlFor={id}>{CHOICE_RULES[key].label}</label>
            <select
              id={id}
              value={draft[key]}
              aria-describedby={`${id}-hint${error === undefined ? '' : ` ${id}-error`}`}
              onChange={(event) => onChange(key, event.target.value)}
            >
              {CHOICE_RULES[key].options.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
            <small id={`${id}-hint`} className="hint">
              {CHOICE_HINTS[key]}
            </small>
            {error !== undefined && (
              <small id={`${id}-error`} className="error">
                {error}
              </small>
            )}
          </div>
        );
      })}
    </fieldset>
  );
});
