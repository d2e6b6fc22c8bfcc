import { createRandom, hashString } from '../base/random.ts';

/**
 * Statistics over the runs of a job, pure and deterministic. Intervals are
 * 95% **percentile bootstrap** intervals of the mean (Efron): resample the
 * per-run values with replacement B times, take the mean of each resample,
 * and report the 2.5th and 97.5th percentiles of those means. It makes no
 * normality assumption, which suits counts such as lost writes (skewed,
 * bounded at 0); with few runs it is narrower than the truth, so a report
 * shows the runs next to it. The resampling is seeded from the values
 * themselves, so the same runs always give the same interval.
 */

export const CI_LEVEL = 0.95;
export const BOOTSTRAP_RESAMPLES = 10_000;

/** How intervals are computed, as compare.json states it. */
export interface CiMethod {
  method: 'percentile-bootstrap';
  level: number;
  resamples: number;
}
export const CI_METHOD: CiMethod = { method: 'percentile-bootstrap', level: CI_LEVEL, resamples: BOOTSTRAP_RESAMPLES };

/** [low, high]; null when there is no value to estimate from. */
export type Interval = [number, number] | null;

export interface MeanEstimate {
  /** Values the estimate is over (runs). */
  n: number;
  /** null when n = 0. */
  mean: number | null;
  ci95: Interval;
}

export const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, linear between neighbours (type 7, as R and numpy). */
export const quantileSorted = (sorted: ArrayLike<number>, q: number): number => {
  if (sorted.length === 0) throw new Error('quantile of no values');
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
};

/** Percentile bootstrap interval of the mean. One value gives [x, x]; none gives null. */
export const bootstrapMeanCi = (
  xs: readonly number[],
  options: { resamples?: number; level?: number; seed?: number } = {},
): Interval => {
  const n = xs.length;
  if (n === 0) return null;
  if (xs.some((x) => !Number.isFinite(x))) throw new Error('bootstrap over a value that is not a finite number');
  const first = xs[0]!;
  if (xs.every((x) => x === first)) return [first, first];
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = options.level ?? CI_LEVEL;
  const rng = createRandom(options.seed ?? hashString(xs.join(',')));
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += xs[rng.int(n)]!;
    means[b] = sum / n;
  }
  means.sort();
  const alpha = (1 - level) / 2;
  return [round(quantileSorted(means, alpha)), round(quantileSorted(means, 1 - alpha))];
};

/** Mean with its 95% bootstrap interval. */
export const estimateMean = (xs: readonly number[]): MeanEstimate => {
  const m = mean(xs);
  return { n: xs.length, mean: m === null ? null : round(m), ci95: bootstrapMeanCi(xs) };
};

export interface PairedDifference extends MeanEstimate {
  /** b − a for each pair, in pair order. */
  differences: number[];
}

/**
 * Paired difference b − a: the runs of two clusters under the same seed
 * (same operation mix, same fault schedule) are a pair, so the interval is
 * over the per-pair differences, which removes the variation the seeds share.
 * Pairs where either side has no value are left out.
 */
export const pairedDifference = (
  a: readonly (number | undefined)[],
  b: readonly (number | undefined)[],
): PairedDifference => {
  if (a.length !== b.length) throw new Error(`paired samples differ in length: ${a.length} and ${b.length}`);
  const differences: number[] = [];
  a.forEach((x, i) => {
    const y = b[i];
    if (x !== undefined && y !== undefined) differences.push(y - x);
  });
  return { ...estimateMean(differences), differences };
};

/** Whether an interval lies strictly above zero (e.g. "async loses writes" is significant). */
export const aboveZero = (ci: Interval): boolean => ci !== null && ci[0] > 0;

const round = (x: number): number => Math.round(x * 1e6) / 1e6;
