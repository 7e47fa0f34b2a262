import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendReport, FromWorker } from './protocol.ts';
import { SpeedProbeRunner } from './speedProbeRunner.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CPU: BackendReport = {
  requested: 'cpu',
  backend: 'cpu',
  adapter: null,
  fallbackReason: null,
};

describe('SpeedProbeRunner', () => {
  it('times the device again when a run stopped it before its first timing, and only once', async () => {
    const posted: FromWorker[] = [];
    let onTiming = (): void => {};
    const runner = new SpeedProbeRunner((message) => {
      posted.push(message);
      if (message.type === 'speedMeasured') onTiming();
    });
    const timings = () => posted.filter((message) => message.type === 'speedMeasured');

    // Train clicked at once: the probe ends before its first step, having timed nothing.
    runner.start(CPU);
    await runner.stop();
    expect(timings()).toHaveLength(0);

    // The worker is free again: the probe runs, or Quick would wait for a timing forever.
    const timed = new Promise<void>((resolve) => {
      onTiming = resolve;
    });
    runner.start(CPU);
    await timed;
    await runner.stop();
    expect(timings()).toHaveLength(1);

    // Timed once: a later start does nothing.
    runner.start(CPU);
    await runner.stop();
    expect(timings()).toHaveLength(1);
    expect(posted.filter((message) => message.type === 'workerError')).toEqual([]);
  }, 120_000);
});
