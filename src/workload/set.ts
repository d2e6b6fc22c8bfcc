import { mixPicker, readEachNode, uniqueValues } from './final.ts';
import type { Workload } from './workload.ts';

/** `set`: adds of unique integers to one set, occasional reads; after healing, every node's set. */
export const setWorkload: Workload = {
  name: 'set',
  description: 'adds of unique integers to one set; lost acknowledged adds',
  ops: {
    add: '{f: add, value: n} → ok once n is in the set',
    read: '{f: read} → ok with the elements (an array of integers)',
  },
  checkers: ['set', 'perf'],
  finals: ['read-each-node', 'none'],
  opSource(preset, rng, worker, concurrency) {
    const pickF = mixPicker(preset.mix, rng.next);
    const unique = uniqueValues(worker, concurrency);
    return {
      next: () => (pickF() === 'add' ? { f: 'add', value: unique() } : { f: 'read', value: null }),
      observe() {},
    };
  },
  finalPhase: (ctx) => readEachNode(ctx, [{ f: 'read', value: null }]),
};
