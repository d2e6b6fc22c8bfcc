import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerBound, lowerBoundFrom, upperBound } from '../../src/checker/sorted.ts';

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
});
