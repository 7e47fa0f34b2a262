import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import type { Download } from '@playwright/test';
import { expect, test } from './fixtures/fixtures.ts';
import { TINY } from './helpers.ts';

/**
 * Taking the model away: save a finished run's model in the browser, evaluate it after a reload,
 * train it on, and download it in TF.js's Layers format, which tf.loadLayersModel reads.
 */

const SMALL = { ...TINY, train: '64', test: '32', epochs: '2' };

test('a saved model survives a reload, evaluates to the run’s validation accuracy, trains on and downloads', async ({
  page,
  app,
}, testInfo) => {
  await app.open(SMALL);
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await app.waitForState('done', 180_000);

  const item = app.runItems.first();
  const finalVal = (await item.getByTitle('final validation accuracy').innerText()).trim();
  expect(finalVal).toMatch(/^val \d+\.\d%$/);
  await expect(item).toContainText('trained model in memory until the next run');
  await item.getByRole('button', { name: /^Save model of / }).click();
  await expect(item).toContainText('model saved (epoch 2)');

  // After a reload the worker holds no model; the saved one is listed, evaluated and downloaded.
  await page.reload();
  const saved = app.runItems.first();
  await expect(saved).toContainText('model saved (epoch 2)');
  await expect(saved.getByRole('button', { name: /^Save model of / })).toHaveCount(0);
  await saved.getByRole('button', { name: /^Evaluate saved model of / }).click();
  await expect(saved.locator('.run-evaluation')).toHaveText(`evaluated: ${finalVal}`, {
    timeout: 180_000,
  });

  const downloads: Download[] = [];
  page.on('download', (download) => downloads.push(download));
  await saved.getByRole('button', { name: /^Download model of / }).click();
  await expect.poll(() => downloads.length, { timeout: 120_000 }).toBe(2);
  const files = new Map<string, string>();
  for (const download of downloads) {
    const path = testInfo.outputPath(download.suggestedFilename());
    await download.saveAs(path);
    files.set(download.suggestedFilename(), path);
  }
  const names = [...files.keys()].sort();
  expect(names).toHaveLength(2);
  const [jsonName, weightsName] = names;
  expect(jsonName).toMatch(/^alexnet-run-.*\.json$/);
  expect(weightsName).toBe(jsonName.replace(/\.json$/, '.weights.bin'));
  const modelJson = JSON.parse(await readFile(files.get(jsonName) ?? '', 'utf8')) as {
    format: string;
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    userDefinedMetadata: Record<
      string,
      { epochs: number; settings: { imageSize: number }; epochMetrics: unknown[] }
    >;
  };
  expect(modelJson.format).toBe('layers-model');
  expect(modelJson.weightsManifest[0].paths).toEqual([weightsName]);
  const metadata = modelJson.userDefinedMetadata['alexnet-playground-model'];
  expect(metadata.epochs).toBe(2);
  expect(metadata.settings.imageSize).toBe(65);
  expect(metadata.epochMetrics).toHaveLength(2);

  // TF.js in Node reads the two files back as a Layers model.
  await tf.setBackend('cpu');
  const weights = await readFile(files.get(weightsName) ?? '');
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  const output = model.predict(tf.zeros([3, 65, 65, 1])) as tf.Tensor;
  expect(output.shape).toEqual([3, 10]);
  expect(Array.from(await output.data()).every(Number.isFinite)).toBe(true);

  // Train it on from the saved model: one more epoch, appended to the same run.
  await saved.getByLabel(/^More epochs for /).fill('1');
  await saved.getByRole('button', { name: /^Continue training / }).click();
  await app.waitForState('done', 180_000);
  await expect(app.runItems).toHaveCount(1);
  await expect(app.epochRows).toHaveCount(3);
  await expect(app.runItems.first()).toContainText('model saved (epoch 2)');
  await expect(app.runItems.first().getByRole('button', { name: /^Save model of / })).toBeVisible();
});
