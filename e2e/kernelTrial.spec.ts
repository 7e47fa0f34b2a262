import { expect, test } from './fixtures/fixtures.ts';
import { TINY } from './helpers.ts';

/**
 * Kernels "auto" on a real GPU (src/model/kernelTrial.ts). The worker can tell a real GPU from
 * SwiftShader only by the adapter's name and isFallbackAdapter, so every worker (a Stop mid-step
 * replaces it) is shown SwiftShader under another name; the trial itself then runs for real, on
 * both kernel sets.
 */
const PRETEND_REAL_GPU = `
  const infoOf = Object.getOwnPropertyDescriptor(GPUAdapter.prototype, 'info').get;
  Object.defineProperty(GPUAdapter.prototype, 'info', {
    get() {
      const real = infoOf.call(this);
      return { vendor: 'pretend', architecture: 'real-gpu', device: '', description: '',
        subgroupMinSize: real.subgroupMinSize, subgroupMaxSize: real.subgroupMaxSize };
    },
  });
  Object.defineProperty(GPUAdapter.prototype, 'isFallbackAdapter', { get: () => false });`;

test('kernels auto on a real GPU: both sets are timed, the faster trains, the timing is reused', async ({
  page,
  app,
  faults,
}) => {
  test.setTimeout(240_000);
  await faults.injectIntoEveryWorker(PRETEND_REAL_GPU);
  await app.open({ ...TINY, train: '64', epochs: '1' });
  await expect(app.statusBar).toContainText('webgpu on pretend real-gpu');
  const train = app.trainButton;
  const note = page.getByTestId('kernel-trial');

  // Stopped while timing: the run ends before its first batch, and nothing is cached.
  await train.click();
  await expect(note).toHaveAttribute('data-reason', 'timing');
  await expect(note).toContainText('Timing TF.js’s kernels and this project’s on this GPU');
  await expect(app.statusBar).toContainText('timing the kernels on this GPU');
  await app.stop();
  await app.waitForState('stopped', 120_000);
  await expect(app.alert('Stopped while timing the kernels')).toBeVisible();

  // Timed to the end: on SwiftShader ours are several times faster, so the run uses them.
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

  // Kernels set by hand: no trial.
  await page.getByLabel('Kernels', { exact: true }).selectOption('stock');
  await train.click();
  await app.waitForState('done', 120_000);
  await expect(note).toHaveCount(0);
  await expect(page.getByTestId('kernels-in-use')).toContainText('TF.js’s own kernels');
});
