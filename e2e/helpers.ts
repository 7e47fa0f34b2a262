import type { Page } from '@playwright/test';

/**
 * Shared by the browser tests. TINY is small enough for a software GPU: 65 px (the minimum), a
 * tenth of the book's width, a few dozen real Fashion-MNIST images.
 */
export const TINY = {
  size: '65',
  width: '0.1',
  train: '128',
  test: '64',
  batch: '32',
  epochs: '3',
  lr: '0.1',
  // Without dropout the loss falls every epoch even in this small run; with it, noise can win.
  dropout: '0',
} as const;

/** The app's address with these settings as link parameters. */
export function url(settings: Record<string, string>): string {
  return `/?${new URLSearchParams(settings).toString()}`;
}

/**
 * The page's Content-Security-Policy violations, as "directive blocked-URI" (e.g. "script-src-elem
 * inline"), collected into the returned array as they happen. Call it before navigating: the
 * listener is then in every document from its first script on, so violations during page load
 * count too (a listener added after the page loaded would miss them).
 */
export async function collectCspViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.exposeFunction('reportCspViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { reportCspViolation: (text: string) => void }).reportCspViolation(
        `${event.effectiveDirective} ${event.blockedURI}`,
      );
    });
  });
  return violations;
}

/**
 * Fault injection: prepends `code` to the training worker's script, for the first worker only
 * (its replacement loads the real script).
 */
export async function injectIntoFirstWorker(page: Page, code: string): Promise<void> {
  await injectIntoWorkers(page, code, 1);
}

/** The same for every worker, the replacements too (Stop mid-step replaces the worker). */
export async function injectIntoEveryWorker(page: Page, code: string): Promise<void> {
  await injectIntoWorkers(page, code);
}

async function injectIntoWorkers(page: Page, code: string, times?: number): Promise<void> {
  await page.route(
    '**/assets/worker-*.js',
    async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, body: `${code}\n${await response.text()}` });
    },
    { times },
  );
}
