import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures/fixtures.ts';
import { TINY } from './helpers.ts';
import {
  PYTHON_WITH_TORCH,
  stageFashionMnist,
  torchMissing,
} from '../test/fixtures/torchPython.ts';

/**
 * The round trip of issue 16: a run trained in the page, exported as PyTorch, run as a script
 * with real PyTorch (Debian's, on the CPU), and its run file imported back, compared side by side
 * with the browser's run of the same settings.
 */

test('a run of the exported PyTorch script comes back: in the Runs list, on both charts and in the table beside its browser run', async ({
  page,
  app,
}, testInfo) => {
  test.setTimeout(10 * 60_000);
  // Fails, never skips, without torch: a silent skip would let the round trip break unseen.
  const missing = torchMissing();
  if (missing !== null) throw new Error(missing);
  const dir = await mkdtemp(join(tmpdir(), 'pytorch-round-trip-'));
  try {
    // A tiny browser run: 65 px, width 0.1, 128 training and 64 test images, 2 epochs.
    await app.open({ ...TINY, epochs: '2' });
    await expect(app.backendName).toHaveText('webgpu');
    await app.train();
    await app.waitForState('done', 240_000);

    // The same settings as a script, run as a person would run it (one process, the CPU).
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export as PyTorch' }).click();
    const script = join(dir, 'alexnet_fashion_mnist.py');
    await (await download).saveAs(script);
    const runFile = join(dir, 'run.json');
    const data = stageFashionMnist(join(dir, 'data'));
    const result = spawnSync(PYTHON_WITH_TORCH, [script, '--data', data, '--out', runFile], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(result.status, `${result.error?.message ?? ''}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain(`Run file: ${runFile}`);

    // Imported, it joins the Runs list, marked as trained outside the browser.
    await app.importRuns('run.json', await readFile(runFile, 'utf8'));
    await expect(app.runItems).toHaveCount(2);
    const scriptRun = app.runItems.filter({ has: page.getByTestId('run-origin') });
    const browserRun = app.runItems.filter({ hasNot: page.getByTestId('run-origin') });
    await expect(scriptRun).toHaveCount(1);
    await expect(scriptRun).toHaveAttribute('data-status', 'done');
    await expect(scriptRun.getByTestId('run-origin')).toHaveText(
      /^outside the browser: PyTorch \d+\.\d+\S*, cpu$/,
    );
    await expect(scriptRun).toContainText(/val \d+\.\d%/);
    // No checkpoint or model of it here: nothing to resume.
    await expect(scriptRun.getByRole('button', { name: /^Resume/ })).toHaveCount(0);

    // The import selects the imported run; the browser's run joins it.
    await browserRun.getByRole('checkbox').check();
    for (const chart of ['loss', 'accuracy'] as const) {
      await expect(app.chartFigure(chart)).toHaveAttribute('data-runs', '2');
    }
    // Same settings, told apart by where they trained, in both legends.
    const labels = ['PyTorch', 'browser'];
    await expect(
      page.getByRole('list', { name: 'Loss chart runs' }).getByRole('listitem'),
    ).toHaveText(labels);
    await expect(
      page.getByRole('list', { name: 'Accuracy chart runs' }).getByRole('listitem'),
    ).toHaveText(labels);
    // Each run's 2 epochs on the accuracy chart: train and validation points.
    await expect(app.chartFigure('accuracy')).toHaveAttribute('data-points', '8');

    // The comparison table: a row each, where it ran, and its images/s.
    await expect(app.comparisonRows).toHaveCount(2);
    await expect(app.comparisonRows.locator('th')).toHaveText(labels);
    const headers = (await app.comparisonTable.locator('thead th').allInnerTexts()).map((text) =>
      text.trim(),
    );
    const cell = (row: number, header: string) =>
      app.comparisonRows.nth(row).locator('th, td').nth(headers.indexOf(header));
    await expect(cell(0, 'Ran on')).toHaveText('PyTorch · cpu');
    await expect(cell(1, 'Ran on')).toHaveText('webgpu');
    for (const row of [0, 1]) {
      await expect(cell(row, 'Status')).toHaveText('done');
      await expect(cell(row, 'Epochs')).toHaveText('2/2');
      await expect(cell(row, 'Images/s')).toHaveText(/^\d[\d,.]*$/);
      await expect(cell(row, 'Val acc')).toHaveText(/^\d+\.\d%$/);
    }
    await page.setViewportSize({ width: 1400, height: 1000 });
    await testInfo.attach('a PyTorch run beside its browser run', {
      body: await page.screenshot({ fullPage: true }),
      contentType: 'image/png',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
