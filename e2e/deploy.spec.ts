import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures/fixtures.ts';
import { serveStatic } from './fixtures/staticServer.ts';
import { TINY } from './helpers.ts';
import { STATIC_PORT } from './ports.ts';

/**
 * The production build (dist/) as a deployment serves it: from a sub-path (/alexnet/) of a plain
 * static file server, not Vite, with the four Fashion-MNIST files copied next to it (here the
 * Debian package's folder mounted at /alexnet/data/fashion-mnist/), and then offline.
 */

const SUB_PATH = '/alexnet/';
const DIST_DIR = fileURLToPath(new URL('../dist/', import.meta.url));
const DATA_DIR = '/usr/share/datasets/fashion-mnist';
/** One epoch of the tiny run is enough: the test is about where files come from. */
const SETTINGS = { ...TINY, epochs: '1' };

// The service worker is what this test is about (the other specs block it: playwright.config.ts).
test.use({ serviceWorkers: 'allow' });

test('the build served from a sub-path by a static server trains, then reloads and trains offline', async ({
  page,
  context,
  app,
}) => {
  test.setTimeout(12 * 60_000);
  const server = await serveStatic(
    [
      { urlPrefix: SUB_PATH, dir: DIST_DIR },
      { urlPrefix: `${SUB_PATH}data/fashion-mnist/`, dir: DATA_DIR },
    ],
    STATIC_PORT,
  );
  // The production Content-Security-Policy must allow the service worker and everything above.
  await page.addInitScript(() => {
    const violations: string[] = [];
    (window as unknown as { violations: string[] }).violations = violations;
    document.addEventListener('securitypolicyviolation', (event) => {
      violations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const violations = () =>
    page.evaluate(() => (window as unknown as { violations: string[] }).violations);
  try {
    const address = `${server.url}?${new URLSearchParams(SETTINGS).toString()}`;
    await page.goto(address);
    await expect(app.backendName).toHaveText('webgpu');
    // The service worker has cached the build and taken control of the page (clients.claim),
    // its training worker included, without a reload.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, {
      timeout: 120_000,
    });
    expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).scope)).toBe(
      server.url,
    );

    await app.train();
    await app.waitForState('done', 300_000);
    await expect(page.getByTestId('data-source')).toContainText(
      `served by the app at ${SUB_PATH}data/fashion-mnist/`,
    );
    // Everything came from under the sub-path: scripts, worker and data relative to it.
    expect(server.requests.filter((p) => !p.startsWith(SUB_PATH))).toEqual([]);
    expect(server.requests).toContain(`${SUB_PATH}data/fashion-mnist/train-images-idx3-ubyte.gz`);
    expect(await violations()).toEqual([]);

    // The network cut in the browser context: the page, its scripts and the data come from this
    // browser's caches, and no request of the page's reaches the server any more.
    const requestsOnline = server.requests.length;
    await context.setOffline(true);
    await page.reload();
    await expect(app.backendName).toHaveText('webgpu');
    await expect(app.runItems).toHaveCount(1);
    await app.train();
    await app.waitForState('done', 300_000);
    await expect(page.getByTestId('data-source')).toContainText("from this browser's offline copy");
    await expect(app.runItems).toHaveCount(2);
    expect(await violations()).toEqual([]);
    // Only the browser's own update checks of sw.js, which Chromium makes outside the emulated
    // offline state (a real disconnect fails them, and the installed worker stays).
    const sinceOffline = server.requests.slice(requestsOnline);
    expect(sinceOffline.filter((p) => p !== `${SUB_PATH}sw.js`)).toEqual([]);
  } finally {
    await context.setOffline(false);
    await server.close();
  }
});
