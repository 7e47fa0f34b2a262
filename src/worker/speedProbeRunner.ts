import { DEFAULT_SETTINGS, type BackendName, type Settings } from '../config/settings.ts';
import { QUICK_RUNGS } from '../model/deviceFit.ts';
import { timingOf } from '../model/speed.ts';
import { probeStepTime, warmValidationShaders } from '../model/speedProbe.ts';
import { applyKernels } from './backend.ts';
import type { BackendReport, FromWorker } from './protocol.ts';

/**
 * The worker's speed probe (speedProbe.ts): as soon as a backend is up and no run wants the
 * worker, time a few steps of Quick's smallest network, so that the page can estimate any run
 * before Train. On a fast GPU (a step under PROBE_SECOND_SHAPE_BELOW_MS) the next rung is timed
 * too, which tells how step time grows with size there. A run or model task asks the probe to
 * end after its current step and waits for it; the shaders it compiled are the ones a small run
 * needs anyway.
 */

const PROBE_SECOND_SHAPE_BELOW_MS = 250;
/** Source images of the probe's synthetic batch: Fashion-MNIST's 28×28. */
const PROBE_SOURCE_IMAGE_SIZE = 28;

export class SpeedProbeRunner {
  private running: Promise<void> = Promise.resolve();
  private stopRequested = false;
  /** Backends already probed by this worker: each is timed once. */
  private readonly probedBackends = new Set<BackendName>();

  constructor(private readonly post: (message: FromWorker) => void) {}

  /** Starts timing `report`'s backend unless it was timed already. */
  start(report: BackendReport): void {
    if (this.probedBackends.has(report.backend)) return;
    this.probedBackends.add(report.backend);
    this.stopRequested = false;
    const shapes = QUICK_RUNGS.slice(0, 2).map((scale): Settings => ({
      ...DEFAULT_SETTINGS,
      ...scale,
      backend: report.backend,
    }));
    this.running = this.probe(report, shapes).then(
      (measured) => {
        // Stopped before its first timing (Train clicked at once): the page still knows nothing
        // of this device, so the probe runs again when the worker is free (startWhenIdle).
        if (!measured) this.probedBackends.delete(report.backend);
      },
      (error: unknown) => {
        // Only the estimate is lost; a run will report the same problem if it has it.
        const reason = error instanceof Error ? error.message : String(error);
        this.post({ type: 'workerError', message: `Timing this device failed: ${reason}` });
      },
    );
  }

  /** Ends the probe after its current step; resolves when it has. */
  stop(): Promise<void> {
    this.stopRequested = true;
    return this.running;
  }

  /** True when at least one shape was timed (and posted). */
  private async probe(report: BackendReport, shapes: readonly Settings[]): Promise<boolean> {
    let measured = false;
    for (const [index, settings] of shapes.entries()) {
      applyKernels(settings.kernels, report, null);
      const result = await probeStepTime(settings, {
        sourceImageSize: PROBE_SOURCE_IMAGE_SIZE,
        // One timed step on the CPU backend, where each one blocks the worker.
        timedSteps: report.backend === 'cpu' ? 1 : undefined,
        shouldStop: () => this.stopRequested,
      });
      if (result === null) return measured;
      measured = true;
      this.post({
        type: 'speedMeasured',
        timing: timingOf(settings, result.msPerStep, 'probe'),
        firstStepExtraMs: Math.max(0, result.warmupMs - result.msPerStep),
      });
      // Validation's own shaders for the smallest shape (Quick's and the exercises'), so that
      // a run of it does not compile them at its first preflight or validation. Training's
      // shaders the timed steps compiled already.
      if (index === 0 && report.backend !== 'cpu' && !this.stopRequested) {
        await warmValidationShaders(settings, PROBE_SOURCE_IMAGE_SIZE);
      }
      const fast = report.adapter?.isSoftware === false && report.backend === 'webgpu';
      if (index === 0 && !(fast && result.msPerStep < PROBE_SECOND_SHAPE_BELOW_MS)) break;
    }
    return measured;
  }
}
