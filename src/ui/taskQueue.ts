/**
 * Main-thread work that may wait a little (redrawing a chart, painting canvases), run in
 * macrotasks of their own that stop taking jobs after TASK_BUDGET_MS, so that no task of the page
 * grows long: between two such tasks the browser renders, handles input and delivers the worker's
 * next message. Jobs are keyed; scheduling a key that is already waiting replaces its job, so a
 * chart that changed three times is redrawn once.
 */

/**
 * Small jobs (one filter image) share a task up to this long; a big one (a chart redraw) runs
 * alone. Well under the 50 ms of a long task, as this machine may be shared with the GPU's work.
 */
export const TASK_BUDGET_MS = 4;

const pending = new Map<object, () => void>();
let scheduled = false;

function runJobs(): void {
  scheduled = false;
  const startMs = performance.now();
  for (const [key, job] of pending) {
    pending.delete(key);
    // Scheduled before the job runs, so a job that throws does not stall the others.
    if (pending.size > 0) scheduleRunner();
    job();
    if (performance.now() - startMs >= TASK_BUDGET_MS) return;
  }
}

function scheduleRunner(): void {
  if (scheduled) return;
  scheduled = true;
  // A timeout, not requestAnimationFrame: every frame callback runs in the same task, which is
  // what this queue avoids; and timeouts still fire (slowly) in a background tab.
  setTimeout(runJobs, 0);
}

/** Runs `job` in a task of its own soon, in place of any job still waiting under `key`. */
export function scheduleTask(key: object, job: () => void): void {
  pending.set(key, job);
  scheduleRunner();
}

/** Drops the job waiting under `key`, if any (its owner is gone). */
export function cancelTask(key: object): void {
  pending.delete(key);
}
