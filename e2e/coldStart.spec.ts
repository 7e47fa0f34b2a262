import { expect, test } from './fixtures/fixtures.ts';
import { TINY } from './helpers.ts';

/**
 * The run's start, timed by the worker (src/worker/startupTimer.ts) and shown under the status
 * bar with the phases it waited for; a second run of the same shape compiles nothing and skips
 * the trial step. (That the first point comes after one batch: trainingLoop.test.ts.)
 */
test('the start of a run is timed by phase; a second run of the shape compiles nothing and skips the trial step', async ({
  app,
}) => {
  test.setTimeout(240_000);
  await app.open({ ...TINY, train: '96', epochs: '1' });
  await app.train();
  await expect(app.startupLine).toContainText(/^First loss point \d+\.\d s after Train: /, {
    timeout: 180_000,
  });
  const first = await app.startupTimings();
  expect(Object.keys(first.phasesMs)).toEqual(
    expect.arrayContaining([
      'probeWait',
      'data',
      'modelBuild',
      'compile',
      'preflight',
      'firstStep',
    ]),
  );
  expect(first.phasesMs.firstStep).toBeGreaterThan(0);
  const sum = Object.values(first.phasesMs).reduce((a, b) => a + b, 0);
  expect(sum).toBeCloseTo(first.totalMs, 3);
  await app.waitForState('done');

  await app.train();
  await app.waitForState('done');
  const second = await app.startupTimings();
  expect(second.totalMs).not.toBe(first.totalMs);
  // Every pipeline existed: the shaders take their shapes as uniforms, and this shape ran.
  expect(second.pipelinesCompiled).toBe(0);
  // The trial step was skipped: its phase is too short to be named.
  await expect(app.startupLine).not.toContainText('trial step');
});
