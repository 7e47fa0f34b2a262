/**
 * Where the time from a Train click to the run's first loss point goes (issue #15, cold start).
 * The worker marks the end of each phase on the run's critical path; a phase is the time the run
 * waited for it. The data set starts loading when the train message arrives, beside the wait for
 * the speed probe, so `data` is only what was left of it after that wait.
 */

/** The phases in the order a run goes through them. */
export const STARTUP_PHASES = [
  /** A speed probe step in flight when Train came (its shaders serve the run too). */
  'probeWait',
  'backend',
  'data',
  /** Checking (and timing) our kernels against TF.js's, on adapters that get a trial. */
  'kernelTrial',
  'modelBuild',
  /** TF.js's parallel-compile mode: every pipeline of a forward and backward pass. */
  'compile',
  /** One trial step of the variant, out of GPU memory or not (preflight.ts). */
  'preflight',
  /** The first training batch, read back as the first point of the loss chart. */
  'firstStep',
] as const;

export type StartupPhase = (typeof STARTUP_PHASES)[number];

export interface StartupTimings {
  /** Milliseconds of each phase the run went through; a skipped phase is absent. */
  phasesMs: Partial<Record<StartupPhase, number>>;
  /** From the train message to the first loss point, in the worker. */
  totalMs: number;
  /** New pipelines the compile phase created (0: all were compiled before, by a probe or run). */
  pipelinesCompiled: number;
}

export class StartupTimer {
  private readonly startedAt: number;
  private lastMarkAt: number;
  private readonly phasesMs: Partial<Record<StartupPhase, number>> = {};
  pipelinesCompiled = 0;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.startedAt = now();
    this.lastMarkAt = this.startedAt;
  }

  /** Ends `phase`: it took the time since the previous mark (added up if marked twice). */
  mark(phase: StartupPhase): void {
    const at = this.now();
    this.phasesMs[phase] = (this.phasesMs[phase] ?? 0) + (at - this.lastMarkAt);
    this.lastMarkAt = at;
  }

  timings(): StartupTimings {
    return {
      phasesMs: { ...this.phasesMs },
      totalMs: this.lastMarkAt - this.startedAt,
      pipelinesCompiled: this.pipelinesCompiled,
    };
  }
}
