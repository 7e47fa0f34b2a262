import { expect, test } from './fixtures/fixtures.ts';
import { TINY } from './helpers.ts';

/**
 * The kernel trial on an adapter that is not SwiftShader (src/model/kernelTrial.ts). The worker
 * tells SwiftShader by the adapter's name, so every worker (a Stop mid-step replaces it) is
 * shown SwiftShader under another name (faults.pretendEveryWorkerHasARealGpu); the trial itself
 * then runs for real, on both kernel sets: kernels "optimized" checks ours, "auto" checks and
 * times both.
 */
test('kernels optimized on a real GPU are checked first; auto times both, the faster trains, the timing is reused', async ({
  page,
  app,
  faults,
}) => {
  // Four trials and runs on SwiftShader, about 100× slower than a GPU.
  test.setTimeout(420_000);
  await faults.pretendEveryWorkerHasARealGpu();
  await app.open({ ...TINY, train: '64', epochs: '1' });
  await expect(app.statusBar).toContainText('webgpu on pretend real-gpu');
  // The page itself (not injected) sees the real adapter, SwiftShader by name: the one adapter
  // that runs ours without a trial, as every other browser test does.
  const realAdapter = await page.evaluate<string>(
    `navigator.gpu.requestAdapter().then((a) => a === null ? '' : ` +
      `[a.info.vendor, a.info.architecture, a.info.description].join(' '))`,
  );
  expect(realAdapter).toMatch(/swiftshader/i);
  const train = app.trainButton;
  const note = page.getByTestId('kernel-trial');

  // Stopped while timing: the run ends before its first batch, and nothing is cached. Kernels
  // auto tunes our kernels first (e2e/kernelTuning.spec.ts), for up to TUNING_BUDGET_MS.
  await train.click();
  await expect(note).toHaveAttribute('data-reason', 'timing', { timeout: 120_000 });
  await expect(note).toContainText('Timing TF.js’s kernels and this project’s on this GPU');
  await expect(app.statusBar).toContainText('timing the kernels on this GPU');
  await app.stop();
  await app.waitForState('stopped', 120_000);
  await expect(app.alert('Stopped while timing the kernels')).toBeVisible();

  // Kernels optimized: ours are checked against TF.js's (one step each, no timing), then used.
  const kernels = page.getByLabel('Kernels', { exact: true });
  await kernels.selectOption('optimized');
  await train.click();
  await expect(note).toHaveAttribute('data-reason', 'agree', { timeout: 120_000 });
  await expect(note).toHaveText(
    /^Checked on this GPU: this project’s kernels compute the same output and gradients as TF.js’s \(both agree to \de-\d\), so this run uses them, as Kernels asks\.$/,
  );
  await app.waitForState('done', 120_000);
  await expect(page.getByTestId('kernels-in-use')).toContainText('this project’s WGSL kernels');

  // Kernels auto, timed to the end (the check alone does not say which set is faster): on
  // SwiftShader ours are several times faster, so the run uses them.
  await kernels.selectOption('auto');
  await train.click();
  await expect(note).toHaveAttribute('data-reason', 'faster', { timeout: 120_000 });
  await expect(note).toHaveText(
    /^Timed on this GPU: a step \(forward and backward\) took [\d.]+ ms with this project’s kernels and [\d.]+ ms with TF.js’s, so this run uses ours \([\d.]+× faster\); both agree to \de-\d\.$/,
  );
  await app.waitForState('done', 120_000);
  await expect(page.getByTestId('kernels-in-use')).toContainText('this project’s WGSL kernels');

  // The same network again: the earlier timing is reused, nothing is timed.
  await train.click();
  await expect(note).toContainText('Timed on this GPU before an earlier run of this shape');
  await app.waitForState('done', 120_000);
  await expect(page.getByTestId('kernels-in-use')).toContainText('this project’s WGSL kernels');

  // TF.js's kernels: no trial.
  await kernels.selectOption('stock');
  await train.click();
  await app.waitForState('done', 120_000);
  await expect(note).toHaveCount(0);
  await expect(page.getByTestId('kernels-in-use')).toContainText('TF.js’s own kernels');
});
