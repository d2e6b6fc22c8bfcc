import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import {
  aboveZero,
  bootstrapMeanCi,
  estimateMean,
  mean,
  pairedDifference,
  quantileSorted,
} from '../../src/jobs/stats.ts';

describe('bootstrap intervals', () => {
  it('gives nothing for no values and a point for one or for equal values', () => {
    expect(bootstrapMeanCi([])).toBeNull();
    expect(bootstrapMeanCi([7])).toEqual([7, 7]);
    expect(bootstrapMeanCi([0, 0, 0, 0, 0])).toEqual([0, 0]);
    expect(estimateMean([])).toEqual({ n: 0, mean: null, ci95: null });
  });

  it('is the same for the same values, and brackets the mean inside the range of the data', () => {
    const xs = [3, 18, 7, 25, 11];
    const a = bootstrapMeanCi(xs)!;
    expect(bootstrapMeanCi(xs)).toEqual(a);
    expect(a[0]).toBeGreaterThanOrEqual(3);
    expect(a[1]).toBeLessThanOrEqual(25);
    expect(a[0]).toBeLessThan(mean(xs)!);
    expect(a[1]).toBeGreaterThan(mean(xs)!);
  });

  it('lies above zero when every run lost something, and touches zero when most lost nothing', () => {
    expect(aboveZero(bootstrapMeanCi([4, 12, 1, 9, 30]))).toBe(true);
    // One run in five with a loss: a resample can miss it entirely (p = 0.33), so the interval includes 0.
    expect(bootstrapMeanCi([0, 0, 0, 0, 5])![0]).toBe(0);
    expect(aboveZero(bootstrapMeanCi([0, 0, 0, 0, 0]))).toBe(false);
    expect(aboveZero(null)).toBe(false);
  });

  it('covers the true mean about 95% of the time (normal samples of 30)', () => {
    const rng = createRandom(42);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 30 }, () => 10 + 3 * normal());
      const ci = bootstrapMeanCi(xs, { resamples: 2000, seed: t })!;
      if (ci[0] <= 10 && 10 <= ci[1]) covered++;
    }
    // Percentile bootstrap under-covers a little at n = 30; far from 95% would be a bug.
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it('narrows as runs are added (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 4, maxLength: 12 }), (xs) => {
        const one = bootstrapMeanCi(xs)!;
        const four = bootstrapMeanCi([...xs, ...xs, ...xs, ...xs])!;
        expect(four[1] - four[0]).toBeLessThanOrEqual(one[1] - one[0] + 1e-9);
      }),
      { numRuns: 30 },
    );
  });

  it('quantiles interpolate between neighbours', () => {
    expect(quantileSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(() => quantileSorted([], 0.5)).toThrow();
  });
});

describe('paired differences', () => {
  it('takes b − a per pair and leaves out pairs missing a side', () => {
    const d = pairedDifference([0, 0, 1, undefined], [10, 14, 9, 3]);
    expect(d.differences).toEqual([10, 14, 8]);
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(32 / 3, 5);
    expect(aboveZero(d.ci95)).toBe(true);
  });

  it('removes what the seeds share: a constant shift has a zero-width interval', () => {
    const a = [5, 50, 500, 5000];
    const b = a.map((x) => x + 3);
    expect(pairedDifference(a, b).ci95).toEqual([3, 3]);
    // Unpaired, the same data would give a huge interval.
    const ia = bootstrapMeanCi(a)!;
    expect(ia[1] - ia[0]).toBeGreaterThan(1000);
  });

  it('rejects samples of different lengths', () => {
    expect(() => pairedDifference([1], [1, 2])).toThrow(/differ in length/);
  });
});
