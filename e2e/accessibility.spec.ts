import { AxeBuilder } from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures/fixtures.ts';
import { TINY } from './helpers.ts';

/**
 * Issue 12, item 9: accessible to everyone who studies with it. axe-core finds no serious or
 * critical WCAG 2 A/AA violation while the page is idle, training and done; each chart has a
 * text alternative; the keyboard alone sets the fields, starts, pauses, resumes and stops a
 * run, ticks runs and runs an exercise.
 */

/** A run that finishes in about a minute on this machine's software GPU. */
const TWO_EPOCHS = { ...TINY, epochs: '2' };

/** Fails with every serious or critical WCAG 2 A/AA violation axe finds, listed in full. */
async function expectNoSeriousViolations(page: Page, when: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const serious = results.violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  );
  const report = serious
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} (${violation.helpUrl})\n` +
        violation.nodes
          .map((node) => `  ${node.target.join(' ')}\n    ${node.failureSummary ?? ''}`)
          .join('\n'),
    )
    .join('\n');
  expect(
    serious.map((violation) => violation.id),
    `axe, page ${when}:\n${report}`,
  ).toEqual([]);
}

/** Whether the element shows the page's keyboard focus ring (app.css's :focus-visible). */
function focusRing(element: Locator) {
  return element.evaluate((el) => {
    const style = getComputedStyle(el);
    return `${style.outlineStyle} ${style.outlineWidth}`;
  });
}

test('axe finds no serious or critical violation idle, training and done; charts have text alternatives', async ({
  page,
  app,
}) => {
  test.setTimeout(8 * 60_000);
  await app.open(TWO_EPOCHS);
  await expect(app.runState).toHaveText('idle');
  await expectNoSeriousViolations(page, 'idle');

  await app.train();
  // Training, with the first losses on the charts and the run in the comparison table.
  await expect(app.statusBar).toContainText(/batch [1-9]\d* of 8/, { timeout: 180_000 });
  await expect(app.runState).toHaveText('training');
  await expect(app.comparisonRows).toHaveCount(1);
  await expectNoSeriousViolations(page, 'training');

  await app.waitForState('done', 300_000);
  await expect(app.epochRows).toHaveCount(2);
  await expectNoSeriousViolations(page, 'done');

  // Each chart's canvas is described by its latest values, in words; a link leads to the table
  // that holds the numbers.
  await expect(app.chart('Accuracy')).toHaveAccessibleDescription(
    /^Latest: .+: validation accuracy \d+\.\d%, training accuracy \d+\.\d% at epoch 2\.$/,
  );
  await expect(app.chart('Loss')).toHaveAccessibleDescription(
    /^Latest: .+: training loss \d+\.\d{3}, validation loss \d+\.\d{3} at epoch 2\.$/,
  );
  await expect(app.chart('Throughput and memory')).toHaveAccessibleDescription(
    /^Latest: [\d.,]+ images per second at epoch [\d.]+, tensors hold [\d.]+ MB \(peak [\d.]+ MB\)\.$/,
  );
  // The numbers behind the summary are the table's: the final validation accuracy.
  const finalValAccuracy = await app.comparisonRows.first().locator('td').nth(5).textContent();
  await expect(app.chart('Accuracy')).toHaveAccessibleDescription(
    new RegExp(`validation accuracy ${finalValAccuracy!.replace('.', '\\.')}`),
  );
  const tableLink = page.getByRole('link', { name: 'Numbers: run comparison table' }).first();
  await tableLink.click();
  await expect(page).toHaveURL(/#comparison-heading$/);
  await expect(page.locator('#comparison-heading')).toBeInViewport();
  await expect(page.locator('#comparison-heading')).toHaveText('Run comparison');
});

test('the keyboard alone sets fields, trains, pauses, resumes, stops, ticks runs and runs an exercise', async ({
  page,
  app,
}) => {
  test.setTimeout(8 * 60_000);
  // Ten epochs: long enough to pause, resume and stop it by keyboard before it ends.
  await app.open({ ...TINY, lr: '0.05', epochs: '10' });

  // From the top of the page, Tab reaches the first field; typing sets it.
  const learningRate = app.field('Learning rate');
  await app.tabTo(learningRate);
  expect(await focusRing(learningRate)).toBe('solid 2px');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('0.1');
  await expect(learningRate).toHaveValue('0.1');
  await expect(page).toHaveURL(/lr=0\.1(&|$)/);

  // A choice is set with the arrow keys.
  const dropConv = app.field('Drop conv layer');
  await app.tabTo(dropConv);
  await page.keyboard.press('ArrowDown');
  await expect(dropConv).toHaveValue('conv3');
  await expect(page).toHaveURL(/drop=conv3/);
  await page.keyboard.press('ArrowUp');
  await expect(dropConv).toHaveValue('none');

  // Train with Enter.
  await app.tabTo(app.trainButton);
  expect(await focusRing(app.trainButton)).toBe('solid 2px');
  await page.keyboard.press('Enter');
  await expect(app.statusBar).toContainText(/batch [1-9]\d* of 40/, { timeout: 180_000 });
  await expect(app.runState).toHaveText('training');

  // Pause with Space, resume with Enter, stop with Space.
  await app.tabTo(app.pauseButton);
  await page.keyboard.press('Space');
  await app.waitForState('paused', 60_000);
  await app.tabTo(app.resumeButton);
  await page.keyboard.press('Enter');
  await app.waitForState('training', 60_000);
  await app.tabTo(app.stopButton);
  await page.keyboard.press('Space');
  await app.waitForState('stopped', 60_000);

  // The run is ticked (selected) when it starts: Space unticks it and ticks it again.
  const checkbox = app.runCheckboxes.first();
  await expect(checkbox).toBeChecked();
  await expect(app.comparisonRows).toHaveCount(1);
  await app.tabTo(checkbox);
  await page.keyboard.press('Space');
  await expect(checkbox).not.toBeChecked();
  await expect(app.comparisonRows).toHaveCount(0);
  await page.keyboard.press('Space');
  await expect(checkbox).toBeChecked();
  await expect(app.comparisonRows).toHaveCount(1);

  // An exercise is queued with Enter and starts; its queue is cancelled and its run stopped.
  const exercise = app.exerciseButton('Learning rate');
  // Stop replaced the worker: the exercise scale waits for the new one's backend.
  await expect(exercise).toBeEnabled({ timeout: 60_000 });
  await app.tabTo(exercise, { backwards: true });
  await page.keyboard.press('Enter');
  const queue = app.queue;
  await expect(queue).toBeVisible();
  await app.waitForState(/loading data|training/, 60_000);
  await expect(app.runCheckboxes).toHaveCount(2);
  const cancelQueue = page.getByRole('button', { name: 'Cancel queue', exact: true });
  await app.tabTo(cancelQueue);
  await page.keyboard.press('Enter');
  await expect(queue).toBeHidden();
  await app.tabTo(app.stopButton, { backwards: true });
  await page.keyboard.press('Space');
  await app.waitForState('stopped', 60_000);
  await expect(app.runCheckboxes).toHaveCount(2);
});
