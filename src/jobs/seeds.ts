import { hashString } from '../base/random.ts';

/**
 * Seeds of a multi-run job, derived from one base seed and a label per run
 * (the job, the matrix cell, the repetition). Derived, not drawn in order:
 * adding a cell to a campaign, or running only one shard of it, leaves every
 * other run's seed unchanged, so a night replays from its seed alone.
 */
export const deriveSeed = (base: number, ...labels: readonly (string | number)[]): number =>
  // 31 bits: every seed stays a valid `--seed` and prints the same everywhere.
  hashString(`${base >>> 0}/${labels.join('/')}`) & 0x7fffffff;

/** N seeds for N paired repetitions: every cluster of a compare gets the same list. */
export const repetitionSeeds = (base: number, job: string, count: number): number[] =>
  Array.from({ length: count }, (_, i) => deriveSeed(base, job, i));
