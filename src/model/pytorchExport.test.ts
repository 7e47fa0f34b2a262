import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { architectureOf, DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import { alexNetLayers } from './architecture.ts';
import { computeLayerTable } from './layerTable.ts';
import {
  commentSafe,
  MAX_RUN_NAME_CHARS,
  PYTORCH_SCRIPT_FILE_NAME,
  pytorchExportProblem,
  pytorchScript,
} from './pytorchExport.ts';

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
      'nn.init.zeros_(module.bias)',
      'transforms.Compose([transforms.Resize((IMAGE_SIZE, IMAGE_SIZE)),',
      'transforms.ToTensor()])',
      'datasets.FashionMNIST(',
      'train, BATCH_SIZE, shuffle=True, num_workers=NUM_WORKERS)',
      'test, BATCH_SIZE, shuffle=False, num_workers=NUM_WORKERS)',
      "device = ('cuda' if torch.cuda.is_available() else",
      "'mps' if torch.backends.mps.is_available() else 'cpu')",
      'for epoch in range(1, NUM_EPOCHS + 1):',
      'NUM_WORKERS = min(4, os.cpu_count() or 1)',
      "    print(f'Total parameters: {parameters:,}')",
      "if __name__ == '__main__':\n    main()\n",
      `#     python ${PYTORCH_SCRIPT_FILE_NAME}\n`,
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

  it('drops a last training batch of one image when BatchNorm1d would refuse it', () => {
    const settings: Settings = { ...book, batchNorm: 'on', trainExamples: 1001, batchSize: 100 };
    expect(pytorchScript(settings)).toContain('drop_last=True');
    expect(pytorchScript({ ...settings, batchNorm: 'off' })).not.toContain('drop_last');
    expect(pytorchScript({ ...settings, trainExamples: 1002 })).not.toContain('drop_last');
  });

  it('keeps every line within 79 characters, in ASCII, for every variant', () => {
    for (const name of Object.keys(VARIANTS)) {
      const script = scriptOf(name);
      for (const line of script.split('\n')) expect(line.length, line).toBeLessThanOrEqual(79);
      expect(script).toMatch(/^[\x20-\x7e\n]*$/);
      expect(script.endsWith("if __name__ == '__main__':\n    main()\n")).toBe(true);
    }
    const length = pytorchScript(book).split('\n').length;
    expect(length).toBeGreaterThan(100);
    expect(length).toBeLessThan(160);
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
 * The interpreter with PyTorch: $PYTHON_WITH_TORCH, else Debian's /usr/bin/python3, where apt's
 * python3-torch is installed (a pyenv or venv `python3` earlier on PATH usually lacks it).
 */
const PYTHON_WITH_TORCH =
  process.env.PYTHON_WITH_TORCH ??
  (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_MNIST_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

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

function totalParameters(settings: Settings): number {
  const table = computeLayerTable(alexNetLayers(architectureOf(settings)), settings.imageSize);
  if (!table.ok) throw new Error('the settings must give a valid network');
  return table.table.totalParameters;
}

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
    const check = torchPython(['-c', 'import torch, torchvision']);
    torchFound = check.status === 0;
    if (torchFound) return;
    const why = failure(check).trim().split('\n').at(-1) ?? '';
    throw new Error(
      `${PYTHON_WITH_TORCH} cannot import torch and torchvision (${why}). These tests run the ` +
        'exported scripts with real PyTorch. Install it: on Debian, apt-get install ' +
        '--no-install-recommends python3-torch python3-torchvision (.ci/run does this); ' +
        'elsewhere pip install torch torchvision and set PYTHON_WITH_TORCH to that python.',
    );
  }

  it("builds the book network and every variant at full width, with the table's counts", () => {
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
      "    out[f] = {'shape': list(y.shape),",
      "              'parameters': sum(p.numel() for p in net.parameters())}",
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
      });
    }
  }, 120_000);

  it('trains on the real Fashion-MNIST: epoch lines with finite loss, accuracy in [0, 1]', () => {
    requireTorch();
    // torchvision 0.14 takes the un-gzipped files in data/FashionMNIST/raw/ as downloaded
    // (it checks no checksum for them). The system's .gz files would not do: they were
    // recompressed, their MD5s differ from torchvision's, so it would try to download.
    const raw = join(dir, 'data', 'FashionMNIST', 'raw');
    mkdirSync(raw, { recursive: true });
    for (const name of FASHION_MNIST_FILES) {
      writeFileSync(
        join(raw, name),
        gunzipSync(readFileSync(join(FASHION_MNIST_DIR, `${name}.gz`))),
      );
    }
    for (const [name, settings] of Object.entries(TRAINED)) {
      const file = `${name}.py`;
      const script = pytorchScript(settings);
      // smallEverything's last batch would hold one image; the check that it is dropped.
      expect(script.includes('drop_last=True'), name).toBe(name === 'smallEverything');
      writeFileSync(join(dir, file), script);
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
      const epochs = lines.slice(3);
      expect(epochs, name).toHaveLength(settings.epochs);
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
});
