/**
 * Latency summaries in results.json. Nearest-rank quantiles over the exact
 * values (no sketch): histories are at most a few million ops.
 * Every figure is null when there are no values, so "no data" is never
 * mistaken for "zero latency".
 */
export interface Quantiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** Quantiles of `values` (any unit; sorted in place is avoided: the input is copied). */
export const quantiles = (values: readonly number[]): Quantiles => {
  if (values.length === 0) return { count: 0, p50: null, p90: null, p99: null, max: null };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => round3(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!);
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round3(sorted[sorted.length - 1]!) };
};

/** Three decimals: microsecond resolution for ms figures, and a readable results.json. */
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
