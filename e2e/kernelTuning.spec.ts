import { expect, test } from './fixtures/fixtures.ts';
import { TINY } from './helpers.ts';

/**
 * Tuning our kernels for the person's GPU before the kernel trial (issue #15; worker/
 * kernelTuning.ts), on SwiftShader shown to every worker as a real GPU
 * (faults.pretendEveryWorkerHasARealGpu), its GPU readbacks slowed while it tunes so that Stop
 * lands during the tuning. The choices go to IndexedDB: after a reload (a new worker, the same
 * browser storage), nothing is timed again.
 */
test('kernels auto tunes our kernels first, with progress; Stop during tuning; a reload reuses the cached choices', async ({
  app,
  faults,
}) => {
  // Three trials' worth of work on SwiftShader, plus the tuning; the real tuner times more.
  test.setTimeout(480_000);
  await faults.pretendEveryWorkerHasARealGpu({ tuningReadbackDelayMs: 200 });
  const settings = { ...TINY, train: '64', epochs: '1' };
  await app.open(settings);
  await expect(app.statusBar).toContainText('webgpu on pretend real-gpu');
  await expect(app.kernelsSelect).toHaveValue('auto');
  const tuning = app.kernelTuningNote;

  // Stopped while tuning: the run ends before its first batch, and before any trial.
  await app.train();
  await expect(tuning).toHaveAttribute('data-status', 'tuning', { timeout: 120_000 });
  await expect(tuning).toHaveText(/^Tuning kernels for this GPU: \d+ of \d+ shapes/);
  await expect(app.statusBar).toContainText(/tuning the kernels for this GPU: \d+ of \d+ shapes/);
  await app.stop();
  await app.waitForState('stopped', 120_000);
  await expect(app.alert('Stopped while tuning the kernels, before the first batch')).toBeVisible();
  await expect(app.kernelTrialNote).toHaveCount(0);

  // Train again: the shapes not tuned yet are tuned, then the trial times ours (so tuned)
  // against TF.js's, and the run trains.
  await app.train();
  await expect(tuning).toHaveAttribute('data-status', 'tuned', { timeout: 240_000 });
  await expect(tuning).toHaveText(/^Tuned for this GPU: all \d+ shapes use the \S+ kernels\./);
  // What is cached now: on SwiftShader TUNING_BUDGET_MS may end the tuning before every shape.
  const known =
    Number(await tuning.getAttribute('data-tuned')) +
    Number(await tuning.getAttribute('data-from-cache'));
  expect(known).toBeGreaterThan(0);
  await expect(app.kernelTrialNote).toHaveAttribute('data-reason', /faster|not faster/, {
    timeout: 120_000,
  });
  await app.waitForState('done', 120_000);

  // A later visit: a new worker, the same IndexedDB. Every shape tuned before comes from the
  // cache and is not timed again (where the budget left none to tune, nothing is timed).
  await app.open(settings);
  await app.train();
  await expect(tuning).toHaveAttribute('data-status', /tuned|cached/, { timeout: 120_000 });
  await expect(tuning).toHaveAttribute('data-from-cache', String(known));
  await expect(tuning).toHaveText(
    /^Tuned for this GPU: all \d+ shapes use the \S+ kernels\. (Chosen earlier on this GPU and kept in this browser; nothing was timed now\.|\d+ timed now, \d+ chosen earlier\.)/,
  );
  await expect(app.kernelTrialNote).toHaveAttribute('data-reason', 'timing', { timeout: 60_000 });
  await app.stop();
  await app.waitForState('stopped', 120_000);
});
