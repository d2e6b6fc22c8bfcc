import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeSorted, quantiles, quantilesOfSorted } from '../../src/checker/quantiles.ts';

describe('quantiles', () => {
  it('nearest rank over the values; null figures when there are none', () => {
    expect(quantiles([5, 1, 3, 2, 4])).toEqual({ count: 5, p50: 3, p90: 5, p99: 5, max: 5 });
    expect(quantiles([])).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null });
  });

  it('merging sorted parts gives the sorted whole, and the same quantiles (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 30 }), { maxLength: 5 }),
        (parts) => {
          const sortedParts = parts.map((p) => Float64Array.from(p).sort());
          const whole = Float64Array.from(parts.flat()).sort();
          expect(mergeSorted(sortedParts)).toEqual(whole);
          expect(quantilesOfSorted(mergeSorted(sortedParts))).toEqual(quantiles(parts.flat()));
        },
      ),
      { numRuns: 500 },
    );
  });
});
