import { describe, expect, it } from 'vitest';
import { cancelTask, scheduleTask, TASK_BUDGET_MS } from './taskQueue.ts';

/** Resolves after the queue's pending macrotasks (timeouts run in order). */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Spins for `ms` milliseconds, standing in for a job that costs that much. */
function busy(ms: number): void {
  const start = performance.now();
  while (performance.now() - start < ms) {
    // the cost of a chart redraw
  }
}

describe('taskQueue', () => {
  it('runs nothing synchronously and a replaced job only once, in its first place', async () => {
    const ran: string[] = [];
    const a = {};
    const b = {};
    scheduleTask(a, () => ran.push('a1'));
    scheduleTask(b, () => ran.push('b'));
    scheduleTask(a, () => ran.push('a2'));
    expect(ran).toEqual([]);
    await nextTask();
    expect(ran).toEqual(['a2', 'b']);
  });

  it('stops taking jobs in a task after the budget and goes on in the next', async () => {
    const ran: number[] = [];
    for (let i = 0; i < 3; i++) {
      scheduleTask({}, () => {
        busy(TASK_BUDGET_MS);
        ran.push(i);
      });
    }
    await nextTask();
    expect(ran).toEqual([0]);
    await nextTask();
    await nextTask();
    expect(ran).toEqual([0, 1, 2]);
  });

  it('drops a cancelled job, and a job that throws does not stall the others', async () => {
    const ran: string[] = [];
    const cancelled = {};
    scheduleTask({}, () => {
      throw new Error('a broken job');
    });
    scheduleTask(cancelled, () => ran.push('cancelled'));
    scheduleTask({}, () => ran.push('after'));
    cancelTask(cancelled);
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onError);
    try {
      await nextTask();
      await nextTask();
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(ran).toEqual(['after']);
    expect(errors).toHaveLength(1);
  });
});
