/**
 * The controller's one clock. Monotonic (process.hrtime), so history times
 * never go backwards even when a nemesis skews node clocks or NTP steps the
 * host's wall clock.
 */
export interface Clock {
  /** Nanoseconds since the clock was created. */
  now(): number;
  /** Wall-clock ms when the clock was created, for reports only. */
  readonly startedAtMs: number;
}

export const createClock = (): Clock => {
  const origin = process.hrtime.bigint();
  return {
    now: () => Number(process.hrtime.bigint() - origin),
    startedAtMs: Date.now(),
  };
};

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export const NS_PER_MS = 1_000_000;
