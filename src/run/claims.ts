import { type CheckerResult, mergeValidity, type Validity } from '../checker/checker.ts';
import type { ClaimResult } from '../report/results.ts';
import type { Claims } from './config.ts';

/**
 * Judges a run against what its cluster preset claims. Pure: the checkers'
 * results in, one ClaimResult per declared claim out. A claim no checker of
 * this run measured is "untested" and does not affect the verdict; a claim
 * the preset declares as not held ("allowed", false) is reported with its
 * measurement and always holds — that is how an async preset reports its
 * lost writes without failing.
 */
type Results = Readonly<Record<string, CheckerResult>>;
type Judge<V> = (expected: V, checkers: Results) => Omit<ClaimResult, 'name' | 'expected'>;

/** Fields the judges read; checkers define them (see docs/results.md). */
type Fields = CheckerResult & Record<string, unknown>;
const num = (r: Fields, key: string): number => (typeof r[key] === 'number' ? (r[key] as number) : 0);
const finalReadCount = (r: Fields): number => {
  const f = r.finalReads;
  return typeof f === 'number' ? f : typeof f === 'object' && f !== null ? num(f as Fields, 'count') : 0;
};

const untested = (what: string) => ({ held: 'untested' as const, detail: `no ${what} checker in this workload` });

/** "none" | "allowed" claims over a count that one checker reports. */
const countClaim =
  (
    checker: string,
    measure: (r: Fields) => { count: number; of: string; violation?: string },
    /** How many successful operations the figure rests on, and what they are ("acknowledged writes"). */
    evidence: { count: (r: Fields) => number; what: string },
  ): Judge<'none' | 'allowed'> =>
  (expected, checkers) => {
    const r = checkers[checker] as Fields | undefined;
    if (!r) return untested(checker);
    if (r.valid === 'unknown' && finalReadCount(r) === 0 && 'finalReads' in r) {
      return { held: expected === 'none' ? 'unknown' : true, detail: 'no final read succeeded' };
    }
    // A claim is held only with evidence: "0 of 0 lost" tested nothing.
    if (evidence.count(r) === 0) return { held: 'unknown', detail: `no ${evidence.what}: nothing to vouch for` };
    const { count, of, violation } = measure(r);
    const figure = `${count} ${of}`;
    if (violation) return { held: false, detail: `${figure}; ${violation}` };
    return expected === 'allowed'
      ? { held: true, detail: `${figure} (allowed by this topology)` }
      : { held: count === 0, detail: figure };
  };

const JUDGES: { [K in keyof Claims]-?: Judge<NonNullable<Claims[K]>> } = {
  linearizable: (expected, checkers) => {
    const lin = checkers.linearizable as Fields | undefined;
    if (!lin) return untested('linearizable');
    if (lin.valid !== false && num(lin, 'opCount') - num(lin, 'indeterminate') === 0) {
      return { held: 'unknown', detail: 'no operation completed: nothing to vouch for' };
    }
    const verdict =
      lin.valid === true ? 'linearizable' : lin.valid === false ? 'not linearizable' : 'undecided (checker timed out)';
    return expected
      ? { held: lin.valid, detail: `the history is ${verdict}` }
      : { held: true, detail: `the history is ${verdict} (not claimed by this topology)` };
  },

  lostWrites: countClaim(
    'set',
    (set) => {
      const phantom = num(set, 'unexpected') + num(set, 'failedPresent');
      return {
        count: num(set, 'lost'),
        of: `of ${num(set, 'acked')} acknowledged writes lost`,
        // Phantom elements are a violation under any topology: nobody claims to invent data.
        ...(phantom > 0 ? { violation: `${phantom} elements read that were never (successfully) written` } : {}),
      };
    },
    { count: (r) => num(r, 'acked'), what: 'write was acknowledged' },
  ),

  staleReads: countClaim(
    'staleness',
    (r) => ({
      count: num(r, 'staleReads'),
      of: `of ${num(r, 'reads')} reads stale${num(r, 'staleReads') > 0 ? ` (up to ${Math.round(num(r, 'maxStaleMs'))} ms behind)` : ''}`,
      ...(num(r, 'unexpected') > 0 ? { violation: `${num(r, 'unexpected')} reads returned values nobody wrote` } : {}),
    }),
    { count: (r) => num(r, 'reads'), what: 'read succeeded' },
  ),

  lostUpdates: countClaim(
    'conflicts',
    (r) => ({
      count: num(r, 'lostUpdates'),
      of: `of ${num(r, 'acked')} acknowledged register writes silently beaten by older ones${num(r, 'siblingReads') > 0 ? `; ${num(r, 'siblingReads')} reads returned siblings` : ''}`,
    }),
    { count: (r) => num(r, 'acked'), what: 'register write was acknowledged' },
  ),

  lostIncrements: countClaim(
    'counter',
    (r) => ({
      count: num(r, 'lostIncrements'),
      of: `increments missing from the final value (acknowledged sum ${num(r, 'ackedSum')})`,
      ...(num(r, 'impossibleReads') > 0
        ? { violation: `${num(r, 'impossibleReads')} reads no interleaving explains` }
        : {}),
    }),
    { count: (r) => num(r, 'acked'), what: 'increment was acknowledged' },
  ),

  convergence: (expected, checkers) => {
    // Whichever checker of this workload read every node after healing.
    const r = (['set', 'conflicts', 'counter'] as const).map((n) => checkers[n] as Fields | undefined).find(Boolean);
    if (!r) return untested('set, conflicts or counter');
    if (finalReadCount(r) === 0) return { held: expected ? 'unknown' : true, detail: 'no final read succeeded' };
    const converged = r.converged === true;
    const divergent = num(r, 'divergent') || (Array.isArray(r.divergentKeys) ? r.divergentKeys.length : 0);
    const detail = converged
      ? 'every node returned the same state after healing'
      : `nodes disagree after healing (${divergent} ${'divergent' in r ? 'elements' : 'keys'} differ)`;
    return { held: expected ? converged : true, detail };
  },
};

export const evaluateClaims = (claims: Claims, checkers: Results): ClaimResult[] =>
  (Object.keys(JUDGES) as (keyof Claims)[])
    .filter((name) => claims[name] !== undefined)
    .map((name) => {
      const expected = claims[name] as never;
      return { name, expected, ...JUDGES[name](expected, checkers) };
    });

/** The run's verdict: from its claims; untested claims don't count. */
export const runVerdict = (claims: readonly ClaimResult[]): Validity =>
  mergeValidity(claims.filter((c) => c.held !== 'untested').map((c) => c.held as Validity));
