import { describe, expect, it } from 'vitest';
import type { Settings } from '../config/settings.ts';
import { setConvKernels } from '../kernels/register.ts';
import { kernelPlan, setKernelPlan } from '../kernels/variants.ts';
import { openKernelTuningStore } from '../storage/kernelTuningStore.ts';
import type { FromWorker } from './protocol.ts';
import type { WorkerSession } from './workerSession.ts';
import {
  FakeTuner,
  lavapipe,
  loadFashionMnistBeforeAll,
  opShape,
  runEnded,
  sequence,
  sessionWithFakes,
  TINY,
  trainRequest,
} from '../../test/fixtures/workerSession.ts';

/** Tuning before the kernel trial, in WorkerSession on TF.js's CPU backend (the fixture). */

loadFashionMnistBeforeAll();

describe('worker session: tuning our kernels before the trial (kernels auto, an adapter that is not SwiftShader)', () => {
  const settings: Settings = { ...TINY, kernels: 'auto', epochs: 1 };
  const tuningMessages = (messages: readonly FromWorker[]) =>
    messages.filter((m) => m.type === 'kernelTuning' || m.type === 'kernelTuningDone');
  /** Ends a run when its trial starts: the tuning and the plan are what these tests look at. */
  const stopAtTrial = (message: FromWorker, session: WorkerSession) => {
    if (message.type === 'kernelTrialStarted') session.stop();
  };
  const run = async (fakes: ReturnType<typeof sessionWithFakes>, runId: number) => {
    try {
      await fakes.session.train(trainRequest(runId, { settings }));
    } finally {
      setConvKernels('stock');
    }
  };

  it('tunes each op shape, posting progress, plans and caches the choices; a later run of the shape tunes nothing', async () => {
    const tuner = new FakeTuner([opShape(1), opShape(2), opShape(3)]);
    const fakes = sessionWithFakes(undefined, lavapipe, { tuner });
    try {
      await run(fakes, 21);
      const types = sequence(fakes.messages);
      expect(types.slice(types.indexOf('dataReady'))).toEqual([
        'dataReady',
        'kernelTuning',
        'kernelTuningDone',
        'kernelTrialStarted',
        'kernelTrialDone',
        'runStarted',
        'startupTimed',
        'batchMetrics',
        'epochMetrics',
        'modelKept',
        'runEnded',
      ]);
      const progress = fakes.messages.flatMap((m) =>
        m.type === 'kernelTuning' ? [`${m.shapesDone}/${m.shapesTotal} ${m.current}`] : [],
      );
      expect(progress).toEqual(['0/3 null', '0/3 conv1', '1/3 conv2', '2/3 conv3']);
      const done = fakes.messages.find((m) => m.type === 'kernelTuningDone');
      expect(done).toEqual({
        type: 'kernelTuningDone',
        runId: 21,
        fromEarlierRun: false,
        tuning: {
          shapes: 3,
          tuned: 3,
          fromCache: 0,
          byVariant: { workgroup: 3 },
          complete: true,
          // No IndexedDB in Node: the choices live as long as the worker, and that is said.
          cacheProblem: expect.stringMatching(/kept only until the page closes/),
        },
      });
      expect(kernelPlan()).toEqual({
        conv1: 'workgroup',
        conv2: 'workgroup',
        conv3: 'workgroup',
      });
      expect(tuner.timed).toEqual(['conv1', 'conv2', 'conv3']);
      expect(runEnded(fakes.messages)).toMatchObject({ status: 'done' });

      // The same network on the same worker: the trial and the tuning are reused.
      fakes.messages.length = 0;
      await run(fakes, 22);
      expect(tuningMessages(fakes.messages)).toEqual([
        { ...done, runId: 22, fromEarlierRun: true },
      ]);
      expect(tuner.timed).toHaveLength(3);
      expect(runEnded(fakes.messages)).toMatchObject({ status: 'done' });
    } finally {
      setKernelPlan({});
    }
  }, 180_000);

  it('a later visit (a new worker, the same cache) times only the shapes not cached', async () => {
    const cache = openKernelTuningStore(undefined);
    const first = sessionWithFakes(stopAtTrial, lavapipe, {
      tuner: new FakeTuner([opShape(1), opShape(2)]),
      cache,
    });
    const later = sessionWithFakes(stopAtTrial, lavapipe, {
      tuner: new FakeTuner([opShape(1), opShape(2), opShape(3)]),
      cache,
    });
    const again = sessionWithFakes(stopAtTrial, lavapipe, {
      tuner: new FakeTuner([opShape(1), opShape(2), opShape(3)]),
      cache,
    });
    try {
      await run(first, 23);
      setKernelPlan({});
      await run(later, 24);
      expect(later.tuner.timed).toEqual(['conv3']);
      expect(later.messages.find((m) => m.type === 'kernelTuning')).toMatchObject({
        shapesDone: 0,
        shapesTotal: 1,
        fromCache: 2,
      });
      expect(later.messages.find((m) => m.type === 'kernelTuningDone')).toMatchObject({
        tuning: { shapes: 3, tuned: 1, fromCache: 2, byVariant: { workgroup: 3 } },
      });
      // Everything cached: no tuning at all, the plan applied, and said.
      setKernelPlan({});
      await run(again, 25);
      expect(again.tuner.timed).toEqual([]);
      expect(tuningMessages(again.messages)).toEqual([
        expect.objectContaining({
          type: 'kernelTuningDone',
          tuning: expect.objectContaining({ shapes: 3, tuned: 0, fromCache: 3 }),
        }),
      ]);
      expect(kernelPlan()).toEqual({
        conv1: 'workgroup',
        conv2: 'workgroup',
        conv3: 'workgroup',
      });
      expect(runEnded(again.messages)).toMatchObject({
        status: 'stopped',
        message: 'Stopped while timing the kernels, before the first batch.',
      });
    } finally {
      setKernelPlan({});
    }
  }, 120_000);

  it('stopped while tuning, ends before the first batch and keeps what was tuned in the cache', async () => {
    const tuner = new FakeTuner([opShape(1), opShape(2), opShape(3)]);
    const fakes = sessionWithFakes(
      (message, self) => {
        if (message.type === 'kernelTuning' && message.shapesDone === 1) self.stop();
      },
      lavapipe,
      { tuner },
    );
    try {
      await run(fakes, 26);
      expect(runEnded(fakes.messages)).toEqual({
        type: 'runEnded',
        runId: 26,
        status: 'stopped',
        message: 'Stopped while tuning the kernels, before the first batch.',
      });
      const types = fakes.messages.map((m) => m.type);
      expect(types).not.toContain('kernelTuningDone');
      expect(types).not.toContain('kernelTrialStarted');
      expect(types).not.toContain('runStarted');
      expect(tuner.timed).toEqual(['conv1', 'conv2']);
      const cached = (
        await fakes.cache.load(
          JSON.stringify(['mesa', '', '', lavapipe.description, 'Chrome 131', false]),
        )
      ).map((r) => r.shapeKey);
      expect(cached).toEqual(['conv1', 'conv2']);
    } finally {
      setKernelPlan({});
    }
  }, 120_000);

  it('kernels optimized tunes nothing: it uses the cached choices, if any', async () => {
    const cache = openKernelTuningStore(undefined);
    const shapes = [opShape(1), opShape(2)];
    const optimized: Settings = { ...settings, kernels: 'optimized' };
    const uncached = sessionWithFakes(stopAtTrial, lavapipe, {
      tuner: new FakeTuner(shapes),
      cache,
    });
    const tuning = sessionWithFakes(stopAtTrial, lavapipe, {
      tuner: new FakeTuner(shapes),
      cache,
    });
    const cached = sessionWithFakes(stopAtTrial, lavapipe, {
      tuner: new FakeTuner(shapes),
      cache,
    });
    try {
      await uncached.session.train(trainRequest(27, { settings: optimized }));
      expect(uncached.tuner.timed).toEqual([]);
      expect(tuningMessages(uncached.messages)).toEqual([]);
      expect(kernelPlan()).toEqual({});
      await run(tuning, 28);
      setKernelPlan({});
      await cached.session.train(trainRequest(29, { settings: optimized }));
      expect(cached.tuner.timed).toEqual([]);
      expect(tuningMessages(cached.messages)).toEqual([
        expect.objectContaining({
          type: 'kernelTuningDone',
          tuning: expect.objectContaining({ shapes: 2, tuned: 0, fromCache: 2 }),
        }),
      ]);
      expect(kernelPlan()).toEqual({ conv1: 'workgroup', conv2: 'workgroup' });
      expect(runEnded(cached.messages)).toMatchObject({
        status: 'stopped',
        message: 'Stopped while checking the kernels, before the first batch.',
      });
    } finally {
      setConvKernels('stock');
      setKernelPlan({});
    }
  }, 120_000);
});
