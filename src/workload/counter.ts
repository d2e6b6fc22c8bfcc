import { mixPicker, readEachNode } from './final.ts';
import type { Workload } from './workload.ts';

/** `counter`: increments of 1–5 through every node, occasional reads; after healing, every node's value. */
export const counterWorkload: Workload = {
  name: 'counter',
  description: 'increments through every node; the final value must count every acknowledged one',
  ops: {
    add: '{f: add, value: delta} → ok once the counter moved by delta (an integer)',
    read: "{f: read} → ok with the counter's value",
  },
  checkers: ['counter', 'perf'],
  finals: ['read-each-node', 'none'],
  opSource(preset, rng) {
    const pickF = mixPicker(preset.mix, rng.next);
    return {
      // Small positive deltas: a lost increment shows as a final value below the acknowledged sum.
      next: () => (pickF() === 'add' ? { f: 'add', value: 1 + rng.int(5) } : { f: 'read', value: null }),
      observe() {},
    };
  },
  finalPhase: (ctx) => readEachNode(ctx, [{ f: 'read', value: null }]),
};
