import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/fixtures.ts';
import { encodeIdxImages, encodeIdxLabels } from '../src/data/idxWriter.ts';
import { TINY } from './helpers.ts';

/**
 * Training on the person's own data: four MNIST-format IDX files, chosen in the page, checked
 * in the worker and trained on in place of Fashion-MNIST, under class names the person gives.
 *
 * The files are made here: 20×20 images (not Fashion-MNIST's 28×28) whose class k is a bright
 * bar across row 2k, so they are unmistakably not Fashion-MNIST; some gzip, some raw.
 */

const SIDE = 20;
const TRAIN_COUNT = 120;
const TEST_COUNT = 40;

/** Class k (image i's label is i mod 10) is a bright bar across rows 2k and 2k + 1. */
const barImages = (count: number) =>
  encodeIdxImages(count, SIDE, SIDE, (image, index) => {
    const row = Math.floor(index / SIDE) - 2 * (image % 10);
    return row === 0 ? 255 : row === 1 ? 200 : 0;
  });
const cycleLabels = (count: number) =>
  encodeIdxLabels(Array.from({ length: count }, (_, i) => i % 10));

const FILES = [
  { name: 'train-images-idx3-ubyte', buffer: Buffer.from(barImages(TRAIN_COUNT)) },
  { name: 'train-labels-idx1-ubyte.gz', buffer: gzipSync(cycleLabels(TRAIN_COUNT)) },
  { name: 't10k-images-idx3-ubyte.gz', buffer: gzipSync(barImages(TEST_COUNT)) },
  { name: 't10k-labels-idx1-ubyte', buffer: Buffer.from(cycleLabels(TEST_COUNT)) },
].map((file) => ({ ...file, mimeType: 'application/octet-stream' }));

const CLASS_NAMES = Array.from({ length: 10 }, (_, i) => `bar ${i}`);

const dataPanel = (page: Page) => page.getByRole('region', { name: 'Data' });
const fileInput = (page: Page) => dataPanel(page).getByLabel('Train on your own data');

test('uploaded MNIST-format files train, under the class names given', async ({ page, app }) => {
  await app.open({ ...TINY, train: '1000', test: '1000', epochs: '1' });
  await expect(app.backendName).toHaveText('webgpu');

  // A wrong choice is refused with what is needed, and nothing changes.
  await fileInput(page).setInputFiles(FILES.slice(0, 3));
  await expect(page.getByTestId('upload-problem')).toContainText(
    'Choose four IDX files (gzip or raw), as MNIST ships them: training images, training labels, ' +
      'test images and test labels. You chose 3 files.',
  );
  const notIdx = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello!') };
  await fileInput(page).setInputFiles([...FILES.slice(0, 3), notIdx]);
  await expect(page.getByTestId('upload-problem')).toContainText(
    'notes.txt: is not an IDX image or label file',
  );
  await expect(page.getByTestId('uploaded-data')).toHaveCount(0);

  await fileInput(page).setInputFiles(FILES);
  const uploaded = page.getByTestId('uploaded-data');
  await expect(uploaded).toContainText(
    `Training on your files: ${TRAIN_COUNT} training and ${TEST_COUNT} test images, 20×20 pixels.`,
  );
  await expect(uploaded).toContainText('test images: t10k-images-idx3-ubyte.gz');
  await expect(page.getByTestId('upload-problem')).toHaveCount(0);

  // Names: a repeated class name blocks Train with the reason; distinct names free it.
  const train = app.trainButton;
  await uploaded.getByLabel('Data set name').fill('Bars');
  await uploaded.getByLabel('Name of class 1').fill('0');
  await expect(page.getByTestId('data-names-problem')).toHaveText(
    'Classes 0 and 1 are both called "0"; each class needs its own name.',
  );
  await expect(train).toBeDisabled();
  for (const [classId, name] of CLASS_NAMES.entries()) {
    await uploaded.getByLabel(`Name of class ${classId}`).fill(name);
  }
  await expect(page.getByTestId('data-names-problem')).toHaveCount(0);
  // The PyTorch script trains on the same files: its button says so, and what to pass it.
  await expect(page.getByRole('button', { name: 'Export as PyTorch' })).toHaveAttribute(
    'title',
    /^Download alexnet_own_data\.py: .* It trains on Bars from your four files \(.*\): run python alexnet_own_data\.py DATA_DIR/,
  );
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export as PyTorch' }).click();
  const script = await download;
  expect(script.suggestedFilename()).toBe('alexnet_own_data.py');
  const text = await readFile(await script.path(), 'utf8');
  for (const file of FILES) expect(text).toContain(`'${file.name}'`);
  expect(text).toContain(`CLASS_NAMES = [`);
  expect(text).toContain(`'bar 9'`);
  expect(text).not.toContain('datasets.FashionMNIST(');

  await train.click();
  await app.waitForState('done', 180_000);
  await expect(page.getByTestId('data-source')).toHaveText(
    'Bars from train-images-idx3-ubyte, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, ' +
      't10k-labels-idx1-ubyte.',
  );
  // Asked for 1000 of each: the run takes every image there is.
  await expect(dataPanel(page)).toContainText(
    `This run: ${TRAIN_COUNT} training and ${TEST_COUNT} validation images`,
  );

  // The confusion matrix and the predictions speak in the given names, over every test image.
  const matrix = page.getByRole('table', { name: 'Confusion matrix' });
  const headers = await matrix.locator('thead th').allInnerTexts();
  expect(headers.slice(1, 11)).toEqual(CLASS_NAMES);
  const counts = await matrix.locator('tbody td:not(:last-child)').allInnerTexts();
  expect(counts).toHaveLength(100);
  expect(counts.reduce((sum, text) => sum + Number(text.replace(/,/g, '')), 0)).toBe(TEST_COUNT);
  const first = page.getByRole('list', { name: 'Predictions' }).getByRole('listitem').first();
  await expect(first).toHaveAttribute('aria-label', /^Predicted bar \d .*, true bar \d/);

  // The run is recorded as trained on Bars. Its saved model, after a reload (the files are gone
  // with the page), can be evaluated only once the same files are chosen again.
  const runs = page.getByRole('list', { name: 'Runs', exact: true }).getByRole('listitem');
  const item = runs.first();
  await expect(item.locator('.run-label')).toHaveText(/^Bars, /);
  const finalVal = (await item.getByTitle('final validation accuracy').innerText()).trim();
  await item.getByRole('button', { name: /^Save model of / }).click();
  await expect(item).toContainText('model saved (epoch 1)');

  await page.reload();
  await expect(item.locator('.run-label')).toHaveText(/^Bars, /);
  await expect(page.getByTestId('uploaded-data')).toHaveCount(0);
  await expect(item).toContainText(
    'Trained on Bars: choose those files under Data to resume or evaluate it.',
  );
  const evaluate = item.getByRole('button', { name: /^Evaluate saved model of / });
  await expect(evaluate).toBeDisabled();

  await fileInput(page).setInputFiles(FILES);
  await expect(page.getByTestId('uploaded-data')).toBeVisible();
  await expect(evaluate).toBeEnabled();
  await evaluate.click();
  await expect(item.locator('.run-evaluation')).toHaveText(`evaluated: ${finalVal}`, {
    timeout: 180_000,
  });
});
