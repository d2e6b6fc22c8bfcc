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

/**
 * A signal that aborts when `parent` does or after `ms`, and a `clear` to
 * release the timer and listener. Used instead of
 * AbortSignal.any([parent, AbortSignal.timeout(ms)]): on Node 20 that
 * combination can be garbage-collected before the timeout fires.
 */
export const deadlineSignal = (parent: AbortSignal, ms: number): { signal: AbortSignal; clear: () => void } => {
  const controller = new AbortController();
  const abort = () => controller.abort(parent.reason);
  if (parent.aborted) abort();
  parent.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(() => controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms);
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', abort);
    },
  };
};
