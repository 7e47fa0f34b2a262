import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { expect, test } from './fixtures/fixtures.ts';
import { TINY } from './helpers.ts';

/**
 * Issue #5: training runs in the worker, so the page must stay responsive while it trains. The
 * browser reports every main-thread task over 50 ms as a "long task" (the RAIL limit for
 * handling input without a noticeable delay); none of the page's making may occur during a run:
 * no task may use more than half that in CPU time, and a long task is allowed only as a short
 * wait for this machine's cores, which the software GPU shares (BLOCKED_TASK_LIMIT_MS).
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

/**
 * The longest a task may take by the wall clock when its own CPU time is within the budget. On
 * this machine the page's main thread shares two cores with the software GPU, and even with
 * every page thread raised (raisePageThreads) long tasks of 7–10 ms of CPU were measured taking
 * 52–94 ms (3 of 5 idle runs here, in the Train click's first 250 ms, while the GPU process
 * compiles the run's shaders; CI once had 54 ms with 11 ms): the main thread waited, not worked. A wait of 200 ms
 * is beyond any such time slice; it would be the page blocking itself (a synchronous call).
 */
const BLOCKED_TASK_LIMIT_MS = 200;

/** Nice value for the page's threads during the test (Linux: -20 highest, 0 normal). */
const PAGE_THREADS_NICE = -20;

/**
 * Raises the page above the machine's other threads: every thread of this test's renderers but
 * their dedicated workers (the training worker's thread) to PAGE_THREADS_NICE, and each
 * renderer's main thread to real-time round-robin where allowed. On a real GPU the training does
 * not compete with the page for a CPU core; here SwiftShader's threads do (Chromium runs the GPU
 * process's main thread, which compiles and runs the shaders, at nice -8), and a task of 4 ms
 * of CPU was measured to take 52–92 ms of wall time. The main thread alone is not enough: its
 * tasks also wait for the page's helper threads (V8's garbage collection and compilation run
 * on the renderer's thread pool). Measured with two busy loops at nice -8 beside the test
 * (2026-12-04): main thread at nice -10, 1 run of 1 had a long task (59 ms wall, 12 ms CPU); main
 * thread real-time alone, 2 of 3 (86 ms wall with 7 ms CPU; 65 ms with 17 ms); every page
 * thread raised as here, 0 of 3. Linux only, and it needs root (or CAP_SYS_NICE), as CI has;
 * returns what it did, or why it could not.
 */
function raisePageThreads(): string {
  const notRaised = (reason: string) => `page threads not raised (${reason})`;
  try {
    // This process's descendants: the browser Playwright launched and its children.
    const parents = new Map<number, number>();
    const commands = new Map<number, string>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // Fields after the command name (which may hold spaces): state, then the parent's id.
        parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
        commands.set(Number(name), readFileSync(`/proc/${name}/cmdline`, 'utf8'));
      } catch {
        // The process ended meanwhile.
      }
    }
    const ours = new Set([process.pid]);
    for (let grew = true; grew;) {
      grew = false;
      for (const [pid, parent] of parents) {
        if (ours.has(pid) || !ours.has(parent)) continue;
        ours.add(pid);
        grew = true;
      }
    }
    // Renderers retitle themselves (arguments joined by spaces, not NULs).
    const renderers = [...ours].filter((pid) =>
      /(^|[\s\0])--type=renderer([\s\0]|$)/.test(commands.get(pid) ?? ''),
    );
    if (renderers.length === 0) return notRaised('no renderer process of this browser was found');
    let mainThreads = 'nice';
    // A process's main thread has the process's own id; the training worker's thread (and any
    // other dedicated worker's) keeps its priority, every other thread of the page is raised.
    for (const pid of renderers) {
      for (const name of readdirSync(`/proc/${pid}/task`)) {
        const tid = Number(name);
        let comm: string;
        try {
          comm = readFileSync(`/proc/${pid}/task/${name}/comm`, 'utf8').trim();
        } catch {
          continue;
        }
        if (comm.startsWith('DedicatedWorker')) continue;
        setPriority(tid, PAGE_THREADS_NICE);
      }
      try {
        execFileSync('chrt', ['--rr', '--reset-on-fork', '--pid', '1', String(pid)], {
          stdio: 'pipe',
        });
        mainThreads = 'real-time round-robin';
      } catch {
        // Real-time scheduling refused (no CAP_SYS_NICE, or no real-time budget in this cgroup):
        // the main thread keeps the nice above.
      }
    }
    return `page threads at nice ${PAGE_THREADS_NICE}, main threads ${mainThreads}`;
  } catch (error) {
    return notRaised(error instanceof Error ? error.message : String(error));
  }
}

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

test('no main-thread task of the page’s making over 50 ms from the Train click to the end of a run', async ({
  page,
  app,
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
  await app.open({ ...TINY, epochs: '2' });
  await expect(app.backendName).toHaveText('webgpu');
  const train = app.trainButton;
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
  const priorities = raisePageThreads();
  testInfo.annotations.push({ type: 'page threads', description: priorities });
  await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing'] });
  const windowStartMs = await page.evaluate(
    () => performance.mark('main-thread-window-start').startTime,
  );
  await train.click();
  expect(await ended).toBe('done');
  await expect(app.epochRows).toHaveCount(2);
  await expect(app.chartFigure('accuracy')).toHaveAttribute('data-points', '4');
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
    return { text, wallMs: task.durationMs, cpuMs };
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
  const allLongTasks = judged.map((task) => task.text);
  testInfo.annotations.push({
    type: 'long tasks',
    description: `${judged.length} in ${seconds} s: ${allLongTasks.join(' | ')}`,
  });
  // Two assertions. First, by the Long Tasks API's wall clock: a long task must be one the page
  // did not cause, a wait of the main thread for this machine's two cores (its CPU time known
  // and within the budget, the second assertion's), and no longer than BLOCKED_TASK_LIMIT_MS.
  // The page's threads are raised above the software GPU's for this (raisePageThreads), which
  // makes such waits rare; on a real GPU the training does not compete for a core at all.
  const notWaits = judged
    .filter((task) => task.cpuMs === null || task.wallMs > BLOCKED_TASK_LIMIT_MS)
    .map((task) => task.text);
  expect
    .soft(
      notWaits,
      `long tasks (over ${LONG_TASK_LIMIT_MS} ms) during ${seconds} s of training that took over ` +
        `${BLOCKED_TASK_LIMIT_MS} ms or whose CPU time is unknown; ${priorities}`,
    )
    .toEqual([]);
  // Second, the page's own work, whatever the clock: no task of the window may take more than
  // MAIN_THREAD_CPU_BUDGET_MS of the main thread's CPU time (Chromium's trace), so that a core
  // half as fast as this machine's would still stay under the limit.
  const overBudget = trace
    .filter((t) => t.startMs >= windowStartMs && t.startMs < windowEndMs)
    .filter((t) => t.cpuMs > MAIN_THREAD_CPU_BUDGET_MS)
    .map(
      (t) =>
        `task of ${t.cpuMs.toFixed(1)} ms CPU (${Math.round(t.wallMs)} ms wall) ` +
        `at +${Math.round(t.startMs - windowStartMs)} ms`,
    );
  expect(
    overBudget,
    `main-thread tasks over ${MAIN_THREAD_CPU_BUDGET_MS} ms of CPU during ${seconds} s of ` +
      `training (all long tasks: ${allLongTasks.join('; ') || 'none'})`,
  ).toEqual([]);
});
