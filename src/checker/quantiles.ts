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
export const quantiles = (values: readonly number[]): Quantiles => quantilesOfSorted(Float64Array.from(values).sort());

/** Quantiles of values already sorted ascending. */
export const quantilesOfSorted = (sorted: Float64Array): Quantiles => {
  if (sorted.length === 0) return { count: 0, p50: null, p90: null, p99: null, max: null };
  const at = (q: number): number => round3(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!);
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round3(sorted[sorted.length - 1]!) };
};

/** Three decimals: microsecond resolution for ms figures, and a readable results.json. */
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Several sorted arrays as one sorted array (a k-way merge: k is small, a few operation kinds). */
export const mergeSorted = (parts: readonly Float64Array[]): Float64Array => {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  const at = new Array<number>(parts.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let best = -1;
    for (let k = 0; k < parts.length; k++) {
      if (at[k]! < parts[k]!.length && (best < 0 || parts[k]![at[k]!]! < parts[best]![at[best]!]!)) best = k;
    }
    out[o] = parts[best]![at[best]!++]!;
  }
  return out;
};
