import { expect, test } from './fixtures/fixtures.ts';
import type { VariantsCheckReport } from '../harness/model/variantsCheck.ts';
import { HARNESS_URL } from './ports.ts';

/**
 * Every architecture variant (each dropped conv, batch norm, sigmoid, LRN, all at once) trains
 * one step and evaluates on WebGPU in the real browser (SwiftShader without a GPU), with this
 * project's kernels and with TF.js's: finite losses, a clean preflight, no GPU error, no leak.
 */
test('every architecture variant trains on WebGPU with both kernel sets', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`page: ${message.text()}`);
  });
  await page.goto(`${HARNESS_URL}/variants-test.html`);
  await page.waitForFunction(() => window.variantsCheck?.done === true, null, {
    timeout: 9 * 60_000,
    polling: 500,
  });
  const report = (await page.evaluate(() => window.variantsCheck)) as VariantsCheckReport;
  expect(report.error).toBeUndefined();
  console.log(`LRN webgpu vs cpu: ${JSON.stringify(report.lrn)}`);
  for (const r of report.results) {
    console.log(
      `${r.kernels} | ${r.variant} | train ${r.trainLoss.toFixed(4)} | eval ${r.evalLoss.toFixed(4)} | ${r.milliseconds} ms`,
    );
  }
  expect(report.results).toHaveLength(16);
  for (const r of report.results) {
    const label = `${r.kernels} ${r.variant}`;
    expect(r.preflight, label).toBeNull();
    expect(Number.isFinite(r.trainLoss), label).toBe(true);
    expect(Number.isFinite(r.evalLoss), label).toBe(true);
  }
  expect(report.lrn?.forwardRelError).toBeLessThan(1e-5);
  expect(report.lrn?.gradientRelError).toBeLessThan(1e-4);
  expect(report.gpuErrors).toEqual([]);
  expect(report.tensorsAfter).toBe(report.tensorsBefore);
});
