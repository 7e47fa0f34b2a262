import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/fixtures.ts';
import type { PlaygroundPage } from './pages/playgroundPage.ts';

/**
 * "See it learn" on the machine at hand (a software GPU in CI): the estimate before Train, and
 * Quick, which fits a run of about five minutes to the measured speed and must learn the
 * genuine Fashion-MNIST to at least 65% validation accuracy. A real training run: minutes.
 */

const estimate = (page: Page) => page.getByTestId('run-estimate');
const quickButton = (page: Page) => page.getByRole('button', { name: /^Quick/ });

/** The last epoch's validation accuracy, from its cell's full-precision title. */
async function finalValidationAccuracy(app: PlaygroundPage): Promise<number> {
  const rows = app.epochRows;
  return Number(await rows.last().locator('td').nth(4).getAttribute('title'));
}

test('the book’s settings are estimated in days; Quick fits minutes and learns Fashion-MNIST to 65%', async ({
  page,
  app,
}, testInfo) => {
  test.setTimeout(12 * 60_000);
  await app.open();
  // The book's run on a software GPU: weeks. The estimate comes from the worker's speed probe.
  await expect(estimate(page)).toHaveText(/This run: ≈ [\d.]+ days on this software GPU/, {
    timeout: 120_000,
  });
  await expect(page.getByTestId('estimate-basis')).toContainText('Estimated from the arithmetic');
  await expect(page.getByTestId('book-result')).toContainText('test accuracy 88.0%');
  // The warning is at the top, with the same estimate, and offers Quick.
  const warning = page.getByTestId('software-adapter-warning');
  await expect(warning).toContainText(/would take ≈ [\d.]+ days here/);
  await expect(warning.getByRole('button', { name: /^Quick: ≈ \d+ min/ })).toBeEnabled();

  await quickButton(page).click();
  await expect(page.getByLabel('Image size')).toHaveValue('65');
  await expect(estimate(page)).toHaveText(/This run: ≈ \d+ min on this software GPU/);
  await expect(page.getByTestId('estimate-basis')).toContainText('Measured on this software GPU');
  await expect(page.getByTestId('book-result')).toHaveCount(0);

  const trainClickedAt = Date.now();
  await app.train();
  // The time left shows from the first batch on (before its first report: the estimate).
  await expect(app.statusBar).toContainText(/about .+ left/, { timeout: 120_000 });
  await app.waitForState('done', 10 * 60_000);
  const wallSeconds = (Date.now() - trainClickedAt) / 1000;

  const accuracy = await finalValidationAccuracy(app);
  console.log(`Quick: Train click to done in ${wallSeconds.toFixed(0)} s, val acc ${accuracy}`);
  expect(accuracy).toBeGreaterThanOrEqual(0.65);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await testInfo.attach('Quick run', {
    body: await page.screenshot(),
    contentType: 'image/png',
  });
});
