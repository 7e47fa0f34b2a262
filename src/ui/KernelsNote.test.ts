import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { KernelTrialResult } from '../model/kernelDecision.ts';
import { KernelsNote } from './KernelsNote.tsx';
import { kernelTrialText, kernelTuningText } from './kernelTrialText.ts';
import type { KernelTuningSummary } from '../worker/protocol.ts';

const result = (overrides: Partial<KernelTrialResult>): KernelTrialResult => ({
  stockMsPerStep: 123.4,
  optimizedMsPerStep: 41.2,
  timedStepsPerKernel: 3,
  maxRelativeDifference: 2.1e-6,
  mostDifferent: 'output',
  choice: 'optimized',
  reason: 'faster',
  ...overrides,
});

describe('KernelsNote', () => {
  it('says that both kernel sets are being timed', () => {
    expect(kernelTrialText({ status: 'timing', stepsPerKernel: 4 })).toMatch(
      /^Timing TF.js’s kernels and this project’s on this GPU, 4 steps each/,
    );
  });

  it('gives both times, the choice and the agreement', () => {
    expect(kernelTrialText({ status: 'done', result: result({}), fromEarlierRun: false })).toBe(
      'Timed on this GPU: a step (forward and backward) took 41 ms with this project’s kernels ' +
        'and 123 ms with TF.js’s, so this run uses ours (3.0× faster); both agree to 2e-6.',
    );
    const slower = result({ optimizedMsPerStep: 150, choice: 'stock', reason: 'not faster' });
    expect(kernelTrialText({ status: 'done', result: slower, fromEarlierRun: true })).toBe(
      'Timed on this GPU before an earlier run of this shape: a step (forward and backward) took ' +
        '150 ms with this project’s kernels and 123 ms with TF.js’s, so this run uses TF.js’s.',
    );
  });

  it('says that ours are being checked, and that they agreed (kernels optimized)', () => {
    expect(kernelTrialText({ status: 'checking' })).toMatch(
      /^Checking that this project’s kernels compute what TF.js’s do on this GPU, one step each/,
    );
    const checked = result({
      stockMsPerStep: null,
      optimizedMsPerStep: null,
      timedStepsPerKernel: 0,
      reason: 'agree',
    });
    expect(kernelTrialText({ status: 'done', result: checked, fromEarlierRun: false })).toBe(
      'Checked on this GPU: this project’s kernels compute the same output and gradients as ' +
        'TF.js’s (both agree to 2e-6), so this run uses them, as Kernels asks.',
    );
    const html = renderToStaticMarkup(
      createElement(KernelsNote, { trial: { status: 'checking' }, tuning: null }),
    );
    expect(html).toContain('data-reason="checking"');
  });

  it('says when ours computed something else and were not used', () => {
    const wrong = result({
      maxRelativeDifference: 0.31,
      mostDifferent: 'conv2/kernel',
      choice: 'stock',
      reason: 'disagree',
    });
    expect(kernelTrialText({ status: 'done', result: wrong, fromEarlierRun: false })).toMatch(
      /computed a different output or gradients from TF.js’s \(relative difference 0\.31 in conv2\/kernel’s gradient; allowed 0\.001\), so this run uses TF.js’s/,
    );
    const html = renderToStaticMarkup(
      createElement(KernelsNote, {
        trial: { status: 'done', result: wrong, fromEarlierRun: false },
        tuning: null,
      }),
    );
    expect(html).toContain('data-reason="disagree"');
    // Kernels optimized, checked only: refused all the same, with where they differed.
    const refused = result({
      stockMsPerStep: null,
      optimizedMsPerStep: null,
      timedStepsPerKernel: 0,
      maxRelativeDifference: NaN,
      mostDifferent: 'output',
      choice: 'stock',
      reason: 'disagree',
    });
    expect(kernelTrialText({ status: 'done', result: refused, fromEarlierRun: false })).toBe(
      'Checked on this GPU: this project’s kernels computed a different output or gradients from ' +
        'TF.js’s (relative difference NaN in the network’s output; allowed 0.001), so this run ' +
        'uses TF.js’s instead. Please report this with your GPU’s name.',
    );
    expect(renderToStaticMarkup(createElement(KernelsNote, { trial: null, tuning: null }))).toBe(
      '',
    );
  });

  describe('tuning', () => {
    const summary = (overrides: Partial<KernelTuningSummary>): KernelTuningSummary => ({
      shapes: 14,
      tuned: 14,
      fromCache: 0,
      byVariant: { workgroup: 9, register: 5 },
      complete: true,
      cacheProblem: null,
      ...overrides,
    });

    it('says how far tuning is, and which shape it times', () => {
      expect(
        kernelTuningText({
          status: 'tuning',
          shapesDone: 3,
          shapesTotal: 14,
          current: 'conv2 dW',
          fromCache: 0,
        }),
      ).toBe(
        'Tuning kernels for this GPU: 3 of 14 shapes (now conv2 dW), before the first batch ' +
          '(once per GPU and browser version)…',
      );
      expect(
        kernelTuningText({
          status: 'tuning',
          shapesDone: 0,
          shapesTotal: 1,
          current: null,
          fromCache: 13,
        }),
      ).toMatch(/^Tuning kernels for this GPU: 0 of 1 shape; 13 more chosen earlier,/);
      const html = renderToStaticMarkup(
        createElement(KernelsNote, {
          trial: null,
          tuning: { status: 'tuning', shapesDone: 0, shapesTotal: 2, current: null, fromCache: 0 },
        }),
      );
      expect(html).toContain('data-status="tuning"');
      expect(html).not.toContain('kernel-trial');
    });

    it('says what the shapes use and where the choices came from', () => {
      expect(kernelTuningText({ status: 'done', tuning: summary({}), fromEarlierRun: false })).toBe(
        'Tuned for this GPU: 9 of 14 shapes use the workgroup-tiled kernels, 5 the ' +
          'register-tiled ones.',
      );
      const cached = summary({ tuned: 0, fromCache: 14, byVariant: { workgroup: 14 } });
      expect(kernelTuningText({ status: 'done', tuning: cached, fromEarlierRun: false })).toBe(
        'Tuned for this GPU: all 14 shapes use the workgroup-tiled kernels. Chosen earlier on ' +
          'this GPU and kept in this browser; nothing was timed now.',
      );
      expect(
        kernelTuningText({
          status: 'done',
          tuning: summary({ tuned: 4, fromCache: 10 }),
          fromEarlierRun: true,
        }),
      ).toBe(
        'Tuned for this GPU before an earlier run of this shape: 9 of 14 shapes use the ' +
          'workgroup-tiled kernels, 5 the register-tiled ones. 4 timed now, 10 chosen earlier.',
      );
      const html = renderToStaticMarkup(
        createElement(KernelsNote, {
          trial: null,
          tuning: { status: 'done', tuning: cached, fromEarlierRun: false },
        }),
      );
      expect(html).toContain('data-status="cached"');
    });

    it('says when the time ran out, and when the choices are not kept', () => {
      const short = summary({
        tuned: 6,
        complete: false,
        byVariant: { workgroup: 4, register: 10 },
        cacheProblem: 'The kernel choices are kept only until the page closes.',
      });
      expect(kernelTuningText({ status: 'done', tuning: short, fromEarlierRun: false })).toBe(
        'Tuned for this GPU: 10 of 14 shapes use the register-tiled kernels, 4 the ' +
          'workgroup-tiled ones. The tuning time ran out: 8 shapes use the register-tiled ' +
          'kernels this time and are tuned on a later run. The kernel choices are kept only ' +
          'until the page closes.',
      );
    });
  });
});
