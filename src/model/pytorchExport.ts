import {
  SETTING_KEYS,
  FASHION_MNIST_TEST_EXAMPLES,
  FASHION_MNIST_TRAIN_EXAMPLES,
  type Settings,
} from '../config/settings.ts';
import { architectureOf, validateSettings } from './settingsCheck.ts';
import {
  MAX_DATA_SET_NAME_CHARS,
  UPLOAD_CLASS_COUNT,
  validateClassNames,
  validateDataSetName,
  type UploadedDataSummary,
} from '../data/uploadedData.ts';
import { alexNetLayers, type LayerActivation } from './architecture.ts';
import { fillTemplate, type TemplateValues } from './fillTemplate.ts';
import { computeLayerTable, formatShape } from './layerTable.ts';
// The script's Python, with {{placeholders}} and {{#ownData}} sections (see fillTemplate.ts).
import SCRIPT_TEMPLATE from './pytorchExport.template.py?raw';

/**
 * "Export as PyTorch": a self-contained, d2l-style script (needs only torch and torchvision) that
 * builds the network the playground trains, from the same layer list, and trains it with the
 * same hyperparameters on a GPU server. Pure: no DOM, no tfjs.
 *
 * Everything in the script's code comes from validated settings (finite numbers, fixed choice
 * names); the run's name goes only into a comment, cleaned of line breaks and other control
 * characters. With the person's own data, its name, class names and file names are free text
 * too: in comments cleaned the same way, in code only as escaped Python string literals.
 *
 * The fixed Python lives in pytorchExport.template.py; this module computes what varies (the
 * Sequential's lines, constants, header comments, escaped literals) and fills it in.
 */

export const PYTORCH_SCRIPT_FILE_NAME = 'alexnet_fashion_mnist.py';
/** The script's name when it trains on the person's own files instead of Fashion-MNIST. */
export const PYTORCH_OWN_DATA_SCRIPT_FILE_NAME = 'alexnet_own_data.py';

/**
 * The person's own data set, as the page holds it: the script reads the same four IDX files
 * (from a directory given on its command line) and checks they hold what `summary` says.
 */
export interface PytorchOwnData {
  /** The data set's name (validated as the page validates it: 1–40 characters). */
  name: string;
  /** Ten class names, index = class id (1–30 characters each, distinct). */
  classNames: readonly string[];
  summary: UploadedDataSummary;
}

/** The file the button downloads: named for Fashion-MNIST, or for own data. */
export function pytorchScriptFileName(ownData?: PytorchOwnData | null): string {
  return ownData == null ? PYTORCH_SCRIPT_FILE_NAME : PYTORCH_OWN_DATA_SCRIPT_FILE_NAME;
}

/** Longest run name kept in the script's header comment, in characters. */
export const MAX_RUN_NAME_CHARS = 60;

/** PEP 8's line length; the generated lines stay within it (a shape comment is left off if not). */
const MAX_LINE = 79;

const ACTIVATION_MODULES: Readonly<Record<LayerActivation, string | null>> = {
  relu: 'nn.ReLU()',
  sigmoid: 'nn.Sigmoid()',
  linear: null,
};

/**
 * Text that is safe inside a one-line Python comment: anything but letters, marks, numbers,
 * punctuation, symbols and the plain space (line breaks, control and format characters such as
 * bidirectional overrides, separators, lone surrogates) becomes a space; runs of spaces collapse;
 * at most `maxChars` characters are kept, with "..." when cut.
 */
export function commentSafe(text: string, maxChars: number): string {
  const cleaned = text
    .replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  const chars = Array.from(cleaned); // code points, so a surrogate pair is never split
  return chars.length <= maxChars ? cleaned : `${chars.slice(0, maxChars - 3).join('')}...`;
}

/** A number as a Python literal; `float` adds ".0" to whole numbers (1 → 1.0). */
function pyNumber(value: number, float = false): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const text = String(value); // e.g. 0.01, 1e-7, 128: all valid Python literals
  return float && /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/** A setting's value as a Python literal (choice values are validated names such as 'relu'). */
function pyValue(value: Settings[keyof Settings]): string {
  return typeof value === 'number' ? pyNumber(value) : `'${commentSafe(value, 40)}'`;
}

/** One code point of a Python string literal: itself when printable, else an escape. */
function pyChar(char: string): string {
  if (char === '\\' || char === "'") return `\\${char}`;
  // Printable: letters, marks, numbers, punctuation, symbols and the plain space, as in comments.
  if (/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(char)) return char;
  const code = char.codePointAt(0) ?? 0;
  // A lone surrogate cannot be written as UTF-8 (nor printed by Python): the replacement char.
  if (code >= 0xd800 && code <= 0xdfff) return '\\ufffd';
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/**
 * `text` as a Python string literal on lines of at most MAX_LINE characters (code points): the
 * first line starts with `first`, the others with `rest`, and `end` follows the last. A long
 * text becomes adjacent literals, one a line, which Python joins inside brackets; no escape is
 * ever split. Line breaks, quotes, backslashes, control and format characters are escaped;
 * other non-ASCII text stays readable (Python 3 reads source as UTF-8).
 */
function pyStringLines(text: string, first: string, rest: string, end = ''): string[] {
  const lines: string[] = [];
  let prefix = first;
  let body = '';
  const width = (value: string) => Array.from(value).length;
  for (const char of Array.from(text)) {
    const piece = pyChar(char);
    if (body !== '' && width(prefix) + width(body) + width(piece) + 2 + end.length > MAX_LINE) {
      lines.push(`${prefix}'${body}'`);
      prefix = rest;
      body = '';
    }
    body += piece;
  }
  lines.push(`${prefix}'${body}'${end}`);
  return lines;
}

/** `NAME = 'text'`, or the literal split over lines in parentheses when it is too long. */
function pyStringAssignment(name: string, text: string): string[] {
  const lines = pyStringLines(text, `${name} = `, `${name} = `);
  if (lines.length === 1) return lines;
  return [`${name} = (`, ...pyStringLines(text, '    ', '    '), ')'];
}

/** Words of `text` as comment lines ("# …") of at most MAX_LINE characters. */
function commentLines(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(' ').filter((w) => w !== '')) {
    if (line !== '#' && Array.from(line).length + 1 + Array.from(word).length > MAX_LINE) {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

/**
 * `items` joined by ", " into lines of at most MAX_LINE characters: the first line starts with
 * `first`, the others with `rest`.
 */
function wrapItems(items: readonly string[], first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  for (const [i, item] of items.entries()) {
    const piece = i < items.length - 1 ? `${item},` : item;
    const start = line === first || line === rest;
    if (!start && line.length + 1 + piece.length > MAX_LINE) {
      lines.push(line);
      line = rest + piece;
    } else {
      line += (start ? '' : ' ') + piece;
    }
  }
  lines.push(line);
  return lines;
}

/** One Sequential entry, with its output shape as a comment when the line has room for it. */
function entry(module: string, outputShape?: readonly number[]): string {
  const line = `        ${module},`;
  if (outputShape === undefined) return line;
  const withShape = `${line}  # ${formatShape(outputShape).replaceAll('×', 'x')}`;
  return withShape.length <= MAX_LINE ? withShape : line;
}

/** The nn.Sequential entries of the network, one per line, built from the app's layer list. */
function sequentialLines(settings: Settings): string[] {
  const layers = alexNetLayers(architectureOf(settings));
  const table = computeLayerTable(layers, settings.imageSize);
  if (!table.ok) throw new RangeError(`image size ${settings.imageSize} is too small`);
  const lines: string[] = [];
  const activation = (name: LayerActivation) => {
    const module = ACTIVATION_MODULES[name];
    if (module !== null) lines.push(entry(module));
  };
  const dropout = (rate: number) => {
    if (rate > 0) lines.push(entry(`nn.Dropout(p=${pyNumber(rate, true)})`));
  };
  let inputShape: readonly number[] = [1, settings.imageSize, settings.imageSize];
  for (const [i, layer] of layers.entries()) {
    const row = table.table.rows[i];
    if (row === undefined || row.name !== layer.name) throw new Error('layer table mismatch');
    const output = row.outputShape;
    const inputs = inputShape.reduce((a, b) => a * b, 1);
    switch (layer.kind) {
      case 'conv':
        lines.push(
          entry(
            `nn.Conv2d(${inputShape[0]}, ${layer.filters}, kernel_size=${layer.kernelSize}, ` +
              `stride=${layer.stride}, padding=${layer.padding})`,
            output,
          ),
        );
        activation(layer.activation);
        break;
      case 'batchNorm':
        lines.push(entry(`nn.BatchNorm${layer.dimensions}d(${output[0]}, eps=1e-5, momentum=0.1)`));
        activation(layer.activation);
        dropout(layer.dropout);
        break;
      case 'lrn': {
        // The app's alpha multiplies the plain sum of squares (the paper's convention);
        // PyTorch's LocalResponseNorm divides its alpha by size, so it takes size × alpha.
        const torchAlpha = Number((layer.alpha * layer.size).toPrecision(6));
        lines.push(
          `        # The paper's alpha=${pyNumber(layer.alpha, true)} times size: ` +
            `PyTorch divides alpha by size.`,
        );
        lines.push(
          entry(
            `nn.LocalResponseNorm(size=${layer.size}, alpha=${pyNumber(torchAlpha, true)}, ` +
              `beta=${pyNumber(layer.beta, true)}, k=${pyNumber(layer.k, true)})`,
          ),
        );
        break;
      }
      case 'maxPool':
        lines.push(
          entry(`nn.MaxPool2d(kernel_size=${layer.poolSize}, stride=${layer.stride})`, output),
        );
        break;
      case 'flatten':
        lines.push(entry('nn.Flatten()', output));
        break;
      case 'dense':
        lines.push(entry(`nn.Linear(${inputs}, ${layer.units})`));
        activation(layer.activation);
        dropout(layer.dropout);
        break;
    }
    inputShape = output;
  }
  return lines;
}

/**
 * How many training and test images the script uses: the settings' counts, or every image of
 * the person's files when they hold fewer (the app's subset takes them all then, too).
 */
function examplesOf(
  settings: Settings,
  ownData: PytorchOwnData | null,
): { train: number; test: number } {
  if (ownData === null) return { train: settings.trainExamples, test: settings.testExamples };
  return {
    train: Math.min(settings.trainExamples, ownData.summary.trainCount),
    test: Math.min(settings.testExamples, ownData.summary.testCount),
  };
}

/** Why the own data cannot go into a script (names the page would refuse), or null. */
function ownDataProblem(ownData: PytorchOwnData): string | null {
  const name = validateDataSetName(ownData.name);
  if (!name.ok) return name.message;
  const classNames = validateClassNames(ownData.classNames);
  if (!classNames.ok) return classNames.message;
  const { trainCount, testCount, imageSize } = ownData.summary;
  for (const count of [trainCount, testCount, imageSize]) {
    if (!Number.isInteger(count) || count < 1) return `invalid data set summary: ${count}`;
  }
  return null;
}

/**
 * Why these settings cannot be exported, or null when they can: the app's own validation, and
 * one case PyTorch refuses although the app accepts it. With batch norm on, a batch of one image
 * gives BatchNorm1d a single value per channel, and in training mode it raises "Expected more
 * than 1 value per channel when training" (seen with torch 1.13). A last batch of one is
 * dropped (drop_last), but batch size 1, or own data of a single training image, leaves no
 * batch to train on. BatchNorm2d is never affected: the last conv's output is at least 3×3 (the
 * last 3×3, stride-2 pool needs it). With own data, also names the page would refuse.
 */
export function pytorchExportProblem(
  settings: Settings,
  ownData: PytorchOwnData | null = null,
): string | null {
  const validation = validateSettings(settings);
  if (!validation.ok) return Object.values(validation.errors).join(' ');
  if (settings.batchNorm === 'on' && settings.batchSize === 1) {
    return (
      "PyTorch's BatchNorm1d cannot train on batches of one image: choose a batch size of 2 " +
      'or more, or turn batch norm off, to export'
    );
  }
  if (ownData === null) return null;
  const problem = ownDataProblem(ownData);
  if (problem !== null) return problem;
  if (settings.batchNorm === 'on' && examplesOf(settings, ownData).train === 1) {
    return (
      "PyTorch's BatchNorm1d cannot train on a single training image: choose files with more " +
      'training images, or turn batch norm off, to export'
    );
  }
  return null;
}

/**
 * The PyTorch script for `settings`, which must be exportable (pytorchExportProblem is null).
 * `runName` goes into a header comment only; `generatedAt` is stated there when given. With
 * `ownData` the script trains on the person's four IDX files, read from a directory given as
 * its first argument (by default the script's own), instead of torchvision's Fashion-MNIST.
 */
export function pytorchScript(
  settings: Settings,
  options: { runName?: string; generatedAt?: Date; ownData?: PytorchOwnData | null } = {},
): string {
  const validation = validateSettings(settings);
  if (!validation.ok) {
    throw new RangeError(`invalid settings: ${Object.values(validation.errors).join(' ')}`);
  }
  const ownData = options.ownData ?? null;
  const problem = pytorchExportProblem(settings, ownData);
  if (problem !== null) throw new RangeError(problem);
  const fileName = pytorchScriptFileName(ownData);
  const examples = examplesOf(settings, ownData);
  const runName = commentSafe(options.runName ?? '', MAX_RUN_NAME_CHARS);
  const generatedAt = options.generatedAt;
  // The run name is never on line 1 or 2, where Python would read a "coding:" declaration.
  const runInfo = [
    ...(runName === '' ? [] : [`# Run name: ${runName}`]),
    ...(generatedAt === undefined || Number.isNaN(generatedAt.getTime())
      ? []
      : [`# Generated: ${generatedAt.toISOString()}`]),
  ];
  if (runInfo.length > 0) runInfo.push('#');
  const dictItems = SETTING_KEYS.map(
    (key, i) => `'${key}': ${pyValue(settings[key])}${i === SETTING_KEYS.length - 1 ? '}' : ''}`,
  );
  const of = (count: number, total: number) =>
    count < total ? `of ${total}, see subset()` : `all ${total}`;
  // With own data, more examples than the files hold trains on all of them, as the app does.
  const totals =
    ownData === null
      ? { train: FASHION_MNIST_TRAIN_EXAMPLES, test: FASHION_MNIST_TEST_EXAMPLES }
      : { train: ownData.summary.trainCount, test: ownData.summary.testCount };
  return fillTemplate(SCRIPT_TEMPLATE, {
    ownData: ownData !== null,
    // The script drops a last batch of one image per process, which BatchNorm1d would refuse.
    batchNorm: settings.batchNorm === 'on',
    fileName,
    runFileStem: fileName.replace(/\.py$/, ''),
    runArgs: ownData === null ? '' : ' DATA_DIR',
    title:
      ownData === null
        ? 'AlexNet on Fashion-MNIST in PyTorch'
        : 'AlexNet in PyTorch on your own data',
    runInfo,
    settingsComment: wrapItems(dictItems, '#     {', '#      '),
    // The same settings as code, for the run file the script writes.
    settingsCode: wrapItems(dictItems, 'SETTINGS = {', '            '),
    seed: pyNumber(settings.seed),
    learningRate: pyNumber(settings.learningRate, true),
    batchSize: pyNumber(settings.batchSize),
    epochs: pyNumber(settings.epochs),
    imageSize: pyNumber(settings.imageSize),
    side: pyNumber(ownData === null ? 28 : ownData.summary.imageSize),
    trainExamples: pyNumber(examples.train),
    trainExamplesOf: of(examples.train, totals.train),
    testExamples: pyNumber(examples.test),
    testExamplesOf: of(examples.test, totals.test),
    sequential: sequentialLines(settings),
    // Own data's values fill only {{#ownData}} sections, dropped without own data.
    ...(ownData === null ? {} : ownDataValues(ownData)),
  });
}

/** The template's values that describe the person's data: names, files, counts. */
function ownDataValues(ownData: PytorchOwnData): TemplateValues {
  const { files, trainCount, testCount } = ownData.summary;
  const classNames = validateClassNames(ownData.classNames);
  if (!classNames.ok) throw new RangeError(classNames.message);
  return {
    ownDataComment: ownDataComment(ownData),
    // The page's id for the files' contents: a run file of the script then has the same data set
    // as the page's runs on them.
    dataSetId: pyStringAssignment('DATA_SET_ID', ownData.summary.id),
    dataSetName: pyStringAssignment('DATA_SET_NAME', ownData.name.trim()),
    classNames: classNames.names.flatMap((name) => pyStringLines(name, '    ', '    ', ',')),
    trainImagesFile: pyStringAssignment('TRAIN_IMAGES_FILE', files.trainImages),
    trainLabelsFile: pyStringAssignment('TRAIN_LABELS_FILE', files.trainLabels),
    testImagesFile: pyStringAssignment('TEST_IMAGES_FILE', files.testImages),
    testLabelsFile: pyStringAssignment('TEST_LABELS_FILE', files.testLabels),
    trainCount: pyNumber(trainCount),
    testCount: pyNumber(testCount),
  };
}

/** The header's account of the person's data: its name and the four files it reads. */
function ownDataComment(ownData: PytorchOwnData): string[] {
  const { files, trainCount, testCount, imageSize } = ownData.summary;
  const label: Record<keyof typeof files, string> = {
    trainImages: 'training images:',
    trainLabels: 'training labels:',
    testImages: 'test images:',
    testLabels: 'test labels:',
  };
  const prefixWidth = '#     '.length + 'training images: '.length;
  return [
    ...commentLines(
      `Trains on "${commentSafe(ownData.name.trim(), MAX_DATA_SET_NAME_CHARS)}" from the ` +
        `four IDX files chosen in the playground (gzip or raw): ${trainCount} training and ` +
        `${testCount} test images of ${imageSize}x${imageSize} pixels, ` +
        `${UPLOAD_CLASS_COUNT} classes:`,
    ),
    ...(Object.keys(label) as (keyof typeof files)[]).map(
      (role) =>
        `#     ${label[role].padEnd(17)}${commentSafe(files[role], MAX_LINE - prefixWidth)}`,
    ),
  ];
}
