/**
 * The one source of truth for run settings: types, the book's defaults, and the field rules that
 * the form, the URL and the worker all use. The bottom layer: it imports nothing. The checks that
 * need the network (an image too small for it, its memory) are in model/settingsCheck.ts.
 */

export const BACKENDS = ['webgpu', 'webgl', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * Convolution and matrix-product kernels on WebGPU: this project's WGSL kernels (src/kernels),
 * TF.js's own, or 'auto': ours on SwiftShader, where the benchmark measured them faster, and on
 * any other adapter whichever a few timed steps of the run's network find faster there, as long
 * as both compute the same. Off SwiftShader 'optimized' is checked first too, and refused if
 * ours compute something else there (model/kernelTrial.ts).
 */
export const KERNEL_CHOICES = ['auto', 'optimized', 'stock'] as const;
export type KernelsSetting = (typeof KERNEL_CHOICES)[number];

export const SWITCH = ['off', 'on'] as const;
export type Switch = (typeof SWITCH)[number];

/** Which of the three 3×3 conv layers a run leaves out (the exercise "simplify AlexNet"). */
export const DROPPABLE_CONVS = ['none', 'conv3', 'conv4', 'conv5'] as const;
export type DroppableConv = (typeof DROPPABLE_CONVS)[number];
/** Activation of every hidden layer; the book's AlexNet uses ReLU. */
export const HIDDEN_ACTIVATIONS = ['relu', 'sigmoid'] as const;
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];

export const NUM_CLASSES = 10;
export const FASHION_MNIST_TRAIN_EXAMPLES = 60_000;
export const FASHION_MNIST_TEST_EXAMPLES = 10_000;

export interface Settings {
  learningRate: number;
  dropout: number;
  batchSize: number;
  epochs: number;
  /** Images are resized to imageSize×imageSize before the first layer. */
  imageSize: number;
  /** Channel and unit multiplier; 1 is the book's network. */
  width: number;
  trainExamples: number;
  testExamples: number;
  /** Seeds weight init, subset choice and the per-epoch shuffle. */
  seed: number;
  /** Architecture variants (the guide's exercises); the defaults are the book's network. */
  dropConv: DroppableConv;
  batchNorm: Switch;
  activation: HiddenActivation;
  lrn: Switch;
  backend: BackendName;
  kernels: KernelsSetting;
}

export type ChoiceSettingKey =
  'dropConv' | 'batchNorm' | 'activation' | 'lrn' | 'backend' | 'kernels';
export type NumericSettingKey = Exclude<keyof Settings, ChoiceSettingKey>;

/** d2l §8.1: lr 0.01, batch 128, dropout 0.5, 10 epochs, 224×224, full Fashion-MNIST. */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  learningRate: 0.01,
  dropout: 0.5,
  batchSize: 128,
  epochs: 10,
  imageSize: 224,
  width: 1,
  trainExamples: FASHION_MNIST_TRAIN_EXAMPLES,
  testExamples: FASHION_MNIST_TEST_EXAMPLES,
  seed: 1,
  dropConv: 'none',
  batchNorm: 'off',
  activation: 'relu',
  lrn: 'off',
  backend: 'webgpu',
  kernels: 'auto',
});

interface NumericRule {
  label: string;
  /** Query parameter that mirrors the setting. */
  urlKey: string;
  integer: boolean;
  min: number;
  minInclusive: boolean;
  max: number;
  maxInclusive: boolean;
  /** Shown to people: what values are allowed. */
  allowed: string;
}

export const NUMERIC_RULES: Readonly<Record<NumericSettingKey, NumericRule>> = {
  learningRate: {
    label: 'Learning rate',
    urlKey: 'lr',
    integer: false,
    min: 0,
    minInclusive: false,
    // Far above anything that trains, so that divergence itself can be explored.
    max: 1000,
    maxInclusive: true,
    allowed: 'a number greater than 0 and at most 1000 (e.g. 0.01 or 1e-3)',
  },
  dropout: {
    label: 'Dropout',
    urlKey: 'dropout',
    integer: false,
    min: 0,
    minInclusive: true,
    max: 1,
    maxInclusive: false,
    allowed: 'a number from 0 up to, but not including, 1',
  },
  batchSize: {
    label: 'Batch size',
    urlKey: 'batch',
    integer: true,
    min: 1,
    minInclusive: true,
    max: 4096,
    maxInclusive: true,
    allowed: 'a whole number from 1 to 4096, at most the number of training examples',
  },
  epochs: {
    label: 'Epochs',
    urlKey: 'epochs',
    integer: true,
    min: 1,
    minInclusive: true,
    max: 1000,
    maxInclusive: true,
    allowed: 'a whole number from 1 to 1000',
  },
  imageSize: {
    label: 'Image size',
    urlKey: 'size',
    integer: true,
    min: 1,
    minInclusive: true,
    max: 1024,
    maxInclusive: true,
    allowed: 'a whole number of pixels, at most 1024, large enough for the network',
  },
  width: {
    label: 'Width',
    urlKey: 'width',
    integer: false,
    min: 0,
    minInclusive: false,
    max: 4,
    maxInclusive: true,
    allowed: 'a number greater than 0 and at most 4 (1 is the book’s network)',
  },
  trainExamples: {
    label: 'Training examples',
    urlKey: 'train',
    integer: true,
    min: 1,
    minInclusive: true,
    max: FASHION_MNIST_TRAIN_EXAMPLES,
    maxInclusive: true,
    allowed: `a whole number from 1 to ${FASHION_MNIST_TRAIN_EXAMPLES}`,
  },
  testExamples: {
    label: 'Test examples',
    urlKey: 'test',
    integer: true,
    min: 1,
    minInclusive: true,
    max: FASHION_MNIST_TEST_EXAMPLES,
    maxInclusive: true,
    allowed: `a whole number from 1 to ${FASHION_MNIST_TEST_EXAMPLES}`,
  },
  seed: {
    label: 'Seed',
    urlKey: 'seed',
    integer: true,
    min: 0,
    minInclusive: true,
    max: 2 ** 31 - 1,
    maxInclusive: true,
    allowed: `a whole number from 0 to ${2 ** 31 - 1}`,
  },
};

export const NUMERIC_KEYS = Object.keys(NUMERIC_RULES) as NumericSettingKey[];

interface ChoiceRule {
  label: string;
  urlKey: string;
  options: readonly string[];
}

export const CHOICE_RULES: Readonly<Record<ChoiceSettingKey, ChoiceRule>> = {
  dropConv: { label: 'Drop conv layer', urlKey: 'drop', options: DROPPABLE_CONVS },
  batchNorm: { label: 'Batch norm', urlKey: 'bn', options: SWITCH },
  activation: { label: 'Activation', urlKey: 'act', options: HIDDEN_ACTIVATIONS },
  lrn: { label: 'Local response norm', urlKey: 'lrn', options: SWITCH },
  backend: { label: 'Backend', urlKey: 'backend', options: BACKENDS },
  kernels: { label: 'Kernels', urlKey: 'kernels', options: KERNEL_CHOICES },
};

export const CHOICE_KEYS = Object.keys(CHOICE_RULES) as ChoiceSettingKey[];

/** Every setting, in the form's order: the numeric ones, then the choices. */
export const SETTING_KEYS: readonly (keyof Settings)[] = [...NUMERIC_KEYS, ...CHOICE_KEYS];

/** What a form or a URL holds before validation: text for every setting. */
export type SettingsDraft = Record<keyof Settings, string>;

export type SettingsErrors = Partial<Record<keyof Settings, string>>;

export type ValidationResult =
  { ok: true; settings: Settings } | { ok: false; errors: SettingsErrors };

export type ArchitectureSettings = Pick<
  Settings,
  'width' | 'dropout' | 'dropConv' | 'batchNorm' | 'activation' | 'lrn'
>;

export function draftFromSettings(settings: Settings): SettingsDraft {
  const draft = {} as SettingsDraft;
  for (const key of NUMERIC_KEYS) draft[key] = String(settings[key]);
  for (const key of CHOICE_KEYS) draft[key] = settings[key];
  return draft;
}

/**
 * The architecture fields of a draft when they are all valid, else null: the layer table follows
 * the form as soon as these are valid, even while other fields are not.
 */
export function architectureFromDraft(draft: SettingsDraft): ArchitectureSettings | null {
  const width = parseNumericSetting('width', draft.width);
  const dropout = parseNumericSetting('dropout', draft.dropout);
  const choiceKeys = ['dropConv', 'batchNorm', 'activation', 'lrn'] as const;
  if (!width.ok || !dropout.ok) return null;
  if (choiceKeys.some((key) => choiceProblem(key, draft[key]) !== null)) return null;
  return {
    width: width.value,
    dropout: dropout.value,
    dropConv: draft.dropConv as DroppableConv,
    batchNorm: draft.batchNorm as Switch,
    activation: draft.activation as HiddenActivation,
    lrn: draft.lrn as Switch,
  };
}

/** Parses one numeric field; returns the number or a message naming what is allowed. */
export function parseNumericSetting(
  key: NumericSettingKey,
  text: string,
): { ok: true; value: number } | { ok: false; message: string } {
  const rule = NUMERIC_RULES[key];
  const fail = (problem: string) =>
    ({ ok: false, message: `${rule.label} ${problem}; allowed: ${rule.allowed}.` }) as const;
  const trimmed = text.trim();
  if (trimmed === '') return fail('is empty');
  // Number('') is 0 and Number('0x10') is 16: accept only plain decimal and exponent notation.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) {
    return fail(`"${trimmed.slice(0, 40)}" is not a number`);
  }
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return fail('is not a finite number');
  if (rule.integer && !Number.isInteger(value)) return fail(`must be a whole number, not ${value}`);
  const belowMin = rule.minInclusive ? value < rule.min : value <= rule.min;
  if (belowMin) return fail(`${value} is too small`);
  const aboveMax = rule.maxInclusive ? value > rule.max : value >= rule.max;
  if (aboveMax) return fail(`${value} is too large`);
  return { ok: true, value };
}

/** Checks one choice field; returns null when the value is one of its options. */
export function choiceProblem(key: ChoiceSettingKey, text: string): string | null {
  const rule = CHOICE_RULES[key];
  return rule.options.includes(text)
    ? null
    : `${rule.label} "${text.slice(0, 40)}" is unknown; allowed: ${rule.options.join(', ')}.`;
}

/**
 * Validates every field and the rules that tie fields together, except those that need the
 * network (validateDraft in model/settingsCheck.ts adds them).
 */
export function validateFields(draft: SettingsDraft): ValidationResult {
  const errors: SettingsErrors = {};
  const values: Partial<Settings> = {};
  for (const key of NUMERIC_KEYS) {
    const parsed = parseNumericSetting(key, draft[key]);
    if (parsed.ok) values[key] = parsed.value;
    else errors[key] = parsed.message;
  }
  for (const key of CHOICE_KEYS) {
    const problem = choiceProblem(key, draft[key]);
    if (problem !== null) errors[key] = problem;
  }
  const choices: Partial<Record<ChoiceSettingKey, string>> = values;
  for (const key of CHOICE_KEYS) if (errors[key] === undefined) choices[key] = draft[key];

  const { batchSize, trainExamples } = values;
  if (batchSize !== undefined && trainExamples !== undefined && batchSize > trainExamples) {
    errors.batchSize =
      `Batch size ${batchSize} is larger than the ${trainExamples} training examples; ` +
      `allowed: at most the number of training examples.`;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, settings: values as Settings };
}
