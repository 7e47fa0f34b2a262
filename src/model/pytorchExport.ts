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
import { computeLayerTable, formatShape } from './layerTable.ts';

/**
 * "Export as PyTorch": a self-contained, d2l-style script (needs only torch and torchvision) that
 * builds the network the playground trains, from the same layer list, and trains it with the
 * same hyperparameters on a GPU server. Pure: no DOM, no tfjs.
 *
 * Everything in the script's code comes from validated settings (finite numbers, fixed choice
 * names); the run's name goes only into a comment, cleaned of line breaks and other control
 * characters. With the person's own data, its name, class names and file names are free text
 * too: in comments cleaned the same way, in code only as escaped Python string literals.
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

/** True when the last training batch holds one image and a BatchNorm1d would refuse it. */
function lastBatchOfOne(settings: Settings, trainExamples: number): boolean {
  return settings.batchNorm === 'on' && trainExamples % settings.batchSize === 1;
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
  const settingsLines = [
    '# Playground settings (backend and kernels only matter in the browser):',
    ...wrapItems(dictItems, '#     {', '#      '),
    '#',
  ];
  // The run name is never on line 1 or 2, where Python would read a "coding:" declaration.
  const intro = (title: string) => [
    `# ${fileName}: ${title}, after`,
    '# d2l.ai section 8.1, "Deep Convolutional Neural Networks (AlexNet)".',
    '# Generated by the in-browser AlexNet playground with the same architecture',
    '# variant and hyperparameters, to train at full scale on a GPU server.',
    '#',
    ...runInfo,
    ...settingsLines,
  ];
  const header =
    ownData === null
      ? [
          ...intro('AlexNet on Fashion-MNIST in PyTorch'),
          '# Needs only torch and torchvision (pip install torch torchvision). Run:',
          `#     python ${fileName}`,
          '# Fashion-MNIST is downloaded to ./data on the first run. Trains on CUDA if',
          "# available, else on Apple's MPS, else on the CPU.",
        ]
      : [
          ...intro('AlexNet in PyTorch on your own data'),
          ...ownDataHeader(ownData),
          '#',
          '# Needs only torch and torchvision (pip install torch torchvision). Run:',
          `#     python ${fileName} DATA_DIR`,
          '# where DATA_DIR is the directory that holds the four files; without it, the',
          "# script's own directory. Trains on CUDA if available, else on Apple's MPS,",
          '# else on the CPU.',
        ];
  const of = (count: number, total: number) =>
    count < total ? `  # of ${total}, see subset()` : `  # all ${total}`;
  const dropLast = lastBatchOfOne(settings, examples.train)
    ? [
        '    # The last batch would hold one image, which BatchNorm1d cannot train on.',
        '    train_iter = torch.utils.data.DataLoader(',
        '        train, BATCH_SIZE, shuffle=True, num_workers=NUM_WORKERS,',
        '        drop_last=True)',
      ]
    : [
        '    train_iter = torch.utils.data.DataLoader(',
        '        train, BATCH_SIZE, shuffle=True, num_workers=NUM_WORKERS)',
      ];
  const loaders = [
    '    train = subset(train, TRAIN_EXAMPLES, SEED)',
    '    test = subset(test, TEST_EXAMPLES, SEED + 1)',
    ...dropLast,
    '    test_iter = torch.utils.data.DataLoader(',
    '        test, BATCH_SIZE, shuffle=False, num_workers=NUM_WORKERS)',
    '    return train_iter, test_iter',
  ];
  const side = ownData === null ? 28 : ownData.summary.imageSize;
  const lines = [
    ...header,
    '',
    ...(ownData === null ? [] : ['import gzip']),
    'import os',
    ...(ownData === null ? [] : ['import sys']),
    'import time',
    '',
    'import torch',
    'from torch import nn',
    ...(ownData === null
      ? ['from torchvision import datasets, transforms']
      : [
          'from torchvision import transforms',
          'from torchvision.transforms.functional import to_pil_image',
        ]),
    '',
    `SEED = ${pyNumber(settings.seed)}`,
    `LEARNING_RATE = ${pyNumber(settings.learningRate, true)}`,
    `BATCH_SIZE = ${pyNumber(settings.batchSize)}`,
    `NUM_EPOCHS = ${pyNumber(settings.epochs)}`,
    `IMAGE_SIZE = ${pyNumber(settings.imageSize)}  # the ${side}x${side} images are resized to this`,
    ...(ownData === null
      ? [
          `TRAIN_EXAMPLES = ${pyNumber(settings.trainExamples)}` +
            of(settings.trainExamples, FASHION_MNIST_TRAIN_EXAMPLES),
          `TEST_EXAMPLES = ${pyNumber(settings.testExamples)}` +
            of(settings.testExamples, FASHION_MNIST_TEST_EXAMPLES),
        ]
      : [
          // More than the files hold trains on all of them, as the app does.
          `TRAIN_EXAMPLES = ${pyNumber(examples.train)}` +
            of(examples.train, ownData.summary.trainCount),
          `TEST_EXAMPLES = ${pyNumber(examples.test)}` +
            of(examples.test, ownData.summary.testCount),
        ]),
    '# Four loader processes, as in d2l, but no more than there are cores (more',
    '# make torch warn that loading may slow down or freeze).',
    'NUM_WORKERS = min(4, os.cpu_count() or 1)',
    ...(ownData === null ? [] : ownDataConstants(ownData)),
    '',
    '',
    'def alexnet():',
    '    """The playground\'s network; comments give output shapes (C x H x W)."""',
    '    return nn.Sequential(',
    ...sequentialLines(settings),
    '    )',
    '',
    '',
    'def init_cnn(module):',
    '    """d2l\'s init_cnn: Xavier-uniform weights, zero biases."""',
    '    if isinstance(module, (nn.Conv2d, nn.Linear)):',
    '        nn.init.xavier_uniform_(module.weight)',
    '        nn.init.zeros_(module.bias)',
    '',
    '',
    'def subset(dataset, count, seed):',
    '    """`count` examples chosen by a seeded random permutation (all if `count`',
    "    covers the dataset). Not the playground's class-balanced subset: as many",
    '    images, but not the same ones."""',
    '    if count >= len(dataset):',
    '        return dataset',
    '    generator = torch.Generator().manual_seed(seed)',
    '    order = torch.randperm(len(dataset), generator=generator)',
    '    return torch.utils.data.Subset(dataset, order[:count].tolist())',
    '',
    '',
    ...(ownData === null
      ? [
          'def load_data():',
          '    """Fashion-MNIST resized to IMAGE_SIZE, pixels in 0..1 as in the app."""',
          '    trans = transforms.Compose([transforms.Resize((IMAGE_SIZE, IMAGE_SIZE)),',
          '                                transforms.ToTensor()])',
          "    train = datasets.FashionMNIST(root='./data', train=True, transform=trans,",
          '                                  download=True)',
          "    test = datasets.FashionMNIST(root='./data', train=False, transform=trans,",
          '                                 download=True)',
          ...loaders,
        ]
      : [...OWN_DATA_LOADING, ...loaders]),
    '',
    '',
    'def run_epoch(net, data_iter, loss_fn, device, optimizer=None):',
    '    """Mean loss, accuracy and image count of one pass over data_iter;',
    '    trains the net when given an optimizer, else evaluates it."""',
    '    training = optimizer is not None',
    '    net.train(training)',
    '    loss_sum, correct, seen = 0.0, 0, 0',
    '    with torch.set_grad_enabled(training):',
    '        for X, y in data_iter:',
    '            X, y = X.to(device), y.to(device)',
    '            y_hat = net(X)',
    '            loss = loss_fn(y_hat, y)',
    '            if training:',
    '                optimizer.zero_grad()',
    '                loss.backward()',
    '                optimizer.step()',
    '            loss_sum += loss.item() * len(y)',
    '            correct += (y_hat.argmax(dim=1) == y).sum().item()',
    '            seen += len(y)',
    '    return loss_sum / seen, correct / seen, seen',
    '',
    '',
    ...(ownData === null ? [] : OWN_DATA_SHOW),
    'def main():',
    '    torch.manual_seed(SEED)',
    '    net = alexnet()',
    '    net.apply(init_cnn)',
    "    device = ('cuda' if torch.cuda.is_available() else",
    "              'mps' if torch.backends.mps.is_available() else 'cpu')",
    '    net.to(device)',
    ...(ownData === null
      ? ['    train_iter, test_iter = load_data()']
      : [
          '    # The directory with the four files: the first argument, else this',
          "    # script's own directory.",
          '    data_dir = sys.argv[1] if len(sys.argv) > 1 else SCRIPT_DIR',
          '    train_iter, test_iter = load_data(data_dir)',
        ]),
    '    loss_fn = nn.CrossEntropyLoss()',
    '    optimizer = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)',
    // Labelled as the app's layer table labels it, so the two counts can be compared at a glance.
    '    parameters = sum(p.numel() for p in net.parameters())',
    "    print(f'Total parameters: {parameters:,}')",
    "    print(f'Training on {device}: {len(train_iter.dataset)} training, '",
    "          f'{len(test_iter.dataset)} test images')",
    ...(ownData === null
      ? []
      : [
          "    show(f'Data: {DATA_SET_NAME}, from {os.path.abspath(data_dir)}')",
          "    show(f'Classes: {CLASS_NAMES}')",
        ]),
    '    print(f\'{"Epoch":>5} {"Train loss":>10} {"Train acc":>9} {"Val loss":>9} \'',
    '          f\'{"Val acc":>8} {"Images/s":>9} {"Elapsed":>8}\')',
    '    start = time.perf_counter()',
    '    for epoch in range(1, NUM_EPOCHS + 1):',
    '        epoch_start = time.perf_counter()',
    '        train_loss, train_acc, seen = run_epoch(net, train_iter, loss_fn,',
    '                                                device, optimizer)',
    '        images_per_second = seen / (time.perf_counter() - epoch_start)',
    '        val_loss, val_acc, _ = run_epoch(net, test_iter, loss_fn, device)',
    '        elapsed = time.perf_counter() - start',
    "        print(f'{epoch:>5} {train_loss:>10.4f} {train_acc:>9.1%} '",
    "              f'{val_loss:>9.4f} {val_acc:>8.1%} '",
    "              f'{images_per_second:>9.1f} {elapsed:>7.1f}s')",
    '',
    '',
    "if __name__ == '__main__':",
    '    main()',
    '',
  ];
  return lines.join('\n');
}

/** The header's account of the person's data: its name, the four files, how to run it. */
function ownDataHeader(ownData: PytorchOwnData): string[] {
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
    '# The script checks that the files hold that many images and labels, of',
    '# that size, and stops with an error naming the file if not.',
  ];
}

/** The constants that describe the person's data: names, files, counts, image size. */
function ownDataConstants(ownData: PytorchOwnData): string[] {
  const { files, trainCount, testCount, imageSize } = ownData.summary;
  const classNames = validateClassNames(ownData.classNames);
  if (!classNames.ok) throw new RangeError(classNames.message);
  return [
    '',
    '# The data set and its classes (class id = index), as named in the playground.',
    ...pyStringAssignment('DATA_SET_NAME', ownData.name.trim()),
    'CLASS_NAMES = [',
    ...classNames.names.flatMap((name) => pyStringLines(name, '    ', '    ', ',')),
    ']',
    '# The four files it was exported for, and what they hold (read_idx checks).',
    ...pyStringAssignment('TRAIN_IMAGES_FILE', files.trainImages),
    ...pyStringAssignment('TRAIN_LABELS_FILE', files.trainLabels),
    ...pyStringAssignment('TEST_IMAGES_FILE', files.testImages),
    ...pyStringAssignment('TEST_LABELS_FILE', files.testLabels),
    `TRAIN_COUNT = ${pyNumber(trainCount)}`,
    `TEST_COUNT = ${pyNumber(testCount)}`,
    `SIDE = ${pyNumber(imageSize)}  # the images are SIDE x SIDE pixels`,
    'SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))',
  ];
}

/**
 * Reads and checks the IDX files, and turns them into datasets whose images go through the
 * same transform as torchvision's FashionMNIST (uint8 tensor → PIL image, mode L → Resize →
 * ToTensor), up to load_data's `trans`; OWN_DATA_LOADING ends inside load_data().
 */
const OWN_DATA_LOADING = [
  'def read_idx(path, shape):',
  '    """The uint8 tensor of `shape` in the IDX file at `path`, gzip or raw:',
  '    images (magic 0x00000803, count x rows x cols) when `shape` has three',
  '    sizes, labels (magic 0x00000801, count) when it has one. Raises',
  '    ValueError, naming the file, if it holds anything else."""',
  '    images = len(shape) == 3',
  "    kind, magic = ('images', 0x803) if images else ('labels', 0x801)",
  '    if not os.path.isfile(path):',
  '        raise FileNotFoundError(',
  "            f'{path} not found: pass the directory that holds the four files '",
  "            'as the first argument')",
  "    with open(path, 'rb') as file:",
  '        data = file.read()',
  "    if data[:2] == b'\\x1f\\x8b':  # gzip's magic number",
  '        try:',
  '            data = gzip.decompress(data)',
  '        except Exception as error:  # OSError, EOFError or zlib.error',
  '            raise ValueError(',
  "                f'{path}: cannot be decompressed: {error}') from error",
  '    header = 4 + 4 * len(shape)',
  "    if len(data) < header or int.from_bytes(data[:4], 'big') != magic:",
  '        raise ValueError(',
  "            f'{path}: not an IDX {kind} file: it starts with '",
  "            f'0x{data[:4].hex()}, expected {magic:#010x}')",
  "    found = tuple(int.from_bytes(data[i:i + 4], 'big')",
  '                  for i in range(4, header, 4))',
  '',
  '    def describe(sizes):',
  "        return (f'{sizes[0]} images of {sizes[1]}x{sizes[2]} pixels' if images",
  "                else f'{sizes[0]} labels')",
  '',
  '    if found != tuple(shape):',
  '        raise ValueError(',
  "            f'{path}: holds {describe(found)}, but this script was exported '",
  "            f'for {describe(shape)}: is it the file chosen in the playground?')",
  '    size = torch.Size(shape).numel()',
  '    if len(data) != header + size:',
  '        raise ValueError(',
  "            f'{path}: has {len(data) - header} bytes after its header; '",
  "            f'{describe(shape)} take {size}')",
  '    return torch.frombuffer(bytearray(data[header:]),',
  '                            dtype=torch.uint8).reshape(shape)',
  '',
  '',
  'class IdxDataset(torch.utils.data.Dataset):',
  '    """Images and labels from IDX files. Each image becomes a PIL image (mode',
  '    L, 8-bit grey) before `transform`, as in torchvision\'s FashionMNIST."""',
  '',
  '    def __init__(self, images, labels, transform):',
  '        self.images = images',
  '        self.labels = labels',
  '        self.transform = transform',
  '',
  '    def __len__(self):',
  '        return len(self.labels)',
  '',
  '    def __getitem__(self, index):',
  '        image = to_pil_image(self.images[index])',
  '        return self.transform(image), int(self.labels[index])',
  '',
  '',
  'def idx_dataset(data_dir, images_file, labels_file, count, transform):',
  '    """The images and labels of one split, checked against what the script',
  '    was exported for."""',
  '    images = read_idx(os.path.join(data_dir, images_file), (count, SIDE, SIDE))',
  '    labels_path = os.path.join(data_dir, labels_file)',
  '    labels = read_idx(labels_path, (count,))',
  '    if labels.max() >= len(CLASS_NAMES):',
  '        raise ValueError(',
  "            f'{labels_path}: holds label {int(labels.max())}; expected class '",
  "            f'ids 0 to {len(CLASS_NAMES) - 1}')",
  '    return IdxDataset(images, labels, transform)',
  '',
  '',
  'def load_data(data_dir):',
  '    """The four IDX files in data_dir, each image resized to IMAGE_SIZE, pixels',
  '    in 0..1 as in the app."""',
  '    trans = transforms.Compose([transforms.Resize((IMAGE_SIZE, IMAGE_SIZE)),',
  '                                transforms.ToTensor()])',
  '    train = idx_dataset(data_dir, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE,',
  '                        TRAIN_COUNT, trans)',
  '    test = idx_dataset(data_dir, TEST_IMAGES_FILE, TEST_LABELS_FILE,',
  '                       TEST_COUNT, trans)',
];

/** print() that escapes what the terminal cannot show: the names may hold any character. */
const OWN_DATA_SHOW = [
  'def show(text):',
  '    """print(), with a backslash escape for any character the output\'s',
  '    encoding cannot show (the names may hold any)."""',
  "    encoding = sys.stdout.encoding or 'utf-8'",
  "    print(text.encode(encoding, 'backslashreplace').decode(encoding))",
  '',
  '',
];
