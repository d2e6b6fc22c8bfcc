import type { Random } from '../base/random.ts';
import type { OpSource } from '../generator/source.ts';
import type { WorkloadPreset } from './spec.ts';

/**
 * Operation sources: what each worker asks next. The seed fixes the mix
 * (which function, which key) for each worker; written values are unique
 * across the run without coordination (worker w of c writes w, w + c,
 * w + 2c, ...), so a value read identifies the write that produced it.
 */
export const registerKeys = (count: number): string[] => Array.from({ length: count }, (_, i) => `k${i}`);

export const createOpSource = (
  workload: WorkloadPreset,
  rng: Random,
  worker: number,
  concurrency: number,
): OpSource => {
  const entries = Object.entries(workload.mix).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  const pickF = (): string => {
    let r = rng.next() * total;
    for (const [f, w] of entries) {
      r -= w;
      if (r < 0) return f;
    }
    return entries[entries.length - 1]![0];
  };
  let seq = 0;
  const unique = (): number => {
    seq += 1;
    return seq * concurrency + worker;
  };
  const keys = registerKeys(workload.keys);
  // Last value this worker saw per key: a cas from it succeeds unless someone wrote since.
  const seen = new Map<string, unknown>();

  switch (workload.client) {
    case 'register':
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
    case 'set':
      return {
        next() {
          const f = pickF();
          if (f === 'add') return { f, value: unique() };
          return { f: 'read', value: null };
        },
        observe() {},
      };
    case 'counter':
      return {
        // Small positive deltas: a lost increment shows as a final value below the acknowledged sum.
        next: () => (pickF() === 'add' ? { f: 'add', value: 1 + rng.int(5) } : { f: 'read', value: null }),
        observe() {},
      };
  }
};
