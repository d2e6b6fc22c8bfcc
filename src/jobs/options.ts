import { configError } from '../base/errors.ts';
import { integer, parseFlag } from '../base/schema.ts';

/**
 * Flag parsing the jobs share: commander hands over strings, and each bad
 * value becomes FL_ERR_CONFIG naming the flag, before anything starts.
 */

/** "a,b , c" or ["a", "b,c"] → ["a", "b", "c"]. */
export const splitList = (v: string | readonly string[] | undefined): string[] =>
  (typeof v === 'string' ? [v] : (v ?? []))
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** A count from 1 to max, with the same message a run option's would have. */
export const parseCount = (v: string | number, flag: string, max: number): number =>
  parseFlag(flag, integer(1, max), v);

/** A seed: an integer from 0 to 2^32 − 1, as `run --seed` takes. */
export const parseSeed = (v: string | number, flag: string): number => parseFlag(flag, integer(0, 2 ** 32 - 1), v);

/** `--shard i/n`: 1 ≤ i ≤ n. */
export const parseShard = (v: string): { index: number; count: number } => {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw configError(`expected i/n with 1 ≤ i ≤ n, e.g. 1/4; got ${JSON.stringify(v)}`, {
      path: '--shard',
      hint: 'shards are numbered from 1: a campaign in 2 shards runs as --shard 1/2 and --shard 2/2',
    });
  return { index, count };
};
