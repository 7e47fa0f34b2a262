/**
 * The ports the browser tests serve on: the production build (dist/) on E2E_PORT, and the
 * harness pages (dist-harness/: kernel self-test, variants check) on the port after it.
 * E2E_PORT lets a second checkout run its tests beside a running preview server.
 */
export const APP_PORT = Number(process.env.E2E_PORT ?? 4173);
export const HARNESS_PORT = APP_PORT + 1;
export const HARNESS_URL = `http://localhost:${HARNESS_PORT}`;
