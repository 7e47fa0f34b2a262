import { describe, expect, it } from 'vitest';
import { RunControl } from './runControl.ts';

describe('run control', () => {
  it('resolves `stopped` at stop(), so a wait that cannot be interrupted can be abandoned', async () => {
    const control = new RunControl();
    const never = new Promise<string>(() => undefined);
    const outcome = Promise.race([never, control.stopped.then(() => 'stopped')]);
    control.stop();
    await expect(outcome).resolves.toBe('stopped');
  });

  it('resolves `stopped` when the run fails too', async () => {
    const control = new RunControl();
    control.fail('GPU lost');
    await expect(control.stopped).resolves.toBeUndefined();
    expect(control.failure).toBe('GPU lost');
  });
});
