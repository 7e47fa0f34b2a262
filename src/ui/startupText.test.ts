import { describe, expect, it } from 'vitest';
import { startupText } from './startupText.ts';
import { StartupTimer } from '../worker/startupTimer.ts';

describe('startupText', () => {
  it('names the phases largest first, with the pipelines compiled, and leaves out tiny ones', () => {
    const text = startupText({
      phasesMs: { probeWait: 10, data: 400, compile: 1200, preflight: 480, firstStep: 300 },
      totalMs: 2400,
      pipelinesCompiled: 14,
    });
    expect(text).toBe(
      'First loss point 2.4 s after Train: shader compilation 1.2 s (14 pipelines) · ' +
        'trial step 0.5 s · data 0.4 s · first batch 0.3 s.',
    );
  });

  it('says nothing of compilation when every pipeline existed already', () => {
    const text = startupText({
      phasesMs: { compile: 60, firstStep: 320 },
      totalMs: 450,
      pipelinesCompiled: 0,
    });
    expect(text).toBe(
      'First loss point 0.5 s after Train: first batch 0.3 s · shader compilation 0.1 s.',
    );
  });
});

describe('StartupTimer', () => {
  it('gives each phase the time since the previous mark, adds repeated marks, totals them', () => {
    let now = 1000;
    const timer = new StartupTimer(() => now);
    now += 200;
    timer.mark('probeWait');
    now += 50;
    timer.mark('data');
    now += 25;
    timer.mark('data');
    now += 700;
    timer.mark('firstStep');
    timer.pipelinesCompiled = 3;
    expect(timer.timings()).toEqual({
      phasesMs: { probeWait: 200, data: 75, firstStep: 700 },
      totalMs: 975,
      pipelinesCompiled: 3,
    });
  });
});
