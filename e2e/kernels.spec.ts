import { expect, test } from './fixtures/fixtures.ts';
import type { SelfTestReport } from '../harness/kernels/selfTest.ts';
import { HARNESS_URL } from './ports.ts';

/**
 * Our WGSL convolution kernels (src/kernels) against the tfjs CPU backend, on WebGPU in the
 * real browser (SwiftShader without a GPU): every AlexNet layer shape at a small batch, the
 * book's 224 px geometries at batch 1 and 64, and awkward shapes; forward, fused bias + relu,
 * both gradients and the training-path gradients, outputs allocated over NaN-filled buffers;
 * the matrix products (BatchMatMul, _FusedMatMul) of the dense layers in every transpose; and
 * the bias's Add and Sum (its gradient) of each layer shape. The convolutions and products run
 * once per kernel variant with a program (register, workgroup, and subgroup where the device
 * has WebGPU's `subgroups`, as SwiftShader's does: src/kernels/variants.ts), each counted as
 * having run its own program; then the tuner times a few recorded shapes.
 */
test('optimized conv kernels match the CPU backend and leak nothing', async ({ page }) => {
  // Each convolution and product runs once per variant (register, workgroup, subgroup).
  test.setTimeout(16 * 60_000);
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`page: ${message.text()}`);
  });
  await page.goto(`${HARNESS_URL}/kernels-test.html`);
  await page.waitForFunction(() => window.kernelSelfTest?.done === true, null, {
    timeout: 15 * 60_000,
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
  // SwiftShader's device has subgroups (webgpuDevice.ts asks for them), so every variant with
  // a program of its own was checked on every case that runs a variant.
  expect(report.subgroups).toBe(true);
  const variants = new Set(report.results.map((r) => r.variant).filter((v) => v !== undefined));
  expect([...variants].sort()).toEqual(['register', 'subgroup', 'workgroup']);
  const byVariant = (v: string) =>
    report.results.filter((r) => r.variant === v).map((r) => `${r.case}|${r.op.split(' [')[0]}`);
  expect(byVariant('workgroup')).toEqual(byVariant('register'));
  expect(byVariant('subgroup')).toEqual(byVariant('register'));
  // 'subgroup' declines ops with more than SUBGROUP_MAX_OUTPUTS outputs (register runs them,
  // counted as declines, not as fallbacks); every other op ran its own program, and each kind
  // of op, the book's 224 px shapes at batch 1 and the odd shapes among them.
  const subgroupRan = report.results.filter(
    (r) => r.variant === 'subgroup' && r.ours === true && r.declined !== true,
  );
  const declined = report.results.filter((r) => r.declined === true);
  console.log(`subgroup: ${subgroupRan.length} ran, ${declined.length} declined (too large)`);
  expect(declined.every((r) => r.variant === 'subgroup')).toBe(true);
  const opKinds = new Set(subgroupRan.map((r) => r.op.split(' ')[0]));
  expect([...opKinds].sort()).toEqual([
    'BatchMatMul',
    'Conv2D',
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
    'FusedConv2D',
    '_FusedMatMul',
  ]);
  for (const name of [
    'book 224px conv2 b1',
    'book 224px conv3 b1',
    'odd 13x11 c3→5 k3 s2 same b1',
    'odd 17x19 c7→6 k11 s4 valid b3',
    'k7 same on 5x5 c2→1 b1',
  ]) {
    expect(
      subgroupRan.filter((r) => r.case === name).length,
      `${name}: the subgroup program ran`,
    ).toBeGreaterThanOrEqual(1);
  }
  // The tuner: a timing of every variant for each recorded shape (each agreed with register),
  // a complete plan, and no tensor left behind.
  const tuning = report.tuning;
  expect(tuning).toBeDefined();
  expect(tuning?.complete).toBe(true);
  expect(tuning?.shapes).toBe(4);
  expect(tuning?.timings).toHaveLength(4);
  for (const t of tuning?.timings ?? []) {
    console.log(`tuned ${t.label}: ${JSON.stringify(t.msByVariant)} → ${t.chosen}`);
    expect(t.rejected, t.label).toBeUndefined();
    expect(t.msByVariant.register, t.label).toBeGreaterThan(0);
    expect(t.msByVariant.workgroup, t.label).toBeGreaterThan(0);
    expect(t.msByVariant.subgroup, t.label).toBeGreaterThan(0);
  }
  expect(tuning?.tensorsAfter).toBe(tuning?.tensorsBefore);
});
