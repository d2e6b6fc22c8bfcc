import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import { createOpSource } from '../../src/workload/ops.ts';
import type { WorkloadPreset } from '../../src/workload/spec.ts';

const register: WorkloadPreset = {
  name: 'register',
  client: 'register',
  keys: 3,
  mix: { read: 2, write: 1, cas: 1 },
  checkers: ['linearizable'],
  final: 'none',
  options: {},
};
const set: WorkloadPreset = { ...register, name: 'set', client: 'set', mix: { add: 1 }, checkers: ['set'] };

describe('createOpSource', () => {
  it('draws the same operations for the same seed and worker', () => {
    const draw = () => {
      const src = createOpSource(register, createRandom(9).fork('worker-1'), 1, 4);
      return Array.from({ length: 50 }, () => src.next());
    };
    expect(draw()).toEqual(draw());
  });

  it('writes values that are unique across workers', () => {
    const values = new Set<unknown>();
    let count = 0;
    for (let w = 0; w < 4; w++) {
      const src = createOpSource(set, createRandom(3).fork(`worker-${w}`), w, 4);
      for (let i = 0; i < 100; i++) {
        values.add(src.next().value);
        count++;
      }
    }
    expect(values.size).toBe(count);
  });

  it('follows the mix weights', () => {
    const src = createOpSource(register, createRandom(5), 0, 1);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 4000; i++) {
      const op = src.next();
      counts[op.f] = (counts[op.f] ?? 0) + 1;
      expect(['k0', 'k1', 'k2']).toContain(op.key);
    }
    expect(counts.read! / 4000).toBeGreaterThan(0.45);
    expect(counts.read! / 4000).toBeLessThan(0.55);
    expect(counts.cas! / 4000).toBeGreaterThan(0.2);
  });

  it('bases a cas on the last value it observed for the key', () => {
    const src = createOpSource({ ...register, keys: 1, mix: { cas: 1 } }, createRandom(1), 0, 1);
    const first = src.next();
    expect(first.value).toEqual([null, expect.any(Number)]);
    src.observe({ f: 'read', key: 'k0', value: null }, 41);
    expect((src.next().value as unknown[])[0]).toBe(41);
  });
});
