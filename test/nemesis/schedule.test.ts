import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import { faultSchedule } from '../../src/nemesis/schedule.ts';
import type { NemesisPreset } from '../../src/nemesis/spec.ts';

const nemesis: NemesisPreset = {
  name: 'mixed',
  interval: 3000,
  duration: 2000,
  faults: [
    { kind: 'kill', target: 'leader' },
    { kind: 'pause', target: 'random' },
    { kind: 'partition', grudge: 'halves' },
  ],
};

describe('faultSchedule', () => {
  it('gives the same schedule for the same seed', () => {
    const a = faultSchedule(nemesis, createRandom(42), 60_000);
    const b = faultSchedule(nemesis, createRandom(42), 60_000);
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(5);
  });

  it('gives a different mix of faults for a different seed', () => {
    const kinds = (seed: number) =>
      faultSchedule(nemesis, createRandom(seed), 60_000)
        .map((s) => s.fault.kind)
        .join();
    const distinct = new Set([1, 2, 3, 4, 5].map(kinds));
    expect(distinct.size).toBeGreaterThan(1);
  });

  it('alternates quiet intervals and faults, and heals by the time limit', () => {
    const s = faultSchedule(nemesis, createRandom(1), 20_000);
    expect(s[0]!.startMs).toBe(3000);
    for (const [i, f] of s.entries()) {
      expect(f.stopMs - f.startMs).toBeLessThanOrEqual(2000);
      expect(f.stopMs).toBeLessThanOrEqual(20_000);
      if (i > 0) expect(f.startMs - s[i - 1]!.stopMs).toBe(3000);
    }
  });

  it('is empty without faults', () => {
    expect(faultSchedule({ ...nemesis, faults: [] }, createRandom(1), 60_000)).toEqual([]);
  });
});
