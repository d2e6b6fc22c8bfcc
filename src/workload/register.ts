import { sleep } from '../base/time.ts';
import { mixPicker, readEachNode, registerKeys, uniqueValues, writeThroughEachNode } from './final.ts';
import type { Workload } from './workload.ts';

/**
 * `register`: reads, writes and compare-and-sets over independent
 * registers k0..k{keys-1}. Written values are unique, so a value read
 * names the write that produced it (linearizability, staleness and
 * conflicts checkers rely on that).
 */
export const registerWorkload: Workload = {
  name: 'register',
  description: 'reads, writes and compare-and-sets over independent registers',
  ops: {
    read: '{f: read, key} → ok with the value (null when unwritten; under version vectors the sorted siblings)',
    write: '{f: write, key, value} → ok',
    cas: '{f: cas, key, value: [from, to]} → ok when the value was `from`, fail when it was not',
  },
  checkers: ['linearizable', 'staleness', 'perf'],
  model: 'cas-register',
  finals: ['none', 'read-each-node', 'write-then-read-each-node'],
  opSource(preset, rng, worker, concurrency) {
    const pickF = mixPicker(preset.mix, rng.next);
    const unique = uniqueValues(worker, concurrency);
    const keys = registerKeys(preset.keys);
    // Last value this worker saw per key: a cas from it succeeds unless someone wrote since.
    const seen = new Map<string, unknown>();
    return {
      next() {
        const f = pickF();
        const key = rng.pick(keys);
        if (f === 'write') return { f, key, value: unique() };
        if (f === 'cas') return { f, key, value: [seen.get(key) ?? null, unique()] };
        return { f: 'read', key, value: null };
      },
      observe(op, value) {
        if (op.key === undefined) return;
        if (op.f === 'read') seen.set(op.key, value);
        else if (op.f === 'write') seen.set(op.key, op.value);
        else if (op.f === 'cas' && Array.isArray(op.value)) seen.set(op.key, op.value[1]);
      },
    };
  },
  async finalPhase(ctx) {
    const keys = registerKeys(ctx.preset.keys);
    if (ctx.preset.final === 'write-then-read-each-node') {
      await writeThroughEachNode(ctx, keys);
      await sleep(ctx.quiesceMs, ctx.signal);
    }
    await readEachNode(
      ctx,
      keys.map((key) => ({ f: 'read', key, value: null })),
    );
  },
};
