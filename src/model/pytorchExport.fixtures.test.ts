/**
 * The generated PyTorch scripts, byte for byte, against saved copies under
 * test-fixtures/pytorchExport/: every architecture variant, and each option that changes the
 * script (run name, date, a dropped last batch, own data with plain and awkward names).
 * The copies were saved from the script builder before it moved to a .py template, so this
 * test shows the template writes the same bytes. After a deliberate change to the script, run
 * `UPDATE_PYTORCH_FIXTURES=1 npx vitest run src/model/pytorchExport.fixtures.test.ts` and review
 * the diff of the fixtures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import type { UploadedDataSummary } from '../data/uploadedData.ts';
import { pytorchScript, type PytorchOwnData } from './pytorchExport.ts';

const FIXTURES_DIR = join(import.meta.dirname, 'test-fixtures', 'pytorchExport');
const UPDATE = process.env.UPDATE_PYTORCH_FIXTURES === '1';

const book: Settings = { ...DEFAULT_SETTINGS };
const GENERATED_AT = new Date('2026-12-03T14:00:00.000Z');

/** Every architecture choice, alone and together (as pytorchExport.test.ts's VARIANTS). */
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

const plainOwnData: PytorchOwnData = {
  name: 'Bars',
  classNames: Array.from({ length: 10 }, (_, i) => `bar ${i}`),
  summary: OWN_SUMMARY,
};

/** Names that need escapes in literals and cleaning in comments; 61 images, so a batch of one. */
const awkwardOwnData: PytorchOwnData = {
  name: ` Bars 'n' "stripes" \\ Größe 🧪 `,
  classNames: [
    'half \ud83e surrogate',
    'say "hi"',
    'back\\slash',
    'Größe',
    '四',
    '🧪 test',
    'tab\there',
    'rtl\u202eflip',
    "'''",
    'line\u2028sep',
  ],
  summary: {
    ...OWN_SUMMARY,
    files: {
      trainImages: `it's "ü" \\ 🧪\t${'long '.repeat(30)}.gz`,
      trainLabels: 'labels\nwith a line break',
      testImages: 't10k-images-idx3-ubyte',
      testLabels: 't10k-labels-idx1-ubyte.gz',
    },
    trainCount: 61,
    imageSize: 28,
  },
};

/** Fixture name → the script it holds. */
const CASES: Record<string, () => string> = {
  ...Object.fromEntries(
    Object.entries(VARIANTS).map(([name, changes]) => [
      `variant-${name}`,
      () =>
        pytorchScript(
          { ...book, ...changes },
          { runName: `variant ${name}`, generatedAt: GENERATED_AT },
        ),
    ]),
  ),
  'book-no-options': () => pytorchScript(book),
  'book-drop-last': () =>
    pytorchScript({ ...book, batchNorm: 'on', trainExamples: 1001, batchSize: 100 }),
  'book-hostile-run-name': () =>
    pytorchScript(book, { runName: '"\n\u2028x = 1 \\\r# -*- coding: rot13 -*-\0' }),
  'book-invalid-date': () => pytorchScript(book, { generatedAt: new Date(Number.NaN) }),
  'own-data-plain': () =>
    pytorchScript(book, { ownData: plainOwnData, runName: 'own', generatedAt: GENERATED_AT }),
  'own-data-subset': () =>
    pytorchScript(
      { ...book, trainExamples: 30, testExamples: 10, batchSize: 10 },
      { ownData: plainOwnData },
    ),
  'own-data-awkward-drop-last': () =>
    pytorchScript(
      { ...book, batchNorm: 'on', batchSize: 20, lrn: 'on', dropConv: 'conv5' },
      { ownData: awkwardOwnData },
    ),
};

describe('the generated PyTorch scripts', () => {
  it.each(Object.keys(CASES))('are byte-identical to test-fixtures/pytorchExport/%s.py', (name) => {
    const script = CASES[name]!();
    const file = join(FIXTURES_DIR, `${name}.py`);
    if (UPDATE) writeFileSync(file, script, 'utf8');
    const saved = readFileSync(file);
    expect(saved.toString('utf8')).toBe(script);
    expect(saved.equals(Buffer.from(script, 'utf8'))).toBe(true);
  });
});
