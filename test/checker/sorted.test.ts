import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerBound, lowerBoundFrom, topK, upperBound } from '../../src/checker/sorted.ts';

describe('sorted searches', () => {
  it('lowerBound and upperBound count entries < x and <= x', () => {
    const xs = [1, 2, 2, 2, 5];
    expect([0, 1, 2, 3, 5, 6].map((x) => lowerBound(xs, x))).toEqual([0, 0, 1, 4, 4, 5]);
    expect([0, 1, 2, 3, 5, 6].map((x) => upperBound(xs, x))).toEqual([0, 1, 4, 4, 5, 5]);
  });

  it('lowerBoundFrom gives lowerBound from any hint, in range or not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 }),
        fc.integer({ min: -1, max: 51 }),
        fc.integer({ min: -5, max: 70 }),
        (raw, x, hint) => {
          const xs = Float64Array.from(raw).sort();
          expect(lowerBoundFrom(xs, x, hint)).toBe(lowerBound(xs, x));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('topK gives the first k of a sort, for any k, ties broken by the comparator', () => {
    type Item = { v: number; i: number };
    const byVDescThenI = (a: Item, b: Item) => b.v - a.v || a.i - b.i;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 80 }), fc.nat(90), (vs, k) => {
        const items = vs.map((v, i) => ({ v, i }));
        expect(topK(items, k, byVDescThenI)).toEqual([...items].sort(byVDescThenI).slice(0, k));
      }),
      { numRuns: 2000 },
    );
    // Increasing values, the heap's worst case: every item enters it.
    const rising = Array.from({ length: 5000 }, (_, i) => ({ v: i, i }));
    expect(topK(rising, 3, byVDescThenI).map((x) => x.v)).toEqual([4999, 4998, 4997]);
  });
});
