import { describe, expect, it } from 'vitest';
import { HANG_TIMEOUT_MS, hangDeadlineMs } from './client.ts';

describe('the heartbeat’s hang deadline', () => {
  it('is HANG_TIMEOUT_MS after the first unanswered ping when no work was announced', () => {
    expect(hangDeadlineMs(10_000, null)).toBe(10_000 + HANG_TIMEOUT_MS);
  });

  it('waits for announced synchronous work to end, then HANG_TIMEOUT_MS more', () => {
    // A five-minute CPU step announced at t = 1 s; the first ping after it goes unanswered at 5 s.
    expect(hangDeadlineMs(5_000, 1_000 + 300_000)).toBe(301_000 + HANG_TIMEOUT_MS);
  });

  it('is not shortened by announced work that ended before the silence began', () => {
    expect(hangDeadlineMs(60_000, 20_000)).toBe(60_000 + HANG_TIMEOUT_MS);
  });
});
