import { describe, expect, it } from 'vitest';
import { deriveSeed, repetitionSeeds } from '../../src/jobs/seeds.ts';

describe('derived seeds', () => {
  it('are stable, 31-bit, and differ by label and by base', () => {
    expect(deriveSeed(1, 'set', 'leader-kill', 0)).toBe(deriveSeed(1, 'set', 'leader-kill', 0));
    const seeds = new Set<number>();
    for (const base of [1, 2])
      for (const w of ['set', 'register']) for (let rep = 0; rep < 50; rep++) seeds.add(deriveSeed(base, w, rep));
    expect(seeds.size).toBe(200);
    for (const s of seeds) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(2 ** 31);
    }
  });

  it('give every repetition its own seed, the same list each time', () => {
    const a = repetitionSeeds(7, 'compare', 5);
    expect(a).toHaveLength(5);
    expect(new Set(a).size).toBe(5);
    expect(repetitionSeeds(7, 'compare', 5)).toEqual(a);
    expect(repetitionSeeds(7, 'compare', 3)).toEqual(a.slice(0, 3));
    expect(repetitionSeeds(8, 'compare', 5)).not.toEqual(a);
  });
});
