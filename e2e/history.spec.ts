import { readFile } from 'node:fs/promises';
import { expect, test } from './fixtures/fixtures.ts';
import { TINY } from './helpers.ts';
import { PlaygroundPage } from './pages/playgroundPage.ts';

/**
 * The experiment bench: exercise presets, the run history in the browser's real IndexedDB,
 * comparison, export and import, and changing the learning rate mid-run. Tiny settings so that
 * a software GPU trains each run in seconds.
 */

// One epoch of 64 images per run: each run of an exercise takes seconds.
const SMALL = { ...TINY, train: '64', test: '32', epochs: '1' };

test('the learning-rate exercise at its exercise scale: lr 0.1 learns, 0.0001 does not, the reading says so; overlaid, compared, kept across a reload', async ({
  page,
  app,
}, testInfo) => {
  // Two runs of about two and a half minutes each on a software GPU (the middle two are removed
  // from the queue: the question is answered by the ends, and the suite's time is bounded).
  test.setTimeout(14 * 60_000);
  // The book's settings: the exercise scale is fitted to the device, from the form's settings.
  await app.open();
  await expect(app.backendName).toHaveText('webgpu');
  await expect(page.getByRole('radio', { name: /the exercise scale/ })).toBeChecked();
  await expect(page.getByTestId('exercise-scale')).toContainText('65 px, width 0.1', {
    timeout: 120_000,
  });
  await app.exerciseButton('Learning rate').click();

  // The queue is visible while the exercise runs; queued runs can be removed; it is empty at
  // the end.
  await expect(app.queue).toBeVisible();
  await expect(app.queue.getByRole('listitem')).toHaveCount(3);
  for (const lr of ['0.01', '0.001']) {
    await page.getByRole('button', { name: `Remove queued run lr ${lr}`, exact: true }).click();
  }
  await expect(app.queue.getByRole('listitem')).toHaveCount(1);
  await expect(app.queue).toHaveCount(0, { timeout: 10 * 60_000 });
  await app.waitForState('done', 5 * 60_000);

  // One series per run on both charts, named by what differs, in the same colours.
  const labels = ['lr 0.1', 'lr 0.0001'];
  for (const chart of ['loss', 'accuracy'] as const) {
    await expect(app.chartFigure(chart)).toHaveAttribute('data-runs', '2');
  }
  const lossLegend = page.getByRole('list', { name: 'Loss chart runs' }).getByRole('listitem');
  const accuracyLegend = page
    .getByRole('list', { name: 'Accuracy chart runs' })
    .getByRole('listitem');
  await expect(lossLegend).toHaveText(labels);
  await expect(accuracyLegend).toHaveText(labels);
  const swatchColours = (legend: typeof lossLegend) =>
    legend
      .locator('.swatch')
      .evaluateAll((nodes) => nodes.map((n) => getComputedStyle(n).backgroundColor));
  expect(await swatchColours(lossLegend)).toEqual(await swatchColours(accuracyLegend));
  // Each run has its 4 epochs on the accuracy chart: train and validation points.
  await expect(app.chartFigure('accuracy')).toHaveAttribute('data-points', '16');

  // The comparison table: one row per run, each finished with a validation accuracy.
  await expect(app.comparisonRows).toHaveCount(2);
  await expect(app.comparisonRows.locator('th')).toHaveText(labels);
  for (const row of await app.comparisonRows.all()) {
    await expect(row).toContainText('done');
    await expect(row).toContainText(/\d+\.\d%/);
  }
  // The answer means something: lr 0.1 learns, lr 0.0001 stays near chance, 20+ points apart.
  const headers = await page
    .getByRole('table', { name: 'Run comparison' })
    .locator('thead th')
    .allInnerTexts();
  const valColumn = headers.findIndex((text) => text.trim() === 'Val acc');
  const valAccuracy = async (row: number) =>
    Number(
      (await app.comparisonRows.nth(row).locator('th, td').nth(valColumn).innerText()).replace(
        '%',
        '',
      ),
    ) / 100;
  const fast = await valAccuracy(0);
  const slow = await valAccuracy(1);
  console.log(`learning-rate exercise: lr 0.1 ${fast}, lr 0.0001 ${slow}`);
  expect(fast - slow).toBeGreaterThanOrEqual(0.2);
  await expect(page.getByTestId('exercise-reading')).toContainText(
    /^Learning rate: lr 0\.1 reached \d+%.*lr 0\.0001 stayed at .*about chance: too small to move in 4 epochs\.$/,
  );
  await expect(app.runItems).toHaveCount(2);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await testInfo.attach('learning-rate exercise', {
    body: await page.screenshot(),
    contentType: 'image/png',
  });

  // Reload: the runs come back from IndexedDB with their metrics.
  await page.reload();
  await expect(app.runItems).toHaveCount(2);
  for (const item of await app.runItems.all()) {
    await expect(item).toHaveAttribute('data-status', 'done');
    await expect(item).toContainText(/val \d+\.\d%/);
  }
  // Selecting both draws them again.
  await page.getByRole('checkbox', { name: /^lr 0\.1,/ }).check();
  await page.getByRole('checkbox', { name: /^lr 0\.0001,/ }).check();
  await expect(app.chartFigure('loss')).toHaveAttribute('data-runs', '2');
  await expect(app.comparisonRows).toHaveText([/lr 0\.1/, /lr 0\.0001/]);
});

test('delete with undo, export and import, and a malformed import changes nothing', async ({
  page,
  app,
}, testInfo) => {
  await app.open({ ...SMALL, epochs: '1' });
  await expect(app.backendName).toHaveText('webgpu');
  await page.getByRole('radio', { name: /the settings above/ }).check();
  await app.exerciseButton('Dropout').click();
  await expect(app.queue).toHaveCount(0, { timeout: 240_000 });
  await app.waitForState('done', 120_000);
  await expect(app.runItems).toHaveCount(3);

  // Delete, then undo; both survive a reload.
  const first = app.runItems.first();
  const firstName = (await first.locator('.run-label').innerText()).trim();
  await page.getByRole('button', { name: `Delete ${firstName}` }).click();
  await expect(app.runItems).toHaveCount(2);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(app.runItems).toHaveCount(3);
  await page.getByRole('button', { name: `Delete ${firstName}` }).click();
  await expect(app.runItems).toHaveCount(2);
  await page.reload();
  await expect(app.runItems).toHaveCount(2);

  // Rename one; the name is kept and used as its label.
  const renamed = app.runItems.first();
  await renamed.getByRole('button', { name: /^Rename/ }).click();
  await page.getByLabel('Run name').fill('my favourite');
  await page.getByLabel('Run name').press('Enter');
  await expect(app.runItems.first().locator('.run-label')).toHaveText('my favourite');

  // Export all as JSON, and the metrics as CSV.
  const jsonDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export all (JSON)' }).click();
  const jsonPath = testInfo.outputPath('runs.json');
  await (await jsonDownload).saveAs(jsonPath);
  const exported = JSON.parse(await readFile(jsonPath, 'utf8')) as {
    format: string;
    runs: { name: string; settings: { dropout: number }; epochMetrics: unknown[] }[];
  };
  expect(exported.format).toBe('alexnet-playground-runs');
  expect(exported.runs).toHaveLength(2);
  expect(exported.runs.map((run) => run.name)).toContain('my favourite');
  for (const run of exported.runs) expect(run.epochMetrics).toHaveLength(1);

  const csvDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export metrics (CSV)' }).click();
  const csvPath = testInfo.outputPath('metrics.csv');
  await (await csvDownload).saveAs(csvPath);
  const csvLines = (await readFile(csvPath, 'utf8')).trim().split(/\r?\n/);
  expect(csvLines).toHaveLength(1 + 2); // header + one epoch per run
  expect(csvLines[0]).toMatch(/epoch/);

  // A malformed file is refused with a message and leaves the runs as they were.
  const importInput = app.importRunsInput;
  await importInput.setInputFiles({
    name: 'broken.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"format": "alexnet-playground-runs", "version": 1, "runs": [{"id": 5}]}'),
  });
  await expect(app.importMessage).toContainText('"broken.json" was not imported');
  await expect(app.runItems).toHaveCount(2);
  await importInput.setInputFiles({
    name: 'not-json.json',
    mimeType: 'application/json',
    buffer: Buffer.from('this is not json'),
  });
  await expect(app.importMessage).toContainText('not JSON');
  await expect(app.runItems).toHaveCount(2);

  // The exported file imports back as new runs beside the existing ones, and they persist.
  await importInput.setInputFiles(jsonPath);
  await expect(app.importMessage).toHaveText(/Imported 2 runs/);
  await expect(app.runItems).toHaveCount(4);
  await expect(app.comparisonRows).toHaveCount(2);
  await page.reload();
  await expect(app.runItems).toHaveCount(4);
});

test('a learning-rate change mid-run is applied, recorded and kept', async ({ page, app }) => {
  // 8 batches an epoch, 2 epochs: room to change the rate part-way.
  await app.open({ ...SMALL, batch: '8', epochs: '2' });
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await expect(app.statusBar).toContainText(/batch [1-9]\d* of 16/, {
    timeout: 120_000,
  });
  await app.pause();
  await expect(app.runState).toHaveText('paused');
  await page.getByLabel('Learning rate now').fill('0.02');
  await page.getByRole('button', { name: 'Apply' }).click();
  await app.resume();
  await app.waitForState('done', 120_000);

  const item = app.runItems.first();
  await expect(item).toContainText(/lr → 0\.02 at epoch [01]\.\d\d/);
  await page.reload();
  await expect(app.runItems.first()).toContainText(/lr → 0\.02 at epoch [01]\.\d\d/);
});

test('a newer version of the page in another tab is not blocked: this tab lets go of its databases and says so', async ({
  page,
  app,
  context,
}) => {
  await app.open(SMALL);
  await expect(page.getByText('No runs yet.')).toBeVisible();
  // The other tab: any page of the same origin. The page has created (and holds open) both
  // databases once they are listed.
  const other = await context.newPage();
  await other.goto('/favicon.svg');
  await expect
    .poll(() => other.evaluate(async () => (await indexedDB.databases()).map((d) => d.name).sort()))
    .toEqual(['alexnet-playground', 'alexnet-playground-checkpoints']);
  // What a newer page does first: open them at a higher version. An open connection that does
  // not close on `versionchange` blocks this until the old tab is closed.
  const upgrade = (name: string) =>
    other.evaluate(
      (dbName) =>
        new Promise<string>((resolve) => {
          const request = indexedDB.open(dbName, 2);
          request.onblocked = () => resolve('blocked');
          request.onerror = () => resolve(`error: ${String(request.error)}`);
          request.onsuccess = () => {
            request.result.close();
            resolve('upgraded');
          };
        }),
      name,
    );
  expect(await upgrade('alexnet-playground')).toBe('upgraded');
  expect(await upgrade('alexnet-playground-checkpoints')).toBe('upgraded');
  await expect(
    page.getByRole('alert').filter({ hasText: 'newer version of this page' }),
  ).toBeVisible();
});

test('a run training in one tab shows in another as training there, follows it to its end, and is never offered there', async ({
  app,
  context,
}) => {
  await app.open({ ...SMALL, batch: '8', epochs: '3' });
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await app.waitForState('training');
  // The same page in another tab of the same browser, while the run trains.
  const other = new PlaygroundPage(await context.newPage());
  await other.open(SMALL);
  const item = other.runItems.first();
  await expect(item).toContainText('training in another tab');
  await expect(item).toHaveAttribute('data-status', 'running');
  await expect(item.getByRole('button', { name: /^Resume / })).toHaveCount(0);
  await expect(item.getByRole('button', { name: /^Delete / })).toBeDisabled();
  await expect(item.getByRole('button', { name: /^Rename / })).toBeDisabled();
  // It follows the run as its tab saves it, to the end.
  await expect(item).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await expect(item).toContainText(/val \d+\.\d%/);
  await expect(item).not.toContainText('training in another tab');
});

test('a run whose tab closes mid-run becomes interrupted in the tab still open, which can resume it', async ({
  page,
  app,
  context,
}) => {
  await app.open({ ...SMALL, batch: '8', epochs: '50' });
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await expect(app.runItems.first()).toContainText('checkpoint after epoch', {
    timeout: 120_000,
  });
  const other = new PlaygroundPage(await context.newPage());
  await other.open(SMALL);
  const item = other.runItems.first();
  await expect(item).toContainText('training in another tab');
  await page.close();
  await expect(item).toHaveAttribute('data-status', 'interrupted');
  await expect(item.getByRole('button', { name: /^Resume / })).toBeEnabled();
});

test('a run in progress when the page reloads is kept and marked interrupted, and resumes from its checkpoint with the same results', async ({
  page,
  app,
}) => {
  // 4 batches an epoch, 3 epochs, no dropout: the same seed gives the same run.
  await app.open({ ...SMALL, batch: '16', epochs: '3' });
  await expect(app.backendName).toHaveText('webgpu');
  const epochRows = app.epochRows;
  // Full-precision values from the cells' titles: train loss, train acc, val loss, val acc.
  const metrics = async () =>
    Promise.all(
      (await epochRows.all()).map(async (row) =>
        Promise.all(
          [1, 2, 3, 4].map(async (column) =>
            Number(await row.locator('td').nth(column).getAttribute('title')),
          ),
        ),
      ),
    );

  // The reference: the same run, not interrupted.
  await app.train();
  await app.waitForState('done', 180_000);
  await expect(epochRows).toHaveCount(3);
  const reference = await metrics();

  // Again, closing the page once the first epoch is checkpointed and in the run's record.
  await app.train();
  await expect(app.runItems.first()).toContainText('checkpoint after epoch', {
    timeout: 180_000,
  });
  await expect(app.runItems.first()).toContainText(/val \d+\.\d%/);
  await page.reload();
  // Kept, as far as it got, and marked interrupted.
  const interrupted = app.runItems.first();
  await expect(interrupted).toHaveAttribute('data-status', 'interrupted');
  await expect(interrupted).toContainText(/kept up to its last saved point \([12] of 3 epochs\)/);
  await interrupted.getByRole('button', { name: /^Resume .* from epoch [23]$/ }).click();
  await app.waitForState('done', 180_000);
  await expect(app.runItems.first()).toHaveAttribute('data-status', 'done');
  // A finished run keeps no checkpoint.
  await expect(app.runItems.first()).not.toContainText('checkpoint after epoch');

  await expect(epochRows).toHaveCount(3);
  const resumed = await metrics();
  for (const [epoch, row] of resumed.entries()) {
    for (const [column, value] of row.entries()) {
      expect(value, `epoch ${epoch + 1}, column ${column + 1}`).toBeCloseTo(
        reference[epoch][column],
        5,
      );
    }
  }
  // Still one record for the resumed run: the two runs of this test.
  await expect(app.runItems).toHaveCount(2);
});

test('queued runs can be removed or cancelled; a failed run does not stop the queue', async ({
  page,
  app,
  faults,
}) => {
  // The first worker crashes on its first run; the queue goes on in the replacement worker.
  await faults.crashFirstWorker();
  // Two epochs of 8 batches: each run lasts long enough to edit the queue behind it.
  await app.open({ ...SMALL, batch: '8', epochs: '2' });
  await expect(app.backendName).toHaveText('webgpu');
  // Dropout 0.3, 0.5, 0.7: the first starts (and crashes), 0.7 is removed from the queue.
  await page.getByRole('radio', { name: /the settings above/ }).check();
  await app.exerciseButton('Dropout').click();
  const queue = app.queue;
  await queue.getByRole('button', { name: 'Remove queued run dropout 0.7' }).click();
  await expect(queue).toHaveCount(0, { timeout: 240_000 });
  await app.waitForState('done', 120_000);
  await expect(app.runItems).toHaveCount(2);
  await expect(app.runItems.nth(1)).toHaveAttribute('data-status', 'failed');
  await expect(app.runItems.nth(1)).toContainText('injected crash');
  await expect(app.runItems.nth(0)).toHaveAttribute('data-status', 'done');
  await expect(app.comparisonRows.locator('th')).toHaveText(['dropout 0.3', 'dropout 0.5']);

  // Batch norm off, on: cancelling the queue leaves only the run already started.
  await app.exerciseButton('Batch norm').click();
  await page.getByRole('button', { name: 'Cancel queue' }).click();
  await expect(queue).toHaveCount(0);
  await app.waitForState('done', 120_000);
  await expect(app.runItems).toHaveCount(3);
});
