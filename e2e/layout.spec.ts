import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures/fixtures.ts';
import { exportRunsJson } from '../src/history/exportImport.ts';
import { makeRecord } from '../test/fixtures/runRecords.ts';

/**
 * Issue 12: the status stays in view while the page scrolls, and the run comparison fits its
 * panel. No training: the run compared is imported, as a person's exported run would be.
 */

test.use({ viewport: { width: 1400, height: 900 } });

/** A lone run whose settings differ from the book's in many fields, as a small run's do. */
const MANY_DIFFERENCES = 'lr 0.05, batch 32, 2 epochs, 67 px, width 0.125, 256 train, 128 test';
const manyDifferencesRun = () =>
  makeRecord({
    settings: {
      learningRate: 0.05,
      batchSize: 32,
      epochs: 2,
      imageSize: 67,
      width: 0.125,
      trainExamples: 256,
      testExamples: 128,
    },
  });

/** How many lines of text an element's content takes (its content box over its line height). */
function lineCount(element: Locator): Promise<number> {
  return element.evaluate((el) => {
    const style = getComputedStyle(el);
    const content =
      el.getBoundingClientRect().height -
      parseFloat(style.paddingTop) -
      parseFloat(style.paddingBottom) -
      parseFloat(style.borderTopWidth) -
      parseFloat(style.borderBottomWidth);
    return Math.round(content / parseFloat(style.lineHeight));
  });
}

/**
 * Where the comparison's last column header is: in view inside the scroll container as the page
 * opens, or once the container is scrolled to its right end, which needs the container to scroll
 * for a person (overflow auto or scroll, content wider than the box). The container itself must
 * lie inside its panel.
 */
function lastColumnReach(scroller: Locator) {
  return scroller.evaluate((el) => {
    const header = el.querySelector('thead th:last-child');
    const panel = el.closest('section');
    if (header === null || panel === null) throw new Error('no header or panel');
    const within = (inner: DOMRect, outer: DOMRect) =>
      inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5;
    const overflowX = getComputedStyle(el).overflowX;
    el.scrollLeft = 0;
    const inViewUnscrolled = within(header.getBoundingClientRect(), el.getBoundingClientRect());
    const scrollable =
      (overflowX === 'auto' || overflowX === 'scroll') && el.scrollWidth > el.clientWidth;
    el.scrollLeft = el.scrollWidth;
    const inViewScrolled = within(header.getBoundingClientRect(), el.getBoundingClientRect());
    el.scrollLeft = 0;
    return {
      header: header.textContent,
      scrollerInPanel: within(el.getBoundingClientRect(), panel.getBoundingClientRect()),
      inViewUnscrolled,
      scrollable,
      inViewScrolled,
    };
  });
}

test('the run comparison fits its panel: one line per run, the full settings on hover, every column reachable', async ({
  page,
  app,
}) => {
  await app.open();
  await app.importRuns('many.json', exportRunsJson([manyDifferencesRun()]));
  await expect(app.comparisonRows).toHaveCount(1);

  // The lone run is named by its differences from the book's; the cell stays one line high and
  // its title holds all of them.
  const runCell = app.comparisonRows.first().getByRole('rowheader');
  await expect(runCell).toHaveText(MANY_DIFFERENCES);
  await expect(runCell).toHaveAttribute('title', MANY_DIFFERENCES);
  expect(await lineCount(runCell)).toBe(1);

  // At 1400 px the last column is in view without scrolling…
  await expect(app.comparisonTable.getByRole('columnheader').last()).toHaveText(
    'Peak tensor memory',
  );
  const wide = await lastColumnReach(app.comparisonScroll);
  expect(wide.scrollerInPanel, JSON.stringify(wide)).toBe(true);
  expect(
    wide.inViewUnscrolled || (wide.scrollable && wide.inViewScrolled),
    JSON.stringify(wide),
  ).toBe(true);

  // …and where the panel is too narrow for the table, the table scrolls sideways inside it
  // instead of clipping a column; the run still takes one line.
  await page.setViewportSize({ width: 1000, height: 900 });
  await expect
    .poll(() => lastColumnReach(app.comparisonScroll))
    .toMatchObject({ scrollerInPanel: true, scrollable: true, inViewScrolled: true });
  expect(await lineCount(runCell)).toBe(1);
});

test('runs compared with others are named by what differs among them', async ({ app }) => {
  await app.open();
  const slow = manyDifferencesRun();
  const fast = makeRecord({ settings: { ...slow.settings, learningRate: 0.1 } });
  await app.importRuns('two.json', exportRunsJson([slow, fast]));
  await expect(app.comparisonRows.getByRole('rowheader')).toHaveText(['lr 0.05', 'lr 0.1']);
  await expect(app.comparisonRows.getByRole('rowheader').last()).toHaveAttribute(
    'title',
    'lr 0.1 (lr 0.1, batch 32, 2 epochs, 67 px, width 0.125, 256 train, 128 test)',
  );
});

test('the status bar stays in view when the page is scrolled to the bottom', async ({
  page,
  app,
}) => {
  await app.open();
  const before = await app.statusBar.boundingBox();
  expect(before).not.toBeNull();

  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  // Scrolled well past where the bar sits in the page, so a bar that scrolled with it would be
  // out of view.
  await expect
    .poll(() => page.evaluate(() => window.scrollY))
    .toBeGreaterThan(before!.y + before!.height + 500);
  const viewport = page.viewportSize()!;
  const after = await app.statusBar.boundingBox();
  expect(after).not.toBeNull();
  expect(after!.y).toBeGreaterThanOrEqual(0);
  expect(after!.y + after!.height).toBeLessThanOrEqual(viewport.height);
  // Nothing is drawn over it.
  const atItsMiddle = await page.evaluate(
    ({ x, y }) => document.elementFromPoint(x, y)?.closest('[role="status"]') !== null,
    { x: after!.x + after!.width / 2, y: after!.y + after!.height / 2 },
  );
  expect(atItsMiddle).toBe(true);
  await expect(app.runState).toBeInViewport();
});
