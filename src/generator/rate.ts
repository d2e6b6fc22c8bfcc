import { sleep } from '../base/time.ts';

/**
 * A global rate limit shared by every worker: slots are handed out at
 * 1/rate intervals, so the total stays at `rate` ops/s however many workers
 * wait. A worker that falls behind does not earn a burst.
 */
export interface RateLimiter {
  /** Resolves when the caller may issue its next op; early when the signal aborts. */
  acquire(signal: AbortSignal): Promise<void>;
}

export const createRateLimiter = (opsPerSecond: number): RateLimiter => {
  // Unlimited: still yield to the event loop once per op, or a client that answers from memory would
  // starve the timers (the time limit would never fire).
  if (opsPerSecond <= 0) return { acquire: () => new Promise<void>((resolve) => setImmediate(resolve)) };
  const gapMs = 1000 / opsPerSecond;
  let nextSlot = performance.now();
  return {
    async acquire(signal) {
      const now = performance.now();
      const slot = Math.max(nextSlot, now);
      nextSlot = slot + gapMs;
      if (slot > now) await sleep(slot - now, signal);
    },
  };
};
