/**
 * Registers the service worker (serviceWorker.ts, built as sw.js next to index.html), which
 * keeps the page and the data it fetched usable offline. main.tsx calls it in production builds
 * only: the dev server has no sw.js, and the harness pages never load main.tsx.
 *
 * Imports nothing from the service worker's modules (see policy.ts).
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  const register = (): void => {
    // Relative to the page, so the worker's scope is the folder the site is served from.
    navigator.serviceWorker.register('./sw.js', { scope: './' }).catch((error: unknown) => {
      // Not fatal: the page works as before, only not offline (e.g. a private window).
      console.warn('Offline use is unavailable: the service worker did not register.', error);
    });
  };
  // After load, so that caching the site's files does not slow the first visit's own requests.
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
