import { HANG_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS } from '../src/worker/client.ts';
import { expect, test } from './fixtures/fixtures.ts';
import type { PlaygroundPage } from './pages/playgroundPage.ts';

/**
 * Steps that take longer than a person waits: Stop and Pause answer at once, and a long
 * synchronous CPU step is not taken for a hung worker. The configurations are chosen for their
 * slow steps on this machine's software adapter and CPU.
 */

/**
 * Clicks Stop and expects the run stopped within 2 s; returns the time from the click event to
 * the state reading "stopped", measured in the page (Playwright's own round trips left out).
 */
async function stopWithin2s(app: PlaygroundPage): Promise<number> {
  await app.page.evaluate(() => {
    const state = document.querySelector('[data-testid="run-state"]');
    const stop = Array.from(document.querySelectorAll('button')).find(
      (b) => b.textContent === 'Stop',
    );
    if (state === null || stop === undefined) throw new Error('no run state or Stop button');
    let clickedAt = NaN;
    stop.addEventListener('click', () => (clickedAt = performance.now()), { once: true });
    (window as unknown as { stopLatency: Promise<number> }).stopLatency = new Promise((resolve) => {
      new MutationObserver((_, observer) => {
        if (state.textContent !== 'stopped') return;
        observer.disconnect();
        resolve(performance.now() - clickedAt);
      }).observe(state, { childList: true, characterData: true, subtree: true });
    });
  });
  await app.stop();
  await app.waitForState('stopped', 2_000);
  const latencyMs = await app.page.evaluate(
    () => (window as unknown as { stopLatency: Promise<number> }).stopLatency,
  );
  expect(latencyMs).toBeLessThan(2_000);
  return Math.round(latencyMs);
}

test('Stop mid-step answers within 2 s, keeps the run and resumes it as the same run', async ({
  app,
}, testInfo) => {
  test.setTimeout(8 * 60_000);
  // Half the book's width at 224 px: one step of 24 images took 71 s on SwiftShader here with
  // the machine loaded. One batch an epoch, two epochs. (The book's own network would do, but
  // its 187 MB of weights exceed what Chromium's IndexedDB takes in one value: no checkpoint.)
  await app.open({
    size: '224',
    width: '0.5',
    batch: '24',
    train: '24',
    test: '8',
    epochs: '2',
    lr: '0.01',
  });
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await app.waitForState('training', 240_000);

  // Pause waits for the step, and says so at once (no step measured yet: no estimate).
  await app.pause();
  await expect(app.statusBar).toContainText('pausing after this step', { timeout: 2_000 });
  const firstStopMs = await stopWithin2s(app);
  await expect(
    app.alert(
      /^Stopped in epoch 1, batch 1: .*Resume \(under Runs\) starts it again from epoch 1\.$/,
    ),
  ).toBeVisible();
  const item = app.runItems.first();
  await expect(item).toHaveAttribute('data-status', 'stopped');
  await expect(app.trainButton).toBeEnabled();

  // Stopped before its first checkpoint: Resume trains it again from its start, as the same run.
  await item.getByRole('button', { name: /^Resume .* from epoch 1$/ }).click();
  await expect(item).toHaveAttribute('data-status', 'running');
  await expect(app.runItems).toHaveCount(1);
  // Through epoch 1 to its checkpoint, then into epoch 2's step.
  await expect(item).toContainText('checkpoint after epoch 1', { timeout: 300_000 });
  await expect(app.statusBar).toContainText('epoch 2 of 2');
  await expect(app.runState).toHaveText('training');

  // Now the step's length is known, and Pause says about how long it waits.
  await app.pause();
  await expect(app.statusBar).toContainText(/pausing after this step, ≈ \d+ (s|min)/, {
    timeout: 2_000,
  });
  const secondStopMs = await stopWithin2s(app);
  await expect(
    app.alert(/^Stopped in epoch 2, batch 1: .*continues from the checkpoint after epoch 1\.$/),
  ).toBeVisible();

  // What was recorded is kept: the first epoch, its loss point, its checkpoint; still one run.
  await expect(app.epochRows).toHaveCount(1);
  await expect(app.chartFigure('loss')).not.toHaveAttribute('data-points', '0');
  await expect(app.runItems).toHaveCount(1);
  await expect(item).toHaveAttribute('data-status', 'stopped');
  await expect(item).toContainText('checkpoint after epoch 1');
  await expect(item.getByRole('button', { name: /^Resume .* from epoch 2$/ })).toBeEnabled();

  const imagesPerSecond = Number(
    await app.epochRows.first().locator('td').nth(5).getAttribute('title'),
  );
  testInfo.annotations.push({
    type: 'stop latency',
    description:
      `${firstStopMs} ms in the first step, ${secondStopMs} ms in epoch 2's step; a step took ` +
      `${Math.round(24_000 / imagesPerSecond)} ms`,
  });
});

test('a CPU step longer than the hang timeout is not taken for a hung worker', async ({
  app,
}, testInfo) => {
  test.setTimeout(10 * 60_000);
  // TF.js's CPU backend computes a step synchronously, without answering the heartbeat: here
  // one step of 16 images at 224 px and width 0.25, about a minute on this machine.
  await app.open({
    backend: 'cpu',
    size: '224',
    width: '0.25',
    batch: '16',
    train: '16',
    test: '1',
    epochs: '1',
    lr: '0.01',
  });
  await expect(app.backendName).toHaveText('cpu');
  const startedAt = Date.now();
  await app.train();
  await expect(app.runState).toHaveText(/^(done|stopped|diverged|failed)$/, {
    timeout: 9 * 60_000,
  });
  await expect(app.runState).toHaveText('done');
  await expect(app.alert('stopped answering')).toHaveCount(0);

  // A step really outlasted what the heartbeat allows a silent worker (a ping goes unanswered
  // for HANG_TIMEOUT_MS, sent up to HEARTBEAT_INTERVAL_MS after the worker last spoke): the
  // trial step before the run or the training step, each one synchronous stretch on the CPU
  // backend. The trial step is the longer (the backend's first step: 84 s against 34 s here),
  // and the training step alone varied from 34 s to about a minute between runs.
  const imagesPerSecond = Number(
    await app.epochRows.first().locator('td').nth(5).getAttribute('title'),
  );
  const stepMs = (16 / imagesPerSecond) * 1000;
  const trialStepMs = (await app.startupTimings()).phasesMs.preflight ?? 0;
  expect(Math.max(stepMs, trialStepMs)).toBeGreaterThan(HANG_TIMEOUT_MS + HEARTBEAT_INTERVAL_MS);
  testInfo.annotations.push({
    type: 'CPU steps',
    description:
      `trial step ${Math.round(trialStepMs)} ms, training step ${Math.round(stepMs)} ms; ` +
      `run ${Math.round((Date.now() - startedAt) / 1000)} s`,
  });
});
