import { bankConvergence } from '../checker/bank.ts';
import { type MeasureRequest, mergeValidity, type Validity } from '../checker/checker.ts';
import { conflictsConvergence } from '../checker/conflicts.ts';
import { counterConvergence } from '../checker/counter.ts';
import type { Convergence } from '../checker/final-reads.ts';
import {
  type CheckerName,
  type CheckerResultMap,
  type CheckerResults,
  GENERIC_CHECKERS,
  isCrash,
} from '../checker/index.ts';
import { GUARANTEE_NAMES, type Guarantee } from '../checker/session.ts';
import { setConvergence } from '../checker/set.ts';
import { type StalenessCheckerResult, stalenessAt, visibilityAt } from '../checker/staleness.ts';
import type { ClaimBound, ClaimResult } from '../report/results.ts';
import type { Claims, StaleBound } from './config.ts';

/**
 * Judges a run against what its cluster preset claims. Pure: the checkers'
 * results in, one ClaimResult per declared claim out. Every judge reads
 * its checker's typed result (CheckerResultMap), so a renamed field does
 * not compile. A claim no checker of this run measured is "untested" and
 * does not affect the verdict; a claim the preset declares as not held
 * ("allowed", false) is reported with its measurement and always holds —
 * that is how an async preset reports its lost writes without failing.
 */
type Verdict = Omit<ClaimResult, 'name' | 'expected'>;
type Judge<V> = (expected: V, checkers: CheckerResults) => Verdict;

const untested = (what: string): Verdict => ({ held: 'untested', detail: `no ${what} checker in this workload` });

/** Runs `judge` on the typed result of `name`; untested without it, unknown when it crashed. */
const withResult = <K extends CheckerName>(
  name: K,
  checkers: CheckerResults,
  judge: (r: CheckerResultMap[K]) => Verdict,
): Verdict => {
  const r = checkers[name];
  if (r === undefined) return untested(name);
  if (isCrash(r)) return { held: 'unknown', detail: `the ${name} checker failed: ${r.error}` };
  return judge(r as CheckerResultMap[K]);
};

/**
 * A claim is held only with evidence: "0 of 0 lost" tested nothing. What the
 * topology does not claim (allowed, false) has nothing to vouch for, so no
 * evidence leaves it held: a starved run in which no write was acknowledged
 * must not turn an async preset's "split brain allowed" into unknown.
 */
const noEvidence = (claimed: boolean, what: string): Verdict =>
  claimed
    ? { held: 'unknown', detail: `no ${what}: nothing to vouch for` }
    : { held: true, detail: `no ${what}: nothing measured (not claimed by this topology)` };

/**
 * "none" | "allowed" over a count. `noFinalRead`: the figure needs final
 * reads and there were none; `evidence`: how many successful operations the
 * figure rests on, and what they are.
 */
const countVerdict = (
  expected: 'none' | 'allowed',
  m: {
    count: number;
    of: string;
    violation?: string | undefined;
    noFinalRead?: boolean;
    evidence: { count: number; what: string };
  },
): Verdict => {
  if (m.noFinalRead) return { held: expected === 'none' ? 'unknown' : true, detail: 'no final read succeeded' };
  if (m.evidence.count === 0) return noEvidence(expected === 'none', m.evidence.what);
  const figure = `${m.count} ${m.of}`;
  if (m.violation) return { held: false, detail: `${figure}; ${m.violation}` };
  return expected === 'allowed'
    ? { held: true, detail: `${figure} (allowed by this topology)` }
    : { held: m.count === 0, detail: figure };
};

/** true: claimed (held when `ok`); false: measured, always held. */
const boolVerdict = (expected: boolean, ok: boolean | 'unknown', figure: string): Verdict =>
  expected ? { held: ok, detail: figure } : { held: true, detail: `${figure} (not claimed by this topology)` };

const sessionClaim =
  (g: Guarantee): Judge<boolean> =>
  (expected, checkers) =>
    withResult('session', checkers, (r) => {
      const t = r.guarantees[g];
      if (r.reads === 0) return noEvidence(expected, 'read was judged');
      const figure =
        t.violations === 0
          ? `${GUARANTEE_NAMES[g]} held over ${r.reads} reads in ${r.sessions} sessions`
          : `${t.violations} reads in ${t.sessions} of ${r.sessions} sessions violated ${GUARANTEE_NAMES[g]}`;
      return boolVerdict(expected, t.violations === 0, figure);
    });

/** The convergence figures of whichever checker of this workload read every node after healing. */
const convergenceOf = (checkers: CheckerResults): Convergence | Verdict | undefined => {
  const sources = [
    ['set', setConvergence],
    ['conflicts', conflictsConvergence],
    ['counter', counterConvergence],
    ['bank', bankConvergence],
  ] as const;
  for (const [name, measure] of sources) {
    const r = checkers[name];
    if (r === undefined) continue;
    if (isCrash(r)) return { held: 'unknown', detail: `the ${name} checker failed: ${r.error}` };
    return (measure as (x: typeof r) => Convergence)(r);
  }
  return undefined;
};

const JUDGES: { [K in keyof Claims]-?: Judge<NonNullable<Claims[K]>> } = {
  linearizable: (expected, checkers) =>
    withResult('linearizable', checkers, (lin) => {
      if (lin.valid !== false && lin.opCount - lin.indeterminate === 0)
        return noEvidence(expected, 'operation completed');
      const verdict =
        lin.valid === true
          ? 'linearizable'
          : lin.valid === false
            ? 'not linearizable'
            : 'undecided (checker timed out)';
      return boolVerdict(expected, lin.valid, `the history is ${verdict}`);
    }),

  lostWrites: (expected, checkers) =>
    withResult('set', checkers, (set) => {
      const phantom = set.unexpected + set.failedPresent;
      return countVerdict(expected, {
        count: set.lost,
        of: `of ${set.acked} acknowledged writes lost`,
        // Phantom elements are a violation under any topology: nobody claims to invent data.
        violation: phantom > 0 ? `${phantom} elements read that were never (successfully) written` : undefined,
        noFinalRead: set.valid === 'unknown' && set.finalReads.count === 0,
        evidence: { count: set.acked, what: 'write was acknowledged' },
      });
    }),

  staleReads: (expected, checkers) =>
    withResult('staleness', checkers, (r) => {
      const unexpected = r.unexpected > 0 ? `${r.unexpected} reads returned values nobody wrote` : undefined;
      if (typeof expected === 'string') {
        const behind = r.staleReads > 0 ? ` (up to ${Math.round(r.maxStaleMs)} ms behind)` : '';
        return countVerdict(expected, {
          count: r.staleReads,
          of: `of ${r.reads} reads stale${behind}`,
          violation: unexpected,
          evidence: { count: r.reads, what: 'read succeeded' },
        });
      }
      if (r.reads === 0) return noEvidence(true, 'read succeeded'); // a bound is a claim
      return staleBoundVerdict(expected, r, unexpected);
    }),

  lostUpdates: (expected, checkers) =>
    withResult('conflicts', checkers, (r) =>
      countVerdict(expected, {
        count: r.lostUpdates,
        of: `of ${r.acked} acknowledged register writes silently beaten by older ones${r.siblingReads > 0 ? `; ${r.siblingReads} reads returned siblings` : ''}`,
        noFinalRead: r.valid === 'unknown' && r.finalReads.count === 0,
        evidence: { count: r.acked, what: 'register write was acknowledged' },
      }),
    ),

  lostIncrements: (expected, checkers) =>
    withResult('counter', checkers, (r) =>
      countVerdict(expected, {
        count: r.lostIncrements,
        of: `increments missing from the final value (acknowledged sum ${r.ackedSum})`,
        violation: r.impossibleReads > 0 ? `${r.impossibleReads} reads no interleaving explains` : undefined,
        noFinalRead: r.valid === 'unknown' && r.finalReads.count === 0,
        evidence: { count: r.acked, what: 'increment was acknowledged' },
      }),
    ),

  convergence: (expected, checkers) => {
    const c = convergenceOf(checkers);
    if (c === undefined) return untested('set, conflicts, counter or bank');
    if (!('converged' in c)) return c;
    if (c.finalReads.count === 0) return { held: expected ? 'unknown' : true, detail: 'no final read succeeded' };
    const detail = c.converged
      ? 'every node returned the same state after healing'
      : `nodes disagree after healing (${c.divergent} ${c.divergentWhat} differ)`;
    return { held: expected ? c.converged : true, detail };
  },

  readYourWrites: sessionClaim('readYourWrites'),
  monotonicReads: sessionClaim('monotonicReads'),
  monotonicWrites: sessionClaim('monotonicWrites'),
  consistentPrefix: sessionClaim('consistentPrefix'),

  splitBrain: (expected, checkers) =>
    withResult('split-brain', checkers, (r) => {
      if (r.acks === 0) return noEvidence(expected === 'none', 'write was acknowledged by a known node');
      const figure = `${r.splitBrainIntervals} intervals (${r.splitBrainMs} ms) in which two nodes acknowledged writes as leader`;
      if (expected === 'allowed') return { held: true, detail: `${figure} (allowed by this topology)` };
      if (r.splitBrainIntervals > 0 && !r.termsReported)
        return { held: 'unknown', detail: `${figure}; the system reports no terms, so a re-election looks the same` };
      return { held: r.splitBrainIntervals === 0, detail: figure };
    }),

  fencing: (expected, checkers) =>
    withResult('split-brain', checkers, (r) => {
      if (r.acks === 0) return noEvidence(expected, 'write was acknowledged by a known node');
      if (!r.termsReported)
        return { held: expected ? 'unknown' : true, detail: 'the system reports no leader terms: fencing not judged' };
      const figure = `${r.deposedAcks} of ${r.acks} writes acknowledged by a deposed leader after its successor acknowledged one`;
      return boolVerdict(expected, r.deposedAcks === 0, figure);
    }),

  totalConserved: (expected, checkers) =>
    withResult('bank', checkers, (r) => {
      if (r.reads === 0) return noEvidence(expected, 'well-formed read of the balances');
      return boolVerdict(
        expected,
        r.wrongTotal === 0,
        `${r.wrongTotal} of ${r.reads} reads did not total ${r.expectedTotal}`,
      );
    }),
};

/**
 * A stale-read bound: every given part must hold. The measured figure of
 * each part goes beside its bound in `bounds`.
 */
const staleBoundVerdict = (bound: StaleBound, r: StalenessCheckerResult, unexpected: string | undefined): Verdict => {
  const q = bound.quantile ?? 1;
  const at = stalenessAt(r, q);
  const qName = q === 1 ? 'max' : `p${formatQuantile(q)}`;
  const bounds: ClaimBound[] = [];
  const check = (measure: string, limit: number, op: '<=' | '>=', measured: number | null | undefined): void => {
    const held =
      measured === null || measured === undefined ? 'unknown' : op === '<=' ? measured <= limit : measured >= limit;
    bounds.push({ measure, bound: limit, op, measured: measured ?? null, held });
  };
  if (bound.maxMs !== undefined) check(`${qName} staleness (ms)`, bound.maxMs, '<=', at?.ms);
  if (bound.maxVersions !== undefined) check(`${qName} versions behind`, bound.maxVersions, '<=', at?.versions);
  if (bound.visibility !== undefined) {
    const point = visibilityAt(r, bound.visibility.afterMs);
    check(
      `share of reads ≥ ${bound.visibility.afterMs} ms after an acknowledgement that see it`,
      bound.visibility.atLeast,
      '>=',
      point?.probability,
    );
  }
  const held = unexpected ? false : mergeValidity(bounds.map((b) => b.held));
  const parts = bounds.map(
    (b) =>
      `${b.measure} ${b.measured === null ? 'not measured' : b.measured} (bound ${b.op === '<=' ? '≤' : '≥'} ${b.bound}${b.held === false ? ', violated' : ''})`,
  );
  if (unexpected) parts.push(unexpected);
  return { held, detail: `${parts.join('; ')}; ${r.staleReads} of ${r.reads} reads stale`, bounds };
};

const formatQuantile = (q: number): string => String(Math.round(q * 1e4) / 1e2).replace(/\.0+$/, '');

export const evaluateClaims = (claims: Claims, checkers: CheckerResults): ClaimResult[] =>
  (Object.keys(JUDGES) as (keyof Claims)[])
    .filter((name) => claims[name] !== undefined)
    .map((name) => {
      const expected = claims[name] as never;
      return { name, expected, ...JUDGES[name](expected, checkers) };
    });

/** The run's verdict: from its claims; untested claims don't count. */
export const runVerdict = (claims: readonly ClaimResult[]): Validity =>
  mergeValidity(claims.filter((c) => c.held !== 'untested').map((c) => c.held as Validity));

/** Which checkers each claim is judged from. */
export const CLAIM_CHECKERS: { readonly [K in keyof Claims]-?: readonly CheckerName[] } = {
  linearizable: ['linearizable'],
  lostWrites: ['set'],
  convergence: ['set', 'conflicts', 'counter', 'bank'],
  staleReads: ['staleness'],
  lostUpdates: ['conflicts'],
  lostIncrements: ['counter'],
  readYourWrites: ['session'],
  monotonicReads: ['session'],
  monotonicWrites: ['session'],
  consistentPrefix: ['session'],
  splitBrain: ['split-brain'],
  fencing: ['split-brain'],
  totalConserved: ['bank'],
};

/**
 * The checkers a claim needs that read any history (split-brain): a run
 * adds them to its workload's checkers, so `splitBrain: none` on a preset
 * is measured whatever the workload.
 */
export const claimedGenericCheckers = (claims: Claims): CheckerName[] => {
  const out = new Set<CheckerName>();
  for (const name of Object.keys(CLAIM_CHECKERS) as (keyof Claims)[]) {
    if (claims[name] === undefined) continue;
    for (const c of CLAIM_CHECKERS[name]) if (GENERIC_CHECKERS.includes(c)) out.add(c);
  }
  return [...out];
};

/** Figures a claim's bound asks the checkers to measure exactly (a quantile, a t-visibility point). */
export const measureRequest = (claims: Claims): MeasureRequest => {
  const s = claims.staleReads;
  if (s === undefined || typeof s === 'string') return {};
  return {
    quantiles: [s.quantile ?? 1],
    ...(s.visibility ? { visibilityAfterMs: [s.visibility.afterMs] } : {}),
  };
};
