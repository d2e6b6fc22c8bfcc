import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

/**
 * The memory a check may use. The search's large tables (cache, memo) are
 * typed arrays outside the JavaScript heap, and model states are objects in
 * it, so both are watched: the process's resident memory against
 * `maxMemoryBytes`, and the heap against V8's own limit (--max-old-space-size),
 * which would otherwise end the process. Past either, the check stops with
 * `unknown` (reason "memory") instead of crashing.
 */

let defaultBudget: number | undefined;

/** Default budget: half the machine's memory, at most 4 GiB. */
export const defaultMemoryBudget = (): number => {
  defaultBudget ??= Math.min(4 * 1024 ** 3, Math.floor(totalmem() / 2));
  return defaultBudget;
};

/** Past this share of V8's heap limit, a check stops (a full heap is a crash, not an exception). */
const HEAP_SHARE = 0.85;

/**
 * Looks at most this often (ms). A look reads /proc (tens of µs in a process
 * of a few GB): every 2 ms it was 3% of a million-operation check, and the
 * search cannot outgrow a budget of gigabytes in 20 ms.
 */
const EVERY_MS = 20;

/** A check's memory watch; `exceeded()` is cheap enough to call between slices of the search. */
export interface MemoryWatch {
  /** `now`: performance.now(), which the caller has at hand. */
  exceeded(now: number): boolean;
}

let heapLimit: number | undefined;

export const memoryWatch = (maxBytes: number): MemoryWatch => {
  heapLimit ??= getHeapStatistics().heap_size_limit * HEAP_SHARE;
  const limit = heapLimit;
  // The first look after EVERY_MS: most checks are over by then.
  let last = performance.now();
  let over = false;
  return {
    exceeded: (now: number) => {
      if (over || now - last < EVERY_MS) return over;
      last = now;
      over = process.memoryUsage.rss() > maxBytes || getHeapStatistics().used_heap_size > limit;
      return over;
    },
  };
};
