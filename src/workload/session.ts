import { mixPicker, readEachNode, registerKeys, uniqueValues } from './final.ts';
import type { Workload } from './workload.ts';

/**
 * `session`: each client session writes a register and reads it back, then
 * reads other keys — the pattern the session guarantees are about (read
 * your own write, never go back in time, see writes in the order they were
 * made). Reads go wherever the system's read mode sends them (a follower,
 * a rotating replica: the preset's `options`). Uses the system's register
 * client: same operations as `register`, without cas.
 *
 * A worker's ops cycle: write k (a unique value) → read k → read a random
 * key; the mix weighs how often the cycle starts with a write
 * (`write`) or skips straight to reads (`read`).
 */
export const sessionWorkload: Workload = {
  name: 'session',
  description: 'sessions that write then read, for read-your-writes, monotonic reads and writes, consistent prefix',
  ops: {
    write: '{f: write, key, value} → ok (the register client)',
    read: '{f: read, key} → ok with the value (null when unwritten; siblings as a sorted array)',
  },
  client: 'register',
  checkers: ['session', 'staleness', 'perf'],
  finals: ['none', 'read-each-node'],
  opSource(preset, rng, worker, concurrency) {
    const pickF = mixPicker(preset.mix, rng.next);
    const unique = uniqueValues(worker, concurrency);
    const keys = registerKeys(preset.keys);
    const queue: { f: string; key: string; value: unknown }[] = [];
    return {
      next() {
        if (queue.length === 0) {
          const key = rng.pick(keys);
          if (pickF() === 'write') queue.push({ f: 'write', key, value: unique() }, { f: 'read', key, value: null });
          else queue.push({ f: 'read', key, value: null });
          queue.push({ f: 'read', key: rng.pick(keys), value: null });
        }
        return queue.shift()!;
      },
      observe() {},
    };
  },
  finalPhase: (ctx) =>
    readEachNode(
      ctx,
      registerKeys(ctx.preset.keys).map((key) => ({ f: 'read', key, value: null })),
    ),
};
