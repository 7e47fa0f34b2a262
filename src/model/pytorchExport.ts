import {
  SETTING_KEYS,
  architectureOf,
  FASHION_MNIST_TEST_EXAMPLES,
  FASHION_MNIST_TRAIN_EXAMPLES,
  validateSettings,
  type Settings,
} from '../config/settings.ts';
import { alexNetLayers, type LayerActivation } from './architecture.ts';
import { computeLayerTable, formatShape } from './layerTable.ts';

/**
 * "Export as PyTorch": a self-contained, d2l-style script (needs only torch and torchvision) that
 * builds the network the playground trains, from the same layer list, and trains it with the
 * same hyperparameters on a GPU server. Pure: no DOM, no tfjs.
 *
 * Everything in the script's code comes from validated settings (finite numbers, fixed choice
 * names); the one free text, the run's name, goes only into a comment, cleaned of line breaks
 * and other control characters.
 */

export const PYTORCH_SCRIPT_FILE_NAME = 'alexnet_fashion_mnist.py';

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

/** True when the last training batch holds one image and a BatchNorm1d would refuse it. */
function lastBatchOfOne(settings: Settings): boolean {
  return settings.batchNorm === 'on' && settings.trainExamples % settings.batchSize === 1;
}

/**
 * Why these settings cannot be exported, or null when they can: the app's own validation, and
 * one case PyTorch refuses although the app accepts it. With batch norm on, a batch of one image
 * gives BatchNorm1d a single value per channel, and in training mode it raises "Expected more
 * than 1 value per channel when training" (seen with torch 1.13). A last batch of one is
 * dropped (drop_last), but batch size 1 leaves no batch to train on. BatchNorm2d is never
 * affected: the last conv's output is at least 3×3 (the last 3×3, stride-2 pool needs it).
 */
export function pytorchExportProblem(settings: Settings): string | null {
  const validation = validateSettings(settings);
  if (!validation.ok) return Object.values(validation.errors).join(' ');
  if (settings.batchNorm === 'on' && settings.batchSize === 1) {
    return (
      "PyTorch's BatchNorm1d cannot train on batches of one image: choose a batch size of 2 " +
      'or more, or turn batch norm off, to export'
    );
  }
  return null;
}

/**
 * The PyTorch script for `settings`, which must be exportable (pytorchExportProblem is null).
 * `runName` goes into a header comment only; `generatedAt` is stated there when given.
 */
export function pytorchScript(
  settings: Settings,
  options: { runName?: string; generatedAt?: Date } = {},
): string {
  const validation = validateSettings(settings);
  if (!validation.ok) {
    throw new RangeError(`invalid settings: ${Object.values(validation.errors).join(' ')}`);
  }
  const problem = pytorchExportProblem(settings);
  if (problem !== null) throw new RangeError(problem);
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
  // The run name is never on line 1 or 2, where Python would read a "coding:" declaration.
  const header = [
    `# ${PYTORCH_SCRIPT_FILE_NAME}: AlexNet on Fashion-MNIST in PyTorch, after`,
    '# d2l.ai section 8.1, "Deep Convolutional Neural Networks (AlexNet)".',
    '# Generated by the in-browser AlexNet playground with the same architecture',
    '# variant and hyperparameters, to train at full scale on a GPU server.',
    '#',
    ...runInfo,
    '# Playground settings (backend and kernels only matter in the browser):',
    ...wrapItems(dictItems, '#     {', '#      '),
    '#',
    '# Needs only torch and torchvision (pip install torch torchvision). Run:',
    `#     python ${PYTORCH_SCRIPT_FILE_NAME}`,
    '# Fashion-MNIST is downloaded to ./data on the first run. Trains on CUDA if',
    "# available, else on Apple's MPS, else on the CPU.",
  ];
  const of = (count: number, total: number) =>
    count < total ? `  # of ${total}, see subset()` : `  # all ${total}`;
  const dropLast = lastBatchOfOne(settings)
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
  const lines = [
    ...header,
    '',
    'import os',
    'import time',
    '',
    'import torch',
    'from torch import nn',
    'from torchvision import datasets, transforms',
    '',
    `SEED = ${pyNumber(settings.seed)}`,
    `LEARNING_RATE = ${pyNumber(settings.learningRate, true)}`,
    `BATCH_SIZE = ${pyNumber(settings.batchSize)}`,
    `NUM_EPOCHS = ${pyNumber(settings.epochs)}`,
    `IMAGE_SIZE = ${pyNumber(settings.imageSize)}  # the 28x28 images are resized to this`,
    `TRAIN_EXAMPLES = ${pyNumber(settings.trainExamples)}` +
      of(settings.trainExamples, FASHION_MNIST_TRAIN_EXAMPLES),
    `TEST_EXAMPLES = ${pyNumber(settings.testExamples)}` +
      of(settings.testExamples, FASHION_MNIST_TEST_EXAMPLES),
    '# Four loader processes, as in d2l, but no more than there are cores (more',
    '# make torch warn that loading may slow down or freeze).',
    'NUM_WORKERS = min(4, os.cpu_count() or 1)',
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
    'def load_data():',
    '    """Fashion-MNIST resized to IMAGE_SIZE, pixels in 0..1 as in the app."""',
    '    trans = transforms.Compose([transforms.Resize((IMAGE_SIZE, IMAGE_SIZE)),',
    '                                transforms.ToTensor()])',
    "    train = datasets.FashionMNIST(root='./data', train=True, transform=trans,",
    '                                  download=True)',
    "    test = datasets.FashionMNIST(root='./data', train=False, transform=trans,",
    '                                 download=True)',
    '    train = subset(train, TRAIN_EXAMPLES, SEED)',
    '    test = subset(test, TEST_EXAMPLES, SEED + 1)',
    ...dropLast,
    '    test_iter = torch.utils.data.DataLoader(',
    '        test, BATCH_SIZE, shuffle=False, num_workers=NUM_WORKERS)',
    '    return train_iter, test_iter',
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
    'def main():',
    '    torch.manual_seed(SEED)',
    '    net = alexnet()',
    '    net.apply(init_cnn)',
    "    device = ('cuda' if torch.cuda.is_available() else",
    "              'mps' if torch.backends.mps.is_available() else 'cpu')",
    '    net.to(device)',
    '    train_iter, test_iter = load_data()',
    '    loss_fn = nn.CrossEntropyLoss()',
    '    optimizer = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)',
    // Labelled as the app's layer table labels it, so the two counts can be compared at a glance.
    '    parameters = sum(p.numel() for p in net.parameters())',
    "    print(f'Total parameters: {parameters:,}')",
    "    print(f'Training on {device}: {len(train_iter.dataset)} training, '",
    "          f'{len(test_iter.dataset)} test images')",
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
