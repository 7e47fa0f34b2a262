import { expect, test } from '@playwright/test';
import { TINY, url } from './helpers.ts';

/**
 * Issue #5: training runs in the worker, so the page must stay responsive while it trains. The
 * browser reports every main-thread task over 50 ms as a "long task" (the RAIL limit for
 * handling input without a noticeable delay); none may occur during a run.
 */

/** The Long Tasks API's threshold, and ours. */
const LONG_TASK_LIMIT_MS = 50;
/**
 * The most CPU time the page's main thread may spend in one task: half the long-task limit,
 * the other half left for a slower core than this machine's and for waits the CPU time does not
 * show. Measured on this two-core machine: before issue #5's changes the Train click's task took
 * 45 ms of CPU (the busiest task); after them no task took more than 12 ms.
 */
const MAIN_THREAD_CPU_BUDGET_MS = LONG_TASK_LIMIT_MS / 2;

/** What the page records: long tasks, and long animation frames for their scripts. */
interface LongTaskRecord {
  startMs: number;
  durationMs: number;
  /** The Long Tasks API's own attribution (container type and name): usually just "window". */
  attribution: string[];
}
interface FrameRecord {
  startMs: number;
  durationMs: number;
  /** Each script that ran in the frame: what invoked it, its function and its duration. */
  scripts: string[];
}
interface Observed {
  longTasks: LongTaskRecord[];
  frames: FrameRecord[];
}

// Only the parts of these entries that lib.dom does not type.
interface LongTaskEntry extends PerformanceEntry {
  attribution: { containerType: string; containerName: string; name: string }[];
}
interface AnimationFrameEntry extends PerformanceEntry {
  scripts: {
    invoker: string;
    sourceFunctionName: string;
    sourceURL: string;
    duration: number;
  }[];
}

/** A task of the page's main thread in Chromium's trace, on performance.now()'s clock. */
interface TracedTask {
  startMs: number;
  wallMs: number;
  /** Thread time: CPU time of the main thread, excluding time it waited for a core. */
  cpuMs: number;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  /** Microseconds. */
  ts: number;
  dur?: number;
  tdur?: number;
}

/**
 * The top-level tasks of the thread that recorded the mark `main-thread-window-start`, made at
 * `markMs` by performance.now(): the mark gives the offset between the two clocks.
 */
function mainThreadTasks(traceJson: Buffer, markMs: number): TracedTask[] {
  const { traceEvents } = JSON.parse(traceJson.toString('utf8')) as { traceEvents: TraceEvent[] };
  const mark = traceEvents.find((event) => event.name === 'main-thread-window-start');
  if (mark === undefined) return [];
  const offsetMs = mark.ts / 1000 - markMs;
  return traceEvents
    .filter(
      (event) =>
        event.pid === mark.pid &&
        event.tid === mark.tid &&
        event.ph === 'X' &&
        event.dur !== undefined &&
        event.tdur !== undefined,
    )
    .map((event) => ({
      startMs: event.ts / 1000 - offsetMs,
      wallMs: (event.dur ?? 0) / 1000,
      cpuMs: (event.tdur ?? 0) / 1000,
    }));
}

// Playwright's trace snapshots the whole page in the page's main thread after every action and
// poll; those tasks are the harness's, not the app's, and would be counted as long tasks.
test.use({ trace: 'off' });

test('no main-thread task over 50 ms from the Train click to the end of a run', async ({
  page,
  browser,
}, testInfo) => {
  // Installed before the page's own scripts, so that nothing the page does escapes it.
  await page.addInitScript((limitMs: number) => {
    const observed: Observed = { longTasks: [], frames: [] };
    const onLongTasks = (entries: PerformanceEntryList) => {
      for (const entry of entries as LongTaskEntry[]) {
        observed.longTasks.push({
          startMs: entry.startTime,
          durationMs: entry.duration,
          attribution: entry.attribution.map((a) =>
            [a.name, a.containerType, a.containerName].filter(Boolean).join(' '),
          ),
        });
      }
    };
    const onFrames = (entries: PerformanceEntryList) => {
      for (const entry of entries as AnimationFrameEntry[]) {
        if (entry.duration <= limitMs) continue;
        observed.frames.push({
          startMs: entry.startTime,
          durationMs: entry.duration,
          scripts: entry.scripts.map(
            (s) =>
              `${s.invoker} ${s.sourceFunctionName || '(anonymous)'} ` +
              `${s.sourceURL.split('/').pop() ?? ''} ${Math.round(s.duration)} ms`,
          ),
        });
      }
    };
    const longTasks = new PerformanceObserver((list) => onLongTasks(list.getEntries()));
    longTasks.observe({ type: 'longtask', buffered: true });
    const frames = new PerformanceObserver((list) => onFrames(list.getEntries()));
    frames.observe({ type: 'long-animation-frame', buffered: true });
    // Read by the test: entries still queued for the observers are taken first.
    Object.assign(window, {
      takeObserved: (): Observed => {
        onLongTasks(longTasks.takeRecords());
        onFrames(frames.takeRecords());
        return observed;
      },
    });
  }, LONG_TASK_LIMIT_MS);

  // Two epochs, so that the window includes an epoch's end (confusion matrix, predictions,
  // filters, epoch table) both mid-run and as the run ends.
  await page.goto(url({ ...TINY, epochs: '2' }));
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await expect(train).toBeEnabled();

  // The window: from just before the Train click (its handler and the render it causes are
  // the first thing a person waits for) to the page at rest after the run's last update (the
  // second row of the epoch table, the final points on the accuracy chart, drawn). Page load is
  // outside it: the issue is the page during training, and loading runs the whole bundle once.
  // The run's end is awaited in the page, by a MutationObserver on the run state, not by
  // polling from the test: each poll is a task on the page's main thread too.
  const ended = page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const endStates = ['done', 'stopped', 'diverged', 'failed'];
        const check = () => {
          const state = document.querySelector('[data-testid="run-state"]')?.textContent ?? '';
          if (!endStates.includes(state)) return;
          observer.disconnect();
          resolve(state);
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { subtree: true, childList: true, characterData: true });
      }),
  );
  // Chromium's own trace of the same window gives each task's CPU time on the main thread
  // (thread time), beside the wall time the Long Tasks API reports; see the assertion below.
  await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing'] });
  const windowStartMs = await page.evaluate(
    () => performance.mark('main-thread-window-start').startTime,
  );
  await train.click();
  expect(await ended).toBe('done');
  await expect(page.getByRole('table', { name: 'Epoch metrics' }).locator('tbody tr')).toHaveCount(
    2,
  );
  await expect(page.locator('figure[data-chart="accuracy"]')).toHaveAttribute('data-points', '4');
  // The charts and images drawn after the last update run in tasks of their own; the page is
  // idle once they have run.
  await page.evaluate(
    () => new Promise<void>((resolve) => requestIdleCallback(() => resolve(), { timeout: 10_000 })),
  );
  const { windowEndMs, observed } = await page.evaluate(() => ({
    windowEndMs: performance.now(),
    observed: (window as unknown as { takeObserved: () => Observed }).takeObserved(),
  }));
  const trace = mainThreadTasks(await browser.stopTracing(), windowStartMs);

  const during = observed.longTasks.filter(
    (task) => task.startMs >= windowStartMs && task.startMs < windowEndMs,
  );
  const judged = during.map((task) => {
    const endMs = task.startMs + task.durationMs;
    // The traced task that overlaps it most is the same task; its thread time is the CPU the
    // page's main thread actually spent in it.
    const overlapMs = (t: TracedTask) =>
      Math.min(endMs, t.startMs + t.wallMs) - Math.max(task.startMs, t.startMs);
    const traced = trace
      .filter((t) => overlapMs(t) > 0)
      .sort((a, b) => overlapMs(b) - overlapMs(a))[0] as TracedTask | undefined;
    const cpuMs = traced?.cpuMs ?? null;
    // The long animation frame that contains the task names the scripts that ran in it.
    const scripts = observed.frames
      .filter((frame) => frame.startMs <= endMs && frame.startMs + frame.durationMs >= task.startMs)
      .flatMap((frame) => frame.scripts);
    const text =
      `${Math.round(task.durationMs)} ms at +${Math.round(task.startMs - windowStartMs)} ms, ` +
      `CPU ${cpuMs === null ? 'unknown' : `${Math.round(cpuMs)} ms`} ` +
      `(${task.attribution.join(', ') || 'no attribution'}; scripts: ${scripts.join('; ') || 'none'})`;
    return { text, ours: cpuMs === null || cpuMs > MAIN_THREAD_CPU_BUDGET_MS };
  });
  const seconds = Math.round((windowEndMs - windowStartMs) / 1000);
  const busiest = trace
    .filter((t) => t.startMs >= windowStartMs && t.startMs < windowEndMs)
    .sort((a, b) => b.cpuMs - a.cpuMs)
    .slice(0, 5);
  testInfo.annotations.push({
    type: 'most CPU',
    description: busiest
      .map(
        (t) =>
          `${t.cpuMs.toFixed(1)} ms CPU (${Math.round(t.wallMs)} ms wall) at +${Math.round(t.startMs - windowStartMs)} ms`,
      )
      .join(' | '),
  });
  // Every long task and the busiest tasks are listed in the report, also when the test passes.
  testInfo.annotations.push({
    type: 'long tasks',
    description: `${judged.length} in ${seconds} s: ${judged.map((j) => j.text).join(' | ')}`,
  });
  // The assertion. The Long Tasks API measures wall time, which on a shared two-core machine
  // includes the time the main thread waited for a core: SwiftShader's GPU process (at raised
  // priority) and any other test run compete for both. Measured here under load: a task of 3 ms
  // of CPU took 89 ms of wall time, and the heartbeat's timer (one postMessage) 76 ms. A long task
  // fails the test when the trace shows the page's main thread computing in it for more than
  // MAIN_THREAD_CPU_BUDGET_MS, or cannot account for it; and any task of the window over that
  // budget fails it too, long on this machine's clock or not.
  const overBudget = trace
    .filter((t) => t.startMs >= windowStartMs && t.startMs < windowEndMs)
    .filter((t) => t.cpuMs > MAIN_THREAD_CPU_BUDGET_MS)
    .map(
      (t) =>
        `task of ${t.cpuMs.toFixed(1)} ms CPU (${Math.round(t.wallMs)} ms wall) ` +
        `at +${Math.round(t.startMs - windowStartMs)} ms`,
    );
  expect(
    [...judged.filter((j) => j.ours).map((j) => j.text), ...overBudget],
    `main-thread tasks over ${MAIN_THREAD_CPU_BUDGET_MS} ms of CPU during ${seconds} s of ` +
      `training (all long tasks: ${judged.map((j) => j.text).join('; ') || 'none'})`,
  ).toEqual([]);
});
