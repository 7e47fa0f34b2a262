import { expect, test } from './fixtures/fixtures.ts';
import type { SelfTestReport } from '../harness/kernels/selfTest.ts';
import { HARNESS_URL } from './ports.ts';

/**
 * Our WGSL convolution kernels (src/kernels) against the tfjs CPU backend, on WebGPU in the
 * real browser (SwiftShader without a GPU): every AlexNet layer shape at a small batch, the
 * book's 224 px geometries at batch 1 and 64, and awkward shapes; forward, fused bias + relu,
 * both gradients and the training-path gradients, outputs allocated over NaN-filled buffers;
 * the matrix products (BatchMatMul, _FusedMatMul) of the dense layers in every transpose; and
 * the bias's Add and Sum (its gradient) of each layer shape.
 */
test('optimized conv kernels match the CPU backend and leak nothing', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`page: ${message.text()}`);
  });
  await page.goto(`${HARNESS_URL}/kernels-test.html`);
  await page.waitForFunction(() => window.kernelSelfTest?.done === true, null, {
    timeout: 9 * 60_000,
    polling: 500,
  });
  const report = (await page.evaluate(() => window.kernelSelfTest)) as SelfTestReport;
  expect(report.error).toBeUndefined();
  expect(report.results.length).toBeGreaterThan(0);
  for (const r of report.results) {
    console.log(
      `${r.case} | ${r.op} | ${r.maxRelError.toExponential(2)}${r.ours === false ? ' | stock' : ''}`,
    );
  }
  console.log(
    `${report.results.length} checks, max relative error ${Math.max(...report.results.map((r) => r.maxRelError)).toExponential(2)}`,
  );
  // Every convolution called directly and every product in the self-test is one our kernels
  // cover: none may fall back to stock (the self-test would pass with stock kernels otherwise).
  // A bias case's `ours` says our Add or Sum ran exactly where it should (and not elsewhere).
  for (const r of report.results.filter((r) => r.ours !== undefined)) {
    expect(r.ours, `${r.case} ${r.op} ran our kernel where it should`).toBe(true);
  }
  for (const r of report.results) {
    expect(r.maxRelError, `${r.case} ${r.op}`).toBeLessThan(1e-4);
  }
  expect(report.leaks.tensorsAfter).toBe(report.leaks.tensorsBefore);
  expect(report.leaks.dataIdsAfter).toBe(report.leaks.dataIdsBefore);
});
