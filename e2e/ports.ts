/**
 * The ports the browser tests serve on: the production build (dist/) on E2E_PORT, the harness
 * pages (dist-harness/: kernel self-test, variants check) on the port after it, and dist/ from a
 * sub-path of a plain static server (deploy.spec.ts starts it) on the one after that.
 * E2E_PORT lets a second checkout run its tests beside a running preview server.
 */
export const APP_PORT = Number(process.env.E2E_PORT ?? 4173);
export const HARNESS_PORT = APP_PORT + 1;
export const STATIC_PORT = APP_PORT + 2;
export const HARNESS_URL = `http://localhost:${HARNESS_PORT}`;
