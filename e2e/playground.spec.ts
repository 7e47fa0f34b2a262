import { readFile } from 'node:fs/promises';
import { expect, test } from './fixtures/fixtures.ts';
import { collectCspViolations, TINY } from './helpers.ts';

/**
 * The playground as a person uses it, in real headless Chromium on its real WebGPU adapter
 * (SwiftShader here), with the real Fashion-MNIST files served by the app.
 */

test('opens with the book’s AlexNet layer table and the WebGPU backend', async ({ page, app }) => {
  await app.open();
  await expect(app.backendName).toHaveText('webgpu');
  await expect(app.runState).toHaveText('idle');
  await expect(page.getByLabel('Learning rate')).toHaveValue('0.01');
  await expect(page.getByLabel('Batch size')).toHaveValue('128');
  await expect(page.getByLabel('Dropout')).toHaveValue('0.5');
  await expect(page.getByLabel('Image size')).toHaveValue('224');

  const table = page.getByRole('table', { name: 'Layer shapes' });
  await expect(table.locator('thead th')).toHaveText([
    'Layer',
    'Output shape',
    'Parameters',
    'Multiply-adds per image',
    'Activations at batch 128',
    'Weights',
    'Share',
  ]);
  const rows = table.locator('tbody tr');
  await expect(rows).toHaveCount(12);
  await expect(rows.nth(0)).toContainText('96×54×54');
  await expect(rows.nth(0)).toContainText('11,712');
  // Where the cost goes: conv1 is 54·54·96·121 multiply-adds an image; its output at batch 128.
  await expect(rows.nth(0)).toContainText('33.9 M');
  await expect(rows.nth(0)).toContainText('143.3 MB');
  await expect(rows.nth(7)).toContainText('256×5×5');
  await expect(rows.nth(8)).toContainText('6400');
  await expect(rows.nth(9)).toContainText('26,218,496');
  await expect(page.getByText('Total parameters: 46,764,746')).toBeVisible();

  // The table follows the settings without training.
  await page.getByLabel('Width').fill('0.5');
  await expect(rows.nth(0)).toContainText('48×54×54');
  await expect(page).toHaveURL(/width=0.5/);
});

test('bad input shows what is allowed and disables Train', async ({ page, app }) => {
  await app.open();
  const train = app.trainButton;
  await expect(train).toBeEnabled();

  const cases: [label: string, value: string, message: RegExp][] = [
    [
      'Learning rate',
      'abc',
      /Learning rate "abc" is not a number; allowed: a number greater than 0/,
    ],
    ['Learning rate', '0', /Learning rate 0 is too small/],
    [
      'Dropout',
      '1',
      /Dropout 1 is too large; allowed: a number from 0 up to, but not including, 1/,
    ],
    ['Batch size', '12.5', /Batch size must be a whole number/],
    ['Epochs', '', /Epochs is empty/],
    ['Width', '-1', /Width -1 is too small/],
    ['Image size', '64', /feature map vanishes at pool3.*Use at least 65 px/],
  ];
  for (const [label, value, message] of cases) {
    const input = page.getByLabel(label);
    const good = await input.inputValue();
    await input.fill(value);
    // The message is shown and tied to the input as its accessible description.
    await expect(input).toHaveAccessibleDescription(message);
    await expect(input).toHaveAttribute('aria-invalid', 'true');
    await expect(train).toBeDisabled();
    await input.fill(good);
    await expect(train).toBeEnabled();
  }

  await page.getByLabel('Training examples').fill('100');
  await expect(
    page.getByText(/Batch size 128 is larger than the 100 training examples/),
  ).toBeVisible();
  await expect(train).toBeDisabled();
});

test('a bad link value is ignored with a notice', async ({ page, app }) => {
  await app.open({ lr: 'abc', batch: '64', colour: 'red' });
  await expect(page.getByText(/Ignored lr=abc from the link/)).toBeVisible();
  await expect(page.getByText(/Ignored unknown link parameter "colour"/)).toBeVisible();
  await expect(page.getByLabel('Learning rate')).toHaveValue('0.01');
  await expect(page.getByLabel('Batch size')).toHaveValue('64');
});

test('trains a tiny AlexNet on real Fashion-MNIST with WebGPU; pause and resume', async ({
  page,
  app,
}, testInfo) => {
  // The production Content-Security-Policy (no inline script, no eval) must not block anything,
  // from the page's first byte on.
  const violations = await collectCspViolations(page);
  await app.open(TINY);
  await expect(app.backendName).toHaveText('webgpu');
  await expect(page.getByTestId('software-adapter-warning')).toBeVisible();
  await app.train();

  // Pause once the first loss window has arrived.
  await expect(app.statusBar).toContainText(/batch [1-9]\d* of 12/, { timeout: 120_000 });
  await expect(app.statusBar).toContainText('left');
  await expect(page.getByTestId('data-source')).toContainText('served by the app');
  // 'auto' picks this project's kernels on a software adapter.
  await expect(page.getByTestId('kernels-in-use')).toContainText('this project’s WGSL kernels');
  await app.pause();
  await expect(app.runState).toHaveText('paused');
  await expect(app.resumeButton).toBeEnabled();
  await app.resume();
  await expect(app.runState).toHaveText(/training|done/);

  await app.waitForState('done', 240_000);
  const rows = app.epochRows;
  await expect(rows).toHaveCount(3);
  await expect(app.chartFigure('loss')).not.toHaveAttribute('data-points', '0');
  await expect(app.chartFigure('accuracy')).toHaveAttribute('data-points', '6');

  // Loss falls: the last epoch's training and validation losses are below the first epoch's.
  // Cells carry the full-precision value in their title.
  const loss = async (row: number, column: number) =>
    Number(await rows.nth(row).locator('td').nth(column).getAttribute('title'));
  expect(await loss(2, 1)).toBeLessThan(await loss(0, 1));
  expect(await loss(2, 3)).toBeLessThan(await loss(0, 3));

  // No tensor accumulates on the WebGPU backend: the live count is the same at every report.
  await expect(app.tensorReadout).toHaveText(
    /Worker tensors: (\d+) holding .* \(between \1 and \1 during this run\)/,
  );

  // The confusion matrix counts each of the 64 validation images once.
  const confusion = page.getByRole('table', { name: 'Confusion matrix' });
  await expect(confusion.locator('tbody tr')).toHaveCount(10);
  await expect(confusion.locator('tbody th').first()).toHaveText('T-shirt/top');
  const counts = await confusion.locator('tbody td:not(:last-child)').allInnerTexts();
  expect(counts).toHaveLength(100);
  expect(counts.reduce((sum, text) => sum + Number(text), 0)).toBe(64);

  // The predictions grid: 32 validation images with labels; the filter keeps only mistakes.
  const predictions = page.getByRole('list', { name: 'Predictions' }).getByRole('listitem');
  await expect(predictions).toHaveCount(32);
  await expect(predictions.first()).toHaveAccessibleName(/^Predicted .+ \(\d+\.\d%\), true .+/);
  const mistakeCount = await page
    .getByRole('list', { name: 'Predictions' })
    .locator('li.mistake')
    .count();
  await page.getByLabel('Show mistakes only').check();
  await expect(predictions).toHaveCount(mistakeCount);
  for (const name of await predictions.evaluateAll((items) => items.map((i) => i.ariaLabel))) {
    expect(name).toMatch(/: mistake$/);
  }

  // conv1's filters: 10 at width 0.1 (96 in the book), drawn as images.
  await expect(
    page.getByRole('group', { name: 'First-layer filters' }).getByRole('img'),
  ).toHaveCount(10);

  expect(violations).toEqual([]);
  await expect(page.locator('meta[http-equiv="Content-Security-Policy"]')).toHaveAttribute(
    'content',
    /script-src 'self'/,
  );

  await testInfo.attach('finished run', {
    body: await page.screenshot({ fullPage: true }),
    contentType: 'image/png',
  });
});

test('Stop ends a run within a batch and keeps what was recorded', async ({ page, app }) => {
  // TF.js's stock kernels stay selectable: this run uses them.
  await app.open({ ...TINY, epochs: '5', kernels: 'stock' });
  await app.train();
  await expect(app.statusBar).toContainText(/batch [1-9]\d* of 20/, { timeout: 120_000 });
  await app.stop();
  await expect(app.runState).toHaveText('stopped');
  await expect(app.alert(/Stopped (in|during validation of) epoch \d+/)).toBeVisible();
  await expect(app.trainButton).toBeEnabled();
  await expect(app.chartFigure('loss')).not.toHaveAttribute('data-points', '0');
  await expect(page.getByTestId('kernels-in-use')).toContainText('TF.js’s own kernels');
});

test('without WebGPU the worker falls back to WebGL and says why', async ({
  page,
  app,
  faults,
}) => {
  // Hide navigator.gpu inside the training worker only.
  await faults.hideWebGpuFromFirstWorker();
  await app.open();
  await expect(app.backendName).toHaveText('webgl');
  await expect(
    page.getByText(/Running on webgl instead of webgpu: this browser has no WebGPU/),
  ).toBeVisible();
  await expect(page.getByTestId('software-adapter-warning')).toHaveCount(0);
});

test('the CPU backend can be chosen from the link, and gets the estimate and the warning', async ({
  page,
  app,
}) => {
  await app.open({ backend: 'cpu' });
  await expect(app.backendName).toHaveText('cpu');
  await expect(page.getByLabel('Backend')).toHaveValue('cpu');
  // The speed probe times a step on the CPU too: the book's run is estimated, in days.
  const warning = page.getByTestId('device-fit');
  await expect(warning).toContainText('Training runs on cpu, much slower than WebGPU');
  await expect(warning).toContainText(/would take ≈ [\d.]+ days here/, { timeout: 120_000 });
  await expect(page.getByTestId('run-estimate')).toHaveText(/≈ [\d.]+ days on the CPU backend/);
  await expect(warning.getByRole('button', { name: /^Quick: ≈/ })).toBeEnabled();
});

test('a worker that stops answering is detected by the heartbeat and replaced', async ({
  app,
  faults,
}) => {
  // The first worker spins forever as soon as a run starts: no error event, just silence.
  await faults.hangFirstWorker();
  await app.open({ ...TINY, train: '32', epochs: '1' });
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  // HANG_TIMEOUT_MS (30 s) after the first unanswered ping.
  await app.waitForState('failed', 60_000);
  await expect(app.alert(/stopped answering for \d+ s.*a new one was started/)).toBeVisible();
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await app.waitForState('done', 120_000);
});

test('a crashed worker is reported and replaced; training works again', async ({ app, faults }) => {
  // The first worker throws an uncaught error as soon as a run starts.
  await faults.crashFirstWorker();
  await app.open({ ...TINY, train: '32', epochs: '1' });
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await expect(app.runState).toHaveText('failed');
  await expect(
    app.alert(/training worker crashed .*injected crash.*a new one was started/),
  ).toBeVisible();

  // The replacement worker reports its backend and trains.
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await app.waitForState('done', 180_000);
  await expect(app.epochRows).toHaveCount(1);
});

test("the preview server sends the Content-Security-Policy as a header with frame-ancestors 'none'; the page cannot be framed", async ({
  page,
}) => {
  const response = await page.goto('/');
  const meta = await page
    .locator('meta[http-equiv="Content-Security-Policy"]')
    .getAttribute('content');
  expect(meta).toMatch(/script-src 'self'/);
  // Exactly the build's policy, plus what a <meta> cannot say.
  expect(response?.headers()['content-security-policy']).toBe(`${meta}; frame-ancestors 'none'`);
  // Not even the page's own origin may frame it: the frame gets the browser's error page.
  const framedApp = await page.evaluate(async () => {
    const frame = document.createElement('iframe');
    frame.src = '/';
    const settled = new Promise((resolve) => {
      frame.addEventListener('load', resolve, { once: true });
      setTimeout(resolve, 10_000);
    });
    document.body.append(frame);
    await settled;
    try {
      return frame.contentDocument?.getElementById('root') != null;
    } catch {
      return false;
    }
  });
  expect(framedApp).toBe(false);
});

test('a CSP violation during page load is seen: the listener is attached before navigation', async ({
  page,
}) => {
  const violations = await collectCspViolations(page);
  // The built page with an inline script in its <head>, as an injection would put it.
  await page.route(
    (url) => url.pathname === '/',
    async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace(
        '</head>',
        '<script>window.inlineRan = true</script></head>',
      );
      await route.fulfill({ response, body: html });
    },
  );
  await page.goto('/');
  await expect.poll(() => violations).toContain('script-src-elem inline');
  expect(await page.evaluate(() => 'inlineRan' in window)).toBe(false);
});

test('the Content-Security-Policy blocks injected inline scripts', async ({ page, app }) => {
  await app.open();
  // (DevTools-protocol evaluation itself is exempt from CSP; the script element it adds is not.)
  const result = await page.evaluate(async () => {
    const violation = new Promise<string>((resolve) =>
      document.addEventListener('securitypolicyviolation', (event) =>
        resolve(event.effectiveDirective),
      ),
    );
    const script = document.createElement('script');
    script.textContent = 'window.inlineRan = true';
    document.body.append(script);
    return { inlineRan: 'inlineRan' in window, violatedDirective: await violation };
  });
  expect(result).toEqual({ inlineRan: false, violatedDirective: 'script-src-elem' });
});

test('a batch the GPU cannot hold is refused before training, with the numbers', async ({
  page,
  app,
}) => {
  await app.open({ batch: '1024' });
  await expect(app.backendName).toHaveText('webgpu');
  // SwiftShader allows 1 GiB per buffer; conv1's output is 96·54·54·4 bytes an image.
  await expect(page.getByTestId('gpu-fit-problem')).toHaveText(
    /conv1's output at batch 1024 and 224 px is 1,147 MB; this GPU allows 1,074 MB per buffer\. Batch size \d+ or less fits\./,
  );
  await expect(app.trainButton).toBeDisabled();
  await page.getByLabel('Batch size').fill('128');
  await expect(page.getByTestId('gpu-fit-problem')).toHaveCount(0);
  await expect(app.trainButton).toBeEnabled();
  await expect(page.getByTestId('memory-estimate')).toContainText('largest single buffer is conv1');
});

test('a diverging run stops at once, says where, keeps its points; the next run starts clean', async ({
  page,
  app,
}) => {
  await app.open({ ...TINY, lr: '1000', train: '64', epochs: '2' });
  await app.train();
  await app.waitForState('diverged', 120_000);
  await expect(
    app.alert(/Training diverged at epoch 1, batch \d+: the loss .* Try a smaller learning rate/),
  ).toBeVisible();
  await expect(app.chartFigure('loss')).not.toHaveAttribute('data-points', '0');

  await page.getByLabel('Learning rate').fill('0.1');
  await app.train();
  await app.waitForState('done', 120_000);
  await expect(app.epochRows).toHaveCount(2);
});

test('a lost GPU device fails the run with the reason and a new worker takes over', async ({
  app,
  faults,
}) => {
  // Destroy the first worker's GPU device when a run starts (as a GPU reset would).
  await faults.loseDeviceOfFirstWorker();
  await app.open({ ...TINY, train: '32', epochs: '1' });
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await expect(app.runState).toHaveText('failed');
  await expect(
    app.alert(/GPU device was lost \(destroyed\).*A new worker was started/),
  ).toBeVisible();

  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await app.waitForState('done', 120_000);
});

test('out of GPU memory at the first step: the run fails before any batch, with the estimate and a batch that fits', async ({
  app,
  faults,
}) => {
  test.setTimeout(8 * 60_000);
  // A GPU of 9 MB for the first worker. Its out-of-memory scope, the trial step's, saw 10.7 MB
  // at batch 32 and 7.9 MB at 16 (TINY's network on SwiftShader, TF.js's pool emptied first).
  await faults.limitGpuMemoryOfFirstWorker(9_000_000);
  await app.open({ ...TINY, train: '32', epochs: '1' });
  await expect(app.backendName).toHaveText('webgpu');
  await app.train();
  await app.waitForState('failed', 300_000);
  await expect(
    app.alert(
      'Out of GPU memory at batch 32: a training step at 65 px needs about 4 MB (estimate). ' +
        'A trial step at batch 16 (about 3 MB) ran on this GPU: set the batch size to 16 or less.',
    ),
  ).toBeVisible();
  // No batch was reported, and the run keeps its record.
  await expect(app.chartFigure('loss')).toHaveAttribute('data-points', '0');
  await expect(app.statusBar).not.toContainText(/batch \d+ of/);
  await expect(app.epochRows).toHaveText(['No epoch finished yet.']);
  await expect(app.runItems.first()).toContainText('Out of GPU memory at batch 32');

  // The batch it names trains, in the same worker on the same small GPU.
  await app.field('Batch size').fill('16');
  await app.train();
  await app.waitForState('done', 180_000);
  await expect(app.epochRows).toHaveCount(1);
});

test('Export as PyTorch downloads a script with the chosen variant and hyperparameters', async ({
  page,
  app,
}) => {
  await app.open({ lr: '0.05', batch: '64', drop: 'conv4', bn: 'on' });
  // The layer table follows the variant before any training.
  const table = page.getByRole('table', { name: 'Layer shapes' });
  await expect(table.getByText('conv1_bn', { exact: true })).toBeVisible();
  await expect(table.getByText('conv4', { exact: true })).toHaveCount(0);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export as PyTorch' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('alexnet_fashion_mnist.py');
  const script = await readFile(await file.path(), 'utf8');
  expect(script).toContain('nn.BatchNorm2d(96, eps=1e-5, momentum=0.1)');
  expect(script).toContain('LEARNING_RATE = 0.05');
  expect(script).toContain('BATCH_SIZE = 64');
  // Without conv4 there is one 384→384 convolution fewer: none is left.
  expect(script).not.toContain('nn.Conv2d(384, 384');
});

test('the tensor count stays flat over 64 WebGPU steps and from run to run', async ({ app }) => {
  // 64 examples in batches of 4 for 4 epochs: 64 training steps, with validation between.
  await app.open({ ...TINY, train: '64', test: '32', batch: '4', epochs: '4' });
  await expect(app.backendName).toHaveText('webgpu');
  const readout = app.tensorReadout;
  const counts: string[] = [];
  for (let run = 0; run < 2; run++) {
    await app.train();
    await app.waitForState('done', 240_000);
    await expect(app.statusBar).toContainText('batch 64 of 64');
    // The same count at every report of the run: "(between N and N during this run)".
    await expect(readout).toHaveText(/Worker tensors: (\d+) holding .* \(between \1 and \1 /);
    counts.push((await readout.innerText()).replace(/ \(between.*/, ''));
  }
  // And the same from one run to the next: the first run's model and optimizer were freed.
  expect(counts[1]).toBe(counts[0]);
  // Throughput and memory over the run, and each run's peak beside its speed.
  await expect(app.chartFigure('throughput')).not.toHaveAttribute('data-points', '0');
  const rows = app.comparisonRows;
  await expect(rows).toHaveCount(2);
  for (const row of await rows.all()) await expect(row).toContainText(/\d+ (KB|MB)$/);
});
