import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BLOCKING_TIME_FACTOR,
  BlockingWork,
  CPU_FLOPS_PER_SECOND,
  expectedBlockingMs,
  forwardFlops,
  trainingFlops,
} from './blockingWork.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/** performance.now() under the test's control; `work` advances it as if it computed. */
function fakeClock() {
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  return { advance: (ms: number) => (now += ms) };
}

describe('announced synchronous work', () => {
  it('counts a training step as three forward passes, two FLOPs a multiply-add', () => {
    expect(forwardFlops(1e6, 4)).toBe(8e6);
    expect(trainingFlops(1e6, 4)).toBe(24e6);
  });

  it('expects the conservative CPU rate until a rate is measured, times the factor', () => {
    expect(expectedBlockingMs(CPU_FLOPS_PER_SECOND, null)).toBe(1000 * BLOCKING_TIME_FACTOR);
    expect(expectedBlockingMs(5e6, 1e6)).toBe(5000 * BLOCKING_TIME_FACTOR);
  });

  it('announces before the work, then uses the slowest rate measured so far', () => {
    const clock = fakeClock();
    const announced: number[] = [];
    const blocking = new BlockingWork(1e6, (ms) => announced.push(ms));
    // 6 MFLOP a one-image step. The first, before any measurement, at the conservative rate.
    const order: string[] = [];
    const result = blocking.training(1, () => {
      order.push(`work after ${announced.length} announcement`);
      clock.advance(3000); // 2 MFLOP/s
      return 'step';
    });
    expect(result).toBe('step');
    expect(order).toEqual(['work after 1 announcement']);
    expect(announced).toEqual([expectedBlockingMs(6e6, null)]);
    blocking.training(1, () => clock.advance(1000)); // 6 MFLOP/s: faster, not taken
    blocking.forward(1, () => clock.advance(1000)); // 2 MFLOP at 2 MFLOP/s
    expect(announced.slice(1)).toEqual([
      expectedBlockingMs(6e6, 2e6), // 9 s
      expectedBlockingMs(2e6, 2e6), // 3 s
    ]);
  });

  it('only runs the work when nothing is to be announced (GPU backends)', () => {
    const blocking = new BlockingWork(1e6, null);
    expect(blocking.training(8, () => 42)).toBe(42);
  });
});
