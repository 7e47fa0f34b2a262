import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import { architectureOf } from './settingsCheck.ts';
import { alexNetLayers } from './architecture.ts';
import { computeLayerTable } from './layerTable.ts';
import { totalParameters } from '../../test/fixtures/parameters.ts';
import { encodeIdxImages, encodeIdxLabels } from '../data/idxWriter.ts';
import type { UploadedDataSummary } from '../data/uploadedData.ts';
import {
  commentSafe,
  MAX_RUN_NAME_CHARS,
  PYTORCH_OWN_DATA_SCRIPT_FILE_NAME,
  PYTORCH_SCRIPT_FILE_NAME,
  pytorchExportProblem,
  pytorchScript,
  pytorchScriptFileName,
  type PytorchOwnData,
} from './pytorchExport.ts';
import {
  PYTHON_WITH_TORCH,
  stageFashionMnist,
  torchMissing,
} from '../../test/fixtures/torchPython.ts';

const book: Settings = { ...DEFAULT_SETTINGS };

/** The nn.Sequential entries, without indentation, trailing comma or shape comment. */
function sequential(script: string): string[] {
  const start = script.indexOf('    return nn.Sequential(\n');
  const end = script.indexOf('\n    )\n', start);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return script
    .slice(start, end)
    .split('\n')
    .slice(1)
    .filter((line) => !line.trimStart().startsWith('#'))
    .map((line) => line.trim().replace(/,(\s+#.*)?$/, ''));
}

const BOOK_SEQUENTIAL = [
  'nn.Conv2d(1, 96, kernel_size=11, stride=4, padding=1)',
  'nn.ReLU()',
  'nn.MaxPool2d(kernel_size=3, stride=2)',
  'nn.Conv2d(96, 256, kernel_size=5, stride=1, padding=2)',
  'nn.ReLU()',
  'nn.MaxPool2d(kernel_size=3, stride=2)',
  'nn.Conv2d(256, 384, kernel_size=3, stride=1, padding=1)',
  'nn.ReLU()',
  'nn.Conv2d(384, 384, kernel_size=3, stride=1, padding=1)',
  'nn.ReLU()',
  'nn.Conv2d(384, 256, kernel_size=3, stride=1, padding=1)',
  'nn.ReLU()',
  'nn.MaxPool2d(kernel_size=3, stride=2)',
  'nn.Flatten()',
  'nn.Linear(6400, 4096)',
  'nn.ReLU()',
  'nn.Dropout(p=0.5)',
  'nn.Linear(4096, 4096)',
  'nn.ReLU()',
  'nn.Dropout(p=0.5)',
  'nn.Linear(4096, 10)',
];

/** Variants the Python checks run; each must stay a valid, PEP 8-length script. */
const VARIANTS: Record<string, Partial<Settings>> = {
  book: {},
  dropConv3: { dropConv: 'conv3' },
  dropConv4: { dropConv: 'conv4' },
  dropConv5: { dropConv: 'conv5' },
  batchNorm: { batchNorm: 'on' },
  sigmoid: { activation: 'sigmoid' },
  lrn: { lrn: 'on' },
  noDropout: { dropout: 0 },
  narrow: { width: 0.25, imageSize: 96 },
  everything: {
    batchNorm: 'on',
    lrn: 'on',
    activation: 'sigmoid',
    dropConv: 'conv4',
    width: 0.5,
    imageSize: 96,
    trainExamples: 1001,
    testExamples: 500,
    batchSize: 100,
    learningRate: 1,
    dropout: 0.25,
  },
  wide: { width: 4, imageSize: 1024, lrn: 'on', batchNorm: 'on' },
};

function scriptOf(name: string): string {
  return pytorchScript({ ...book, ...VARIANTS[name] }, { runName: `variant ${name}` });
}

describe('pytorchScript', () => {
  it("builds the book's Sequential, layer by layer", () => {
    expect(sequential(pytorchScript(book))).toEqual(BOOK_SEQUENTIAL);
  });

  it('comments each conv, pool and flatten line with its output shape', () => {
    const script = pytorchScript(book);
    expect(script).toContain(
      '        nn.Conv2d(1, 96, kernel_size=11, stride=4, padding=1),  # 96x54x54\n',
    );
    expect(script).toContain('        nn.MaxPool2d(kernel_size=3, stride=2),  # 256x5x5\n');
    expect(script).toContain('        nn.Flatten(),  # 6400\n');
  });

  it('drops the chosen conv layer (conv4: no 384→384 conv)', () => {
    const lines = sequential(pytorchScript({ ...book, dropConv: 'conv4' }));
    expect(lines).not.toContain('nn.Conv2d(384, 384, kernel_size=3, stride=1, padding=1)');
    expect(lines).toContain('nn.Conv2d(256, 384, kernel_size=3, stride=1, padding=1)');
    expect(lines).toContain('nn.Conv2d(384, 256, kernel_size=3, stride=1, padding=1)');
    expect(lines.filter((line) => line.startsWith('nn.Conv2d'))).toHaveLength(4);
    const conv3 = sequential(pytorchScript({ ...book, dropConv: 'conv3' }));
    expect(conv3).toContain('nn.Conv2d(256, 384, kernel_size=3, stride=1, padding=1)');
    expect(conv3).toContain('nn.Conv2d(384, 256, kernel_size=3, stride=1, padding=1)');
    const conv5 = sequential(pytorchScript({ ...book, dropConv: 'conv5' }));
    // Without conv5 the last conv has 384 channels: 384·5·5 features.
    expect(conv5).toContain('nn.Linear(9600, 4096)');
  });

  it('puts batch norm after each conv and hidden Linear, before the activation', () => {
    const lines = sequential(pytorchScript({ ...book, batchNorm: 'on' }));
    expect(lines.slice(0, 4)).toEqual([
      'nn.Conv2d(1, 96, kernel_size=11, stride=4, padding=1)',
      'nn.BatchNorm2d(96, eps=1e-5, momentum=0.1)',
      'nn.ReLU()',
      'nn.MaxPool2d(kernel_size=3, stride=2)',
    ]);
    expect(lines.filter((line) => line.startsWith('nn.BatchNorm2d'))).toEqual([
      'nn.BatchNorm2d(96, eps=1e-5, momentum=0.1)',
      'nn.BatchNorm2d(256, eps=1e-5, momentum=0.1)',
      'nn.BatchNorm2d(384, eps=1e-5, momentum=0.1)',
      'nn.BatchNorm2d(384, eps=1e-5, momentum=0.1)',
      'nn.BatchNorm2d(256, eps=1e-5, momentum=0.1)',
    ]);
    expect(lines.slice(-9)).toEqual([
      'nn.Linear(6400, 4096)',
      'nn.BatchNorm1d(4096, eps=1e-5, momentum=0.1)',
      'nn.ReLU()',
      'nn.Dropout(p=0.5)',
      'nn.Linear(4096, 4096)',
      'nn.BatchNorm1d(4096, eps=1e-5, momentum=0.1)',
      'nn.ReLU()',
      'nn.Dropout(p=0.5)',
      'nn.Linear(4096, 10)',
    ]);
    // Every conv and hidden Linear is followed by its BatchNorm.
    for (const [i, line] of lines.entries()) {
      if (line.startsWith('nn.Conv2d')) expect(lines[i + 1]).toMatch(/^nn\.BatchNorm2d\(/);
      if (line.startsWith('nn.Linear') && i < lines.length - 1) {
        expect(lines[i + 1]).toMatch(/^nn\.BatchNorm1d\(/);
      }
    }
  });

  it('uses nn.Sigmoid for every hidden activation when asked', () => {
    const lines = sequential(pytorchScript({ ...book, activation: 'sigmoid' }));
    expect(lines).not.toContain('nn.ReLU()');
    expect(lines.filter((line) => line === 'nn.Sigmoid()')).toHaveLength(7);
  });

  it("converts LRN's alpha to PyTorch's convention (1e-4 × size) and places it before pools 1–2", () => {
    const script = pytorchScript({ ...book, lrn: 'on' });
    const lrn = 'nn.LocalResponseNorm(size=5, alpha=0.0005, beta=0.75, k=2.0)';
    const lines = sequential(script);
    expect(lines.slice(0, 4)).toEqual([
      'nn.Conv2d(1, 96, kernel_size=11, stride=4, padding=1)',
      'nn.ReLU()',
      lrn,
      'nn.MaxPool2d(kernel_size=3, stride=2)',
    ]);
    expect(lines.filter((line) => line === lrn)).toHaveLength(2);
    expect(lines[lines.indexOf(lrn, 3) + 1]).toBe('nn.MaxPool2d(kernel_size=3, stride=2)');
    expect(script).toContain(
      "# The paper's alpha=0.0001 times size: PyTorch divides alpha by size.",
    );
  });

  it('has no Dropout when dropout is 0, and the given rate otherwise', () => {
    expect(sequential(pytorchScript({ ...book, dropout: 0 }))).not.toContainEqual(
      expect.stringMatching(/Dropout/),
    );
    const lines = sequential(pytorchScript({ ...book, dropout: 0.3 }));
    expect(lines.filter((line) => line === 'nn.Dropout(p=0.3)')).toHaveLength(2);
  });

  it('scales channels and units by the width multiplier', () => {
    const lines = sequential(pytorchScript({ ...book, width: 0.25 }));
    expect(lines.filter((line) => /^nn\.(Conv2d|Linear)/.test(line))).toEqual([
      'nn.Conv2d(1, 24, kernel_size=11, stride=4, padding=1)',
      'nn.Conv2d(24, 64, kernel_size=5, stride=1, padding=2)',
      'nn.Conv2d(64, 96, kernel_size=3, stride=1, padding=1)',
      'nn.Conv2d(96, 96, kernel_size=3, stride=1, padding=1)',
      'nn.Conv2d(96, 64, kernel_size=3, stride=1, padding=1)',
      'nn.Linear(1600, 1024)',
      'nn.Linear(1024, 1024)',
      'nn.Linear(1024, 10)',
    ]);
  });

  it("takes the first Linear's in_features from the layer table (96 px)", () => {
    const settings: Settings = { ...book, imageSize: 96 };
    const table = computeLayerTable(alexNetLayers(architectureOf(settings)), 96);
    if (!table.ok) throw new Error('96 px must be valid');
    const flatten = table.table.rows.find((row) => row.name === 'flatten');
    expect(flatten?.outputShape).toEqual([256]); // 256 channels × 1 × 1
    const lines = sequential(pytorchScript(settings));
    expect(lines).toContain('nn.Linear(256, 4096)');
    expect(pytorchScript(settings)).toContain('IMAGE_SIZE = 96  #');
  });

  it('states the hyperparameters as constants and the settings in the header', () => {
    const settings: Settings = {
      ...book,
      learningRate: 0.003,
      batchSize: 64,
      epochs: 7,
      seed: 42,
      trainExamples: 5000,
      testExamples: 1000,
    };
    const script = pytorchScript(settings);
    for (const line of [
      'SEED = 42',
      'LEARNING_RATE = 0.003',
      'BATCH_SIZE = 64',
      'NUM_EPOCHS = 7',
      'IMAGE_SIZE = 224  # the 28x28 images are resized to this',
      'TRAIN_EXAMPLES = 5000  # of 60000, see subset()',
      'TEST_EXAMPLES = 1000  # of 10000, see subset()',
      '    torch.manual_seed(SEED)',
      '    optimizer = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)',
      '    loss_fn = nn.CrossEntropyLoss()',
    ]) {
      expect(script.split('\n')).toContain(line);
    }
    expect(script).toContain("#     {'learningRate': 0.003, 'dropout': 0.5, 'batchSize': 64,");
    expect(script).toMatch(/'seed': 42,/);
    expect(script).toMatch(/'kernels': 'auto'\}\n/);
    expect(script).toContain("Not the playground's class-balanced subset");
    expect(pytorchScript(book)).toContain('TRAIN_EXAMPLES = 60000  # all 60000\n');
    // A whole-number learning rate is still a float literal.
    expect(pytorchScript({ ...book, learningRate: 1 })).toContain('\nLEARNING_RATE = 1.0\n');
    expect(pytorchScript({ ...book, learningRate: 1e-7 })).toContain('\nLEARNING_RATE = 1e-7\n');
  });

  it('has the self-contained parts: imports, init, data, device, training loop', () => {
    const script = pytorchScript(book);
    expect(script).not.toMatch(/d2l import|import d2l/);
    for (const part of [
      'import torch\nfrom torch import nn\nfrom torchvision import datasets, transforms\n',
      'nn.init.xavier_uniform_(module.weight)',
      'transforms.Compose([transforms.Resize((IMAGE_SIZE, IMAGE_SIZE)),',
      'transforms.ToTensor()])',
      'datasets.FashionMNIST(',
      'train, batch_size, shuffle=sampler is None, sampler=sampler,',
      'test, batch_size, shuffle=False, num_workers=workers)',
      "device = ('cuda' if torch.cuda.is_available() else",
      "'mps' if torch.backends.mps.is_available() else 'cpu')",
      'for epoch in range(1, args.epochs + 1):',
      'NUM_WORKERS = min(4, os.cpu_count() or 1)',
      "    say(f'Total parameters: {parameters:,}')",
      "if __name__ == '__main__':\n    main()\n",
      `#     python ${PYTORCH_SCRIPT_FILE_NAME}\n`,
      // One process or many: torchrun's processes, each with its share of every batch.
      `#     torchrun --nproc_per_node=4 ${PYTORCH_SCRIPT_FILE_NAME}\n`,
      "torch.distributed.init_process_group(\n            'nccl' if self.device.type == 'cuda' else 'gloo')",
      'model = nn.parallel.DistributedDataParallel(',
      'sampler = torch.utils.data.DistributedSampler(',
      'sampler.set_epoch(epoch)',
      'batch_size = BATCH_SIZE // processes.count',
      'torch.distributed.all_reduce(total)',
      // The options, and the run file in the page's import format.
      "parser.add_argument('--epochs', type=int, default=NUM_EPOCHS,",
      "parser.add_argument('--amp', action='store_true',",
      "parser.add_argument('--data', metavar='DIR', default='./data',",
      "'--out', metavar='FILE',",
      "RUNS_FORMAT = 'alexnet-playground-runs'",
      "SETTINGS = {'learningRate': 0.01, 'dropout': 0.5, 'batchSize': 128,",
    ]) {
      expect(script).toContain(part);
    }
  });

  it('refuses batch size 1 with batch norm, which BatchNorm1d cannot train on', () => {
    const settings: Settings = { ...book, batchNorm: 'on', batchSize: 1 };
    expect(pytorchExportProblem(settings)).toMatch(/BatchNorm1d cannot train on batches of one/);
    expect(() => pytorchScript(settings)).toThrow(/batch size of 2 or more/);
    expect(pytorchExportProblem({ ...settings, batchNorm: 'off' })).toBeNull();
    expect(pytorchExportProblem({ ...settings, batchSize: 2 })).toBeNull();
    expect(pytorchExportProblem({ ...book, imageSize: 32 })).toMatch(/too small/);
  });

  it('drops a last batch of one image per process when BatchNorm1d would refuse it', () => {
    // Decided as it runs: how many images a process has depends on how many processes there are.
    const rule = '    drop_last = share % batch_size == 1\n';
    const settings: Settings = { ...book, batchNorm: 'on', trainExamples: 1001, batchSize: 100 };
    expect(pytorchScript(settings)).toContain(rule);
    expect(pytorchScript({ ...settings, trainExamples: 1002 })).toContain(rule);
    expect(pytorchScript({ ...settings, batchNorm: 'off' })).not.toContain(rule);
    expect(pytorchScript({ ...settings, batchNorm: 'off' })).toContain('    drop_last = False\n');
  });

  it('keeps every line within 79 characters, in ASCII, for every variant', () => {
    for (const name of Object.keys(VARIANTS)) {
      const script = scriptOf(name);
      for (const line of script.split('\n')) expect(line.length, line).toBeLessThanOrEqual(79);
      expect(script).toMatch(/^[\x20-\x7e\n]*$/);
      expect(script.endsWith("if __name__ == '__main__':\n    main()\n")).toBe(true);
    }
    // Long enough to hold it all (one process or many, the run file), short enough to read.
    const length = pytorchScript(book).split('\n').length;
    expect(length).toBeGreaterThan(100);
    expect(length).toBeLessThan(560);
  });

  it('puts the run name and the date only into comments, below line 2', () => {
    const script = pytorchScript(book, {
      runName: 'lr 0.01 "fast" \'run\'',
      generatedAt: new Date('2026-11-25T22:40:00Z'),
    });
    const lines = script.split('\n');
    expect(lines.indexOf(`# Run name: lr 0.01 "fast" 'run'`)).toBeGreaterThan(1);
    expect(lines).toContain('# Generated: 2026-11-25T22:40:00.000Z');
    expect(pytorchScript(book)).not.toContain('Run name');
    expect(pytorchScript(book, { generatedAt: new Date(Number.NaN) })).not.toContain('Generated:');
  });

  it('keeps a hostile run name inside its comment line', () => {
    const hostile =
      'x\nimport os\r\nos.system("rm -rf /")\u2028print(1)\u0085y\u202e\0\'"""\\' + 'z'.repeat(200);
    const script = pytorchScript(book, { runName: hostile });
    const plain = pytorchScript(book);
    const extra = script.split('\n').filter((line) => !plain.split('\n').includes(line));
    // Exactly one new line, a comment, with the name flattened and cut.
    expect(extra).toHaveLength(1);
    expect(extra[0]).toMatch(/^# Run name: x import os os\.system\("rm -rf \/"\) print\(1\) y '/);
    expect(extra[0]?.endsWith('...')).toBe(true);
    expect(script).not.toMatch(/[\r\u2028\u2029\u0085\u202e\0]/);
    expect(script.replace(`${extra[0]}\n#\n`, '')).toBe(plain);
  });

  it('cleans text for a comment: control and format characters, length by code points', () => {
    expect(commentSafe('  a\tb\n\nc  ', 20)).toBe('a b c');
    expect(commentSafe('\u202eabc\u200b', 20)).toBe('abc');
    expect(commentSafe('Läufe 🧪 × 2', 20)).toBe('Läufe 🧪 × 2');
    expect(commentSafe('🧪'.repeat(70), MAX_RUN_NAME_CHARS)).toBe(`${'🧪'.repeat(57)}...`);
    expect(commentSafe('\ud800x', 5)).toBe('x'); // a lone surrogate is dropped
  });

  it('refuses settings the app would refuse', () => {
    expect(() => pytorchScript({ ...book, imageSize: 32 })).toThrow(/too small/);
    expect(() => pytorchScript({ ...book, learningRate: Number.NaN })).toThrow(RangeError);
    expect(() => pytorchScript({ ...book, activation: 'tanh' as 'relu' })).toThrow(/unknown/);
  });
});

/** Class names no Python literal can take as they are: quotes, backslashes, non-ASCII, controls. */
const AWKWARD_CLASS_NAMES = [
  "it's",
  'say "hi"',
  'back\\slash',
  'Größe',
  '四',
  '🧪 test',
  'tab\there',
  'rtl\u202eflip',
  "'''",
  'line\u2028sep',
];

const OWN_SUMMARY: UploadedDataSummary = {
  id: 'upload-0123abcd',
  files: {
    trainImages: 'train-images-idx3-ubyte.gz',
    trainLabels: 'train-labels-idx1-ubyte',
    testImages: 't10k-images-idx3-ubyte',
    testLabels: 't10k-labels-idx1-ubyte.gz',
  },
  trainCount: 60,
  testCount: 20,
  imageSize: 20,
};

function ownData(changes: Partial<PytorchOwnData> = {}): PytorchOwnData {
  return {
    name: 'Bars',
    classNames: Array.from({ length: 10 }, (_, i) => `bar ${i}`),
    summary: OWN_SUMMARY,
    ...changes,
  };
}

/** The header's comment text, its lines joined by spaces. */
function headerText(script: string): string {
  const header = script.slice(0, script.indexOf('\n\n'));
  return header
    .split('\n')
    .map((line) => line.replace(/^# ?/, ''))
    .join(' ');
}

describe('pytorchScript with own data', () => {
  it('names the data set, its four files and how to run it in the header', () => {
    const script = pytorchScript(book, { ownData: ownData({ name: ' My "bars" \\ set ' }) });
    const lines = script.split('\n');
    expect(lines[0]).toBe(
      `# ${PYTORCH_OWN_DATA_SCRIPT_FILE_NAME}: AlexNet in PyTorch on your own data, after`,
    );
    expect(headerText(script)).toContain(
      'Trains on "My "bars" \\ set" from the four IDX files chosen in the playground (gzip ' +
        'or raw): 60 training and 20 test images of 20x20 pixels, 10 classes:',
    );
    for (const line of [
      '#     training images: train-images-idx3-ubyte.gz',
      '#     training labels: train-labels-idx1-ubyte',
      '#     test images:     t10k-images-idx3-ubyte',
      '#     test labels:     t10k-labels-idx1-ubyte.gz',
      `#     python ${PYTORCH_OWN_DATA_SCRIPT_FILE_NAME} DATA_DIR`,
    ]) {
      expect(lines).toContain(line);
    }
    expect(headerText(script)).toContain(
      "where DATA_DIR is the directory that holds the four files; without it, the script's " +
        'own directory.',
    );
    expect(script).not.toContain('Fashion-MNIST');
    expect(pytorchScriptFileName(ownData())).toBe(PYTORCH_OWN_DATA_SCRIPT_FILE_NAME);
    expect(pytorchScriptFileName(null)).toBe(PYTORCH_SCRIPT_FILE_NAME);
  });

  it('reads and checks the IDX files itself, with the same transform, without torchvision data', () => {
    const script = pytorchScript(book, { ownData: ownData() });
    expect(script).not.toMatch(/\bdatasets\b|FashionMNIST\(|download/);
    for (const part of [
      'import argparse\nimport gzip\nimport json\nimport math\nimport os\nimport sys\nimport time\n',
      'from torchvision import transforms\n' +
        'from torchvision.transforms.functional import to_pil_image\n',
      'def read_idx(path, shape):',
      "if data[:2] == b'\\x1f\\x8b':  # gzip's magic number",
      "kind, magic = ('images', 0x803) if images else ('labels', 0x801)",
      'but this script was exported ',
      'image = to_pil_image(self.images[index])',
      'return self.transform(image), int(self.labels[index])',
      'transforms.Compose([transforms.Resize((IMAGE_SIZE, IMAGE_SIZE)),',
      'transforms.ToTensor()])',
      '    train = idx_dataset(data_dir, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE,\n' +
        '                        TRAIN_COUNT, trans)\n',
      "    parser.add_argument('data_dir', nargs='?', metavar='DATA_DIR',",
      '    args.data = args.data or args.data_dir or SCRIPT_DIR\n',
      "        show(f'Classes: {CLASS_NAMES}')",
      "DATA_SET_ID = 'upload-0123abcd'\n",
      "        'dataSet': {'id': DATA_SET_ID, 'name': DATA_SET_NAME,",
      "TRAIN_IMAGES_FILE = 'train-images-idx3-ubyte.gz'\n",
      "TEST_LABELS_FILE = 't10k-labels-idx1-ubyte.gz'\n",
      'TRAIN_COUNT = 60\nTEST_COUNT = 20\nSIDE = 20  # the images are SIDE x SIDE pixels\n',
      'IMAGE_SIZE = 224  # the 20x20 images are resized to this\n',
    ]) {
      expect(script).toContain(part);
    }
    // The network and the training loop are the Fashion-MNIST script's.
    expect(sequential(script)).toEqual(BOOK_SEQUENTIAL);
    const plain = pytorchScript(book);
    for (const name of ['loaders', 'train_epoch', 'evaluate', 'add_loss_point', 'main']) {
      expect(pythonFunction(script, name), name).toBe(pythonFunction(plain, name));
    }
    // fit() only adds the data's names to what it prints, and the data set to the run file.
    expect(
      pythonFunction(script, 'fit')
        .replace(OWN_DATA_SHOW_LINES, '')
        .replace(OWN_DATA_SET_LINES, ''),
    ).toBe(pythonFunction(plain, 'fit'));
  });

  it('counts the examples of the files, all of them when the settings ask for more', () => {
    const all = pytorchScript(book, { ownData: ownData() }).split('\n');
    expect(all).toContain('TRAIN_EXAMPLES = 60  # all 60');
    expect(all).toContain('TEST_EXAMPLES = 20  # all 20');
    const some = pytorchScript(
      { ...book, trainExamples: 30, testExamples: 5, batchSize: 10 },
      { ownData: ownData() },
    ).split('\n');
    expect(some).toContain('TRAIN_EXAMPLES = 30  # of 60, see subset()');
    expect(some).toContain('TEST_EXAMPLES = 5  # of 20, see subset()');
    // A last batch of one image is dropped with batch norm, as without own data.
    const settings: Settings = { ...book, batchNorm: 'on', batchSize: 59 };
    expect(pytorchScript(settings, { ownData: ownData() })).toContain(
      '    drop_last = share % batch_size == 1\n',
    );
  });

  it('refuses own data the page would refuse, and batch norm on one training image', () => {
    const repeated = [...ownData().classNames.slice(0, 9), 'bar 0'];
    expect(pytorchExportProblem(book, ownData({ classNames: repeated }))).toMatch(
      /Classes 0 and 9 are both called "bar 0"/,
    );
    expect(pytorchExportProblem(book, ownData({ name: '  ' }))).toBe('The data set needs a name.');
    expect(pytorchExportProblem(book, ownData({ classNames: ['a'] }))).toMatch(/Give 10/);
    const one = ownData({ summary: { ...OWN_SUMMARY, trainCount: 1 } });
    const batchNorm: Settings = { ...book, batchNorm: 'on', batchSize: 2 };
    expect(pytorchExportProblem(batchNorm, one)).toMatch(/single training image/);
    expect(() => pytorchScript(batchNorm, { ownData: one })).toThrow(/single training image/);
    expect(pytorchExportProblem({ ...batchNorm, batchNorm: 'off' }, one)).toBeNull();
    expect(pytorchExportProblem(book, ownData())).toBeNull();
    expect(() => pytorchScript(book, { ownData: ownData({ name: '' }) })).toThrow(RangeError);
  });

  it('is the same script as before without own data', () => {
    expect(pytorchScript(book, { ownData: null })).toBe(pytorchScript(book));
    expect(pytorchExportProblem(book, null)).toBeNull();
  });

  it('keeps awkward names in comments and escaped literals, lines within 79 characters', () => {
    const script = pytorchScript(book, {
      ownData: ownData({
        name: 'x\nos.system("rm")\u202e' + '🧪'.repeat(10),
        classNames: AWKWARD_CLASS_NAMES,
        summary: {
          ...OWN_SUMMARY,
          files: { ...OWN_SUMMARY.files, trainImages: `${'ü'.repeat(150)}\r\nimport x.gz` },
        },
      }),
    });
    for (const line of script.split('\n')) {
      expect(Array.from(line).length, line).toBeLessThanOrEqual(79);
      expect(line.startsWith('os.system') || line.startsWith('import x'), line).toBe(false);
    }
    expect(script).not.toMatch(/[\r\u2028\u2029\u0085\u202e\0\t]/);
    expect(script).toContain("    'line\\u2028sep',\n");
    expect(script).toContain("    'rtl\\u202eflip',\n");
    expect(script).toContain("    'tab\\x09here',\n");
    expect(script).toContain("    'back\\\\slash',\n");
    expect(script).toContain("    '\\'\\'\\'',\n");
    expect(script).toContain("    '四',\n");
    expect(script).toContain('TRAIN_IMAGES_FILE = (\n');
  });
});

/** What the own-data script adds to fit(): the data's names, and its data set in the run file. */
const OWN_DATA_SHOW_LINES =
  '    if processes.main:\n' +
  "        show(f'Data: {DATA_SET_NAME}, from {os.path.abspath(args.data)}')\n" +
  "        show(f'Classes: {CLASS_NAMES}')\n";
const OWN_DATA_SET_LINES =
  "        'dataSet': {'id': DATA_SET_ID, 'name': DATA_SET_NAME,\n" +
  "                    'classNames': CLASS_NAMES},\n";

/** The text of the top-level Python function `name`, up to the next top-level statement. */
function pythonFunction(script: string, name: string): string {
  const start = script.indexOf(`\ndef ${name}(`);
  expect(start, name).toBeGreaterThan(0);
  const end = script.slice(start + 1).search(/\n(?=[^\s#])/);
  return script.slice(start + 1, end < 0 ? undefined : start + 1 + end);
}

describe('the generated script under Python', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pytorch-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const python = (args: string[]) =>
    spawnSync('python3', args, { encoding: 'utf8', timeout: 60_000 });
  const hasPython = python(['--version']).status === 0;
  const files = Object.keys(VARIANTS).map((name) => {
    const file = join(dir, `${name}.py`);
    writeFileSync(file, scriptOf(name));
    return file;
  });

  it('compiles every variant, and one with a hostile run name, with python3 (CI has it)', () => {
    expect(hasPython).toBe(true);
    const hostile = join(dir, 'hostile.py');
    writeFileSync(
      hostile,
      pytorchScript(book, { runName: '"\n\u2028x = 1 \\\r# -*- coding: rot13 -*-\0' }),
    );
    const result = python([
      '-c',
      'import sys\nfor f in sys.argv[1:]:\n    compile(open(f).read(), f, "exec")\nprint("ok")',
      ...files,
      hostile,
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('compiles own-data scripts whose names are awkward, and reads the names back exactly', () => {
    expect(hasPython).toBe(true);
    const trainImages = `it's "ü" \\ 🧪\t${'long '.repeat(30)}.gz`;
    const data = ownData({
      name: ` Bars 'n' "stripes" \\ Größe 🧪 `,
      classNames: ['half \ud83e surrogate', ...AWKWARD_CLASS_NAMES.slice(1)],
      summary: { ...OWN_SUMMARY, files: { ...OWN_SUMMARY.files, trainImages } },
    });
    const file = join(dir, 'own-awkward.py');
    writeFileSync(file, pytorchScript(book, { runName: 'own', ownData: data }));
    // The module-level constants, as Python reads them (ast: nothing is imported or run).
    const reader = [
      'import ast, json, sys',
      "tree = ast.parse(open(sys.argv[1], encoding='utf-8').read(), sys.argv[1])",
      'out = {}',
      'for node in tree.body:',
      '    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):',
      '        try:',
      '            out[node.targets[0].id] = ast.literal_eval(node.value)',
      '        except ValueError:',
      '            pass',
      'print(json.dumps(out))',
    ].join('\n');
    const result = python(['-c', reader, file]);
    expect(result.stderr).toBe('');
    const constants = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(constants).toMatchObject({
      DATA_SET_NAME: `Bars 'n' "stripes" \\ Größe 🧪`,
      // The name trimmed as the page trims it; a lone surrogate cannot be printed: U+FFFD.
      CLASS_NAMES: ['half \ufffd surrogate', ...AWKWARD_CLASS_NAMES.slice(1)],
      TRAIN_IMAGES_FILE: trainImages,
      TRAIN_LABELS_FILE: OWN_SUMMARY.files.trainLabels,
      TEST_IMAGES_FILE: OWN_SUMMARY.files.testImages,
      TEST_LABELS_FILE: OWN_SUMMARY.files.testLabels,
      TRAIN_COUNT: 60,
      TEST_COUNT: 20,
      SIDE: 20,
      TRAIN_EXAMPLES: 60,
      TEST_EXAMPLES: 20,
    });
  });

  it('runs alexnet() and reads the constants, with a stand-in torch that records calls', () => {
    expect(hasPython).toBe(true);
    // A fake torch/torchvision: every attribute is a callable that returns what it was called
    // with, so alexnet() evaluates to the tree of module constructors and their arguments.
    const stubs = join(dir, 'stubs');
    const stub = [
      'class _Stub:',
      '    def __init__(self, name):',
      '        self._name = name',
      '    def __getattr__(self, attr):',
      "        return _Stub(self._name + '.' + attr)",
      '    def __call__(self, *args, **kwargs):',
      '        def text(value):',
      '            return value if isinstance(value, dict) else repr(value)',
      "        return {'module': self._name, 'args': [text(a) for a in args],",
      "                'kwargs': {k: text(v) for k, v in kwargs.items()}}",
      'def __getattr__(attr):',
      '    return _Stub(__name__ + "." + attr)',
      '',
    ].join('\n');
    for (const name of ['torch', 'torchvision']) {
      mkdirSync(join(stubs, name), { recursive: true });
      writeFileSync(join(stubs, name, '__init__.py'), stub);
    }
    const runner = [
      'import importlib.util, json, sys',
      'sys.path.insert(0, sys.argv[1])',
      'out = []',
      'for f in sys.argv[2:]:',
      "    spec = importlib.util.spec_from_file_location('exported', f)",
      '    m = importlib.util.module_from_spec(spec)',
      '    spec.loader.exec_module(m)',
      "    names = ['SEED', 'LEARNING_RATE', 'BATCH_SIZE', 'NUM_EPOCHS', 'IMAGE_SIZE',",
      "             'TRAIN_EXAMPLES', 'TEST_EXAMPLES']",
      "    out.append({'net': m.alexnet(), 'constants': {n: getattr(m, n) for n in names}})",
      'print(json.dumps(out))',
    ].join('\n');
    const result = python(['-c', runner, stubs, ...files]);
    expect(result.stderr).toBe('');
    type Call = { module: string; args: (string | Call)[]; kwargs: Record<string, string> };
    const runs = JSON.parse(result.stdout) as { net: Call; constants: Record<string, number> }[];
    const names = Object.keys(VARIANTS);
    expect(runs).toHaveLength(names.length);
    for (const [i, run] of runs.entries()) {
      const settings: Settings = { ...book, ...VARIANTS[names[i]!] };
      expect(run.constants).toEqual({
        SEED: settings.seed,
        LEARNING_RATE: settings.learningRate,
        BATCH_SIZE: settings.batchSize,
        NUM_EPOCHS: settings.epochs,
        IMAGE_SIZE: settings.imageSize,
        TRAIN_EXAMPLES: settings.trainExamples,
        TEST_EXAMPLES: settings.testExamples,
      });
      expect(run.net.module).toBe('torch.nn.Sequential');
      // Python's repr of each entry's arguments, written back as the line the TS tests read.
      const asText = (call: Call) => {
        const kwargs = Object.entries(call.kwargs).map(([key, value]) => `${key}=${value}`);
        return `${call.module.replace('torch.', '')}(${[...call.args, ...kwargs].join(', ')})`;
      };
      const expected = sequential(scriptOf(names[i]!)).map((line) =>
        line.replace('eps=1e-5', 'eps=1e-05'),
      );
      expect((run.net.args as Call[]).map(asText)).toEqual(expected);
    }
  });
});

/**
 * Settings small enough to train on a CPU in seconds (width 0.1 at 65 px keeps every layer of
 * the book's network), taken as they are: the app accepts them, so the script under test is
 * the one its Export button would download, not an edited copy.
 */
const TRAINED: Record<string, Settings> = {
  small: {
    ...book,
    width: 0.1,
    imageSize: 65,
    trainExamples: 256,
    testExamples: 100,
    batchSize: 64,
    epochs: 2,
  },
  // Every variant at once; 201 images in batches of 100 leave a last batch of one: drop_last.
  smallEverything: {
    ...book,
    dropConv: 'conv4',
    batchNorm: 'on',
    activation: 'sigmoid',
    lrn: 'on',
    width: 0.1,
    imageSize: 65,
    trainExamples: 201,
    testExamples: 100,
    batchSize: 100,
    epochs: 1,
    learningRate: 0.1,
  },
};

describe('the generated script with real PyTorch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pytorch-train-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Generous limits: CI's two cores also run the other test files, and a loaded machine was
  // seen to take four times as long as an idle one.
  const torchPython = (args: string[], timeout = 100_000) =>
    spawnSync(PYTHON_WITH_TORCH, args, { encoding: 'utf8', cwd: dir, timeout });
  /** What went wrong in a run: the spawn's error (a timeout, say) and Python's stderr. */
  const failure = (result: ReturnType<typeof torchPython>) =>
    `${result.error?.message ?? ''}\n${result.stderr}`;
  let torchFound = false;

  /** Fails, never skips, without torch: a silent skip would let the export break unseen. */
  function requireTorch(): void {
    if (torchFound) return;
    const missing = torchMissing();
    if (missing !== null) throw new Error(missing);
    torchFound = true;
  }

  it("builds the book network and every variant at full width, with the table's counts and the book's biases", () => {
    requireTorch();
    const runner = [
      'import importlib.util, json, sys, torch',
      'out = {}',
      'for f in sys.argv[1:]:',
      "    spec = importlib.util.spec_from_file_location('exported', f)",
      '    m = importlib.util.module_from_spec(spec)',
      '    spec.loader.exec_module(m)',
      '    net = m.alexnet()',
      '    net.apply(m.init_cnn)',
      '    net.eval()',
      '    with torch.no_grad():',
      '        y = net(torch.zeros(2, 1, m.IMAGE_SIZE, m.IMAGE_SIZE))',
      // The book's biases: PyTorch's default U(±1/√fan_in), which init_cnn leaves alone.
      '    biases = [(m.bias.abs().max().item(), m.weight[0].numel() ** -0.5)',
      '              for m in net.modules()',
      '              if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]',
      "    out[f] = {'shape': list(y.shape),",
      "              'parameters': sum(p.numel() for p in net.parameters()),",
      "              'biasesWithinBound': all(0 < b <= bound for b, bound in biases)}",
      'print(json.dumps(out))',
    ].join('\n');
    // 'wide' (width 4 at 1024 px) is left out: 400 M parameters are too much memory for a test.
    const names = Object.keys(VARIANTS).filter((name) => name !== 'wide');
    const files = names.map((name) => {
      const file = join(dir, `net-${name}.py`);
      writeFileSync(file, scriptOf(name));
      return file;
    });
    const result = torchPython(['-c', runner, ...files]);
    expect(result.status, failure(result)).toBe(0);
    const nets = JSON.parse(result.stdout) as Record<string, unknown>;
    for (const [i, name] of names.entries()) {
      expect(nets[files[i]!], name).toEqual({
        shape: [2, 10],
        parameters: totalParameters({ ...book, ...VARIANTS[name] }),
        biasesWithinBound: true,
      });
    }
  }, 120_000);

  it('trains on the real Fashion-MNIST: epoch lines with finite loss, accuracy in [0, 1]', () => {
    requireTorch();
    // Where the script looks by default: ./data.
    stageFashionMnist(join(dir, 'data'));
    for (const [name, settings] of Object.entries(TRAINED)) {
      const file = `${name}.py`;
      writeFileSync(join(dir, file), pytorchScript(settings));
      const result = torchPython([file]);
      expect(result.status, `${name}: ${failure(result)}`).toBe(0);
      // No warnings either: a user would see them (torch warned about 4 loader processes on
      // a 2-core machine before NUM_WORKERS was capped at the core count).
      expect(result.stderr, name).toBe('');
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines.slice(0, 3), name).toEqual([
        `Total parameters: ${totalParameters(settings).toLocaleString('en-US')}`,
        expect.stringMatching(
          new RegExp(
            `^Training on (cpu|cuda|mps): ${settings.trainExamples} training, ` +
              `${settings.testExamples} test images$`,
          ),
        ),
        'Epoch Train loss Train acc  Val loss  Val acc  Images/s  Elapsed',
      ]);
      const epochs = lines.slice(3, -2);
      expect(epochs, name).toHaveLength(settings.epochs);
      // smallEverything's last batch would hold one image, which BatchNorm1d refuses: dropped.
      const trained = settings.trainExamples - (name === 'smallEverything' ? 1 : 0);
      expect(lines.slice(-2), name).toEqual([
        `Images an epoch, all processes together: ${trained} training, ` +
          `${settings.testExamples} validation`,
        expect.stringMatching(new RegExp(`^Run file: ${dir}/${name}_run_\\d{8}-\\d{6}\\.json$`)),
      ]);
      for (const [i, line] of epochs.entries()) {
        const match = /^ +(\d+) +(\S+) +(\S+)% +(\S+) +(\S+)% +(\S+) +(\S+)s$/.exec(line);
        expect(match, `${name}: ${line}`).not.toBeNull();
        const [epoch, trainLoss, trainAcc, valLoss, valAcc, perSecond] = match!
          .slice(1, 7)
          .map(Number) as [number, number, number, number, number, number];
        expect(epoch).toBe(i + 1);
        for (const loss of [trainLoss, valLoss]) {
          expect(Number.isFinite(loss) && loss > 0, `${name}: ${line}`).toBe(true);
        }
        for (const accuracy of [trainAcc / 100, valAcc / 100]) {
          expect(accuracy, `${name}: ${line}`).toBeGreaterThanOrEqual(0);
          expect(accuracy, `${name}: ${line}`).toBeLessThanOrEqual(1);
        }
        expect(perSecond).toBeGreaterThan(0);
      }
    }
  }, 240_000);

  /** 20×20 images, class k a bright bar on row 2k (with a little seeded noise), labels i mod 10. */
  const SIDE = 20;
  const barImages = (count: number, seed: number) =>
    encodeIdxImages(count, SIDE, SIDE, (image, index) => {
      const row = Math.floor(index / SIDE);
      const noise = ((image * 7919 + index * 104729 + seed) % 41) - 20;
      return Math.max(0, Math.min(255, (row === 2 * (image % 10) ? 230 : 20) + noise));
    });
  const barLabels = (count: number) =>
    encodeIdxLabels(Array.from({ length: count }, (_, i) => i % 10));
  const OWN_FILES = {
    trainImages: "train 'bars' ü.idx3.gz",
    trainLabels: 'train-labels-idx1-ubyte',
    testImages: 't10k-images-idx3-ubyte',
    testLabels: 't10k "labels".gz',
  };
  /** The four files, two gzipped and two raw, as a person would choose them; the summary. */
  function writeOwnFiles(target: string): UploadedDataSummary {
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, OWN_FILES.trainImages), gzipSync(barImages(60, 1)));
    writeFileSync(join(target, OWN_FILES.trainLabels), barLabels(60));
    writeFileSync(join(target, OWN_FILES.testImages), barImages(20, 2));
    writeFileSync(join(target, OWN_FILES.testLabels), gzipSync(barLabels(20)));
    return { id: 'upload-test', files: OWN_FILES, trainCount: 60, testCount: 20, imageSize: SIDE };
  }
  const OWN_SETTINGS: Settings = {
    ...book,
    width: 0.1,
    imageSize: 65,
    epochs: 2,
    batchSize: 10,
    learningRate: 0.1,
    // The defaults, 60000 and 10000: more than the files hold, so every image is used.
  };
  const OWN_NAME = `Bars 'n' "stripes" ü`;
  // Seven awkward names (all printable by Python as they are), then three plain ones.
  const OWN_CLASS_NAMES = [...AWKWARD_CLASS_NAMES.slice(0, 7), 'bar 7', 'bar 8', 'bar 9'];
  let ownOutput = '';

  it("trains on the person's own IDX files, given their directory", () => {
    requireTorch();
    const dataDir = join(dir, 'own data ü');
    const summary = writeOwnFiles(dataDir);
    const script = pytorchScript(OWN_SETTINGS, {
      runName: 'own data',
      ownData: { name: OWN_NAME, classNames: OWN_CLASS_NAMES, summary },
    });
    writeFileSync(join(dir, 'own.py'), script);
    const result = torchPython(['own.py', dataDir]);
    expect(result.status, failure(result)).toBe(0);
    expect(result.stderr).toBe('');
    ownOutput = result.stdout;
    // Python's own repr of the list, as the script prints it.
    const repr = torchPython([
      '-c',
      'import json, sys; print(json.loads(sys.argv[1]))',
      JSON.stringify(OWN_CLASS_NAMES),
    ]);
    expect(repr.status, failure(repr)).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      `Total parameters: ${totalParameters(OWN_SETTINGS).toLocaleString('en-US')}`,
      expect.stringMatching(/^Training on (cpu|cuda|mps): 60 training, 20 test images$/),
      `Data: ${OWN_NAME}, from ${dataDir}`,
      `Classes: ${repr.stdout.trimEnd()}`,
      'Epoch Train loss Train acc  Val loss  Val acc  Images/s  Elapsed',
    ]);
    expect(lines[3]).toContain(`'四', '🧪 test', 'tab\\there'`);
    const epochs = lines.slice(5, -2);
    expect(epochs).toHaveLength(OWN_SETTINGS.epochs);
    expect(lines.at(-2)).toBe(
      'Images an epoch, all processes together: 60 training, 20 validation',
    );
    for (const [i, line] of epochs.entries()) {
      const match = /^ +(\d+) +(\S+) +(\S+)% +(\S+) +(\S+)% +(\S+) +(\S+)s$/.exec(line);
      expect(match, line).not.toBeNull();
      const [epoch, trainLoss, , valLoss] = match!.slice(1, 5).map(Number);
      expect(epoch).toBe(i + 1);
      for (const loss of [trainLoss!, valLoss!]) {
        expect(Number.isFinite(loss) && loss > 0, line).toBe(true);
      }
    }
  }, 120_000);

  it("gives each image exactly the tensor torchvision's FashionMNIST gives for the same bytes", () => {
    requireTorch();
    const dataDir = join(dir, 'own data same');
    const summary = writeOwnFiles(dataDir);
    writeFileSync(
      join(dir, 'own_same.py'),
      pytorchScript(OWN_SETTINGS, {
        ownData: { name: 'Bars', classNames: OWN_CLASS_NAMES, summary },
      }),
    );
    // The same images and labels where torchvision's FashionMNIST reads its files (raw).
    const raw = join(dir, 'torchvision', 'FashionMNIST', 'raw');
    mkdirSync(raw, { recursive: true });
    writeFileSync(join(raw, 'train-images-idx3-ubyte'), barImages(60, 1));
    writeFileSync(join(raw, 'train-labels-idx1-ubyte'), barLabels(60));
    writeFileSync(join(raw, 't10k-images-idx3-ubyte'), barImages(20, 2));
    writeFileSync(join(raw, 't10k-labels-idx1-ubyte'), barLabels(20));
    const compare = [
      'import importlib.util, sys, torch',
      'from torchvision import datasets',
      "spec = importlib.util.spec_from_file_location('own_same', sys.argv[1])",
      'm = importlib.util.module_from_spec(spec)',
      'spec.loader.exec_module(m)',
      'splits = m.load_data(sys.argv[2], m.Processes())',
      'trans = splits[0].transform',
      'for ours, train in zip(splits, (True, False)):',
      '    theirs = datasets.FashionMNIST(root=sys.argv[3], train=train,',
      '                                   transform=trans, download=False)',
      '    assert len(ours) == len(theirs), (len(ours), len(theirs))',
      '    for i in range(len(ours)):',
      '        (x, y), (tx, ty) = ours[i], theirs[i]',
      '        assert x.shape == (1, m.IMAGE_SIZE, m.IMAGE_SIZE), x.shape',
      '        assert torch.equal(x, tx) and y == ty, i',
      '    print(len(ours))',
    ].join('\n');
    const result = torchPython([
      '-c',
      compare,
      join(dir, 'own_same.py'),
      dataDir,
      join(dir, 'torchvision'),
    ]);
    expect(result.status, failure(result)).toBe(0);
    expect(result.stdout.split('\n').slice(0, 2)).toEqual(['60', '20']);
  }, 120_000);

  it('stops with a ValueError naming a file that differs from the one exported for', () => {
    requireTorch();
    const dataDir = join(dir, 'own data changed');
    const summary = writeOwnFiles(dataDir);
    const script = pytorchScript(OWN_SETTINGS, {
      ownData: { name: 'Bars', classNames: OWN_CLASS_NAMES, summary },
    });
    // 19 test labels where the script was exported for 20.
    writeFileSync(join(dataDir, OWN_FILES.testLabels), gzipSync(barLabels(19)));
    writeFileSync(join(dir, 'own-changed.py'), script);
    const count = torchPython(['own-changed.py', dataDir]);
    expect(count.status).not.toBe(0);
    expect(count.stdout).toBe('');
    expect(count.stderr.trimEnd().split('\n').at(-1)).toBe(
      `ValueError: ${join(dataDir, OWN_FILES.testLabels)}: holds 19 labels, but this script ` +
        'was exported for 20 labels: is it the file chosen in the playground?',
    );
    // Without an argument the script reads its own directory: here, 28×28 training images.
    writeFileSync(join(dataDir, OWN_FILES.testLabels), gzipSync(barLabels(20)));
    writeFileSync(join(dataDir, OWN_FILES.trainImages), encodeIdxImages(60, 28));
    writeFileSync(join(dataDir, 'own.py'), script);
    const side = torchPython([join(dataDir, 'own.py')]);
    expect(side.status).not.toBe(0);
    expect(side.stderr.trimEnd().split('\n').at(-1)).toBe(
      `ValueError: ${join(dataDir, OWN_FILES.trainImages)}: holds 60 images of 28x28 pixels, ` +
        'but this script was exported for 60 images of 20x20 pixels: is it the file chosen ' +
        'in the playground?',
    );
  }, 120_000);

  afterAll(() => {
    if (process.env.SHOW_PYTORCH_OUTPUT !== undefined) console.log(ownOutput);
  });
});
