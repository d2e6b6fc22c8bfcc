/**
 * The node's one source of wall-clock time. Every timestamp the node takes
 * (last-write-wins stamps, lease expiry in wall terms, log lines meant for
 * comparison) goes through `now()`, so the controller can skew a node's clock
 * with `POST /admin/clock` — no root, no libfaketime.
 *
 * Timers (elections, heartbeats) use the monotonic clock instead and are not
 * skewed: a skewed node keeps electing on time, as with a real NTP step.
 */

export interface NodeClock {
  /** Wall-clock ms, with the offset and drift applied. */
  now(): number;
  /** Set the offset (ms) and drift (parts per million, from now on). */
  set(offsetMs: number, driftPpm?: number): void;
  readonly offsetMs: number;
  readonly driftPpm: number;
}

export const createNodeClock = (realNow: () => number = Date.now): NodeClock => {
  let offsetMs = 0;
  let driftPpm = 0;
  let driftFrom = realNow();
  return {
    now() {
      const real = realNow();
      return real + offsetMs + ((real - driftFrom) * driftPpm) / 1e6;
    },
    set(offset, drift = 0) {
      const real = realNow();
      offsetMs = offset;
      driftPpm = drift;
      driftFrom = real;
    },
    get offsetMs() {
      return offsetMs;
    },
    get driftPpm() {
      return driftPpm;
    },
  };
};

/** Monotonic ms for timers and timeouts; never skewed. */
export const monotonicMs = (): number => performance.now();
