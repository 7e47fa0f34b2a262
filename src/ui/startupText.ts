import type { StartupPhase, StartupTimings } from '../worker/startupTimer.ts';
import { STARTUP_PHASES } from '../worker/startupTimer.ts';

const PHASE_NAMES: Readonly<Record<StartupPhase, string>> = {
  probeWait: 'device timing finishing',
  backend: 'backend',
  data: 'data',
  kernelTrial: 'kernel trial',
  modelBuild: 'model',
  compile: 'shader compilation',
  preflight: 'trial step',
  firstStep: 'first batch',
};

/** Phases under this are left out of the sentence: they are noise beside the rest. */
const SHOWN_FROM_MS = 50;

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

/**
 * "First loss point 2.4 s after Train: shader compilation 1.2 s (14 pipelines) · first batch
 * 0.3 s · …", largest phases first; the worker's own timing (startupTimer.ts).
 */
export function startupText(timings: StartupTimings): string {
  const parts = STARTUP_PHASES.map((phase) => ({ phase, ms: timings.phasesMs[phase] ?? 0 }))
    .filter(({ ms }) => ms >= SHOWN_FROM_MS)
    .sort((a, b) => b.ms - a.ms)
    .map(({ phase, ms }) => {
      const compiled =
        phase === 'compile' && timings.pipelinesCompiled > 0
          ? ` (${timings.pipelinesCompiled} pipelines)`
          : '';
      return `${PHASE_NAMES[phase]} ${seconds(ms)}${compiled}`;
    });
  const head = `First loss point ${seconds(timings.totalMs)} after Train`;
  return parts.length === 0 ? `${head}.` : `${head}: ${parts.join(' · ')}.`;
}
