import { type CheckerResult, mergeValidity, type Validity } from '../checker/checker.ts';
import type { Claims } from './config.ts';
import type { ClaimResult } from './results.ts';

/**
 * Judges a run against what its cluster preset claims. Pure: the checkers'
 * results in, one ClaimResult per declared claim out. A claim no checker of
 * this run measured is "untested" and does not affect the verdict; a claim
 * the preset declares as not held ("allowed", false) is reported with its
 * measurement and always holds — that is how an async preset reports its
 * lost writes without failing.
 */
export const evaluateClaims = (claims: Claims, checkers: Readonly<Record<string, CheckerResult>>): ClaimResult[] => {
  const out: ClaimResult[] = [];
  const lin = checkers.linearizable;
  const set = checkers.set as (CheckerResult & SetFields) | undefined;

  if (claims.linearizable !== undefined) {
    const expected = claims.linearizable;
    if (!lin)
      out.push({
        name: 'linearizable',
        expected,
        held: 'untested',
        detail: 'no linearizable checker in this workload',
      });
    else {
      const verdict =
        lin.valid === true
          ? 'linearizable'
          : lin.valid === false
            ? 'not linearizable'
            : 'undecided (checker timed out)';
      out.push({
        name: 'linearizable',
        expected,
        held: expected ? lin.valid : true,
        detail: expected ? `the history is ${verdict}` : `the history is ${verdict} (not claimed by this topology)`,
      });
    }
  }

  if (claims.lostWrites !== undefined) {
    const expected = claims.lostWrites;
    if (!set) out.push({ name: 'lostWrites', expected, held: 'untested', detail: 'no set checker in this workload' });
    else if (set.finalReads?.count === 0) {
      out.push({
        name: 'lostWrites',
        expected,
        held: expected === 'none' ? 'unknown' : true,
        detail: 'no final read succeeded',
      });
    } else {
      const phantom = (set.unexpected ?? 0) + (set.failedPresent ?? 0);
      const figure = `${set.lost} of ${set.acked} acknowledged writes lost`;
      const extra = phantom > 0 ? `; ${phantom} elements read that were never (successfully) written` : '';
      out.push({
        name: 'lostWrites',
        expected,
        // Phantom elements are a violation under any topology: nobody claims to invent data.
        held: (expected === 'allowed' || set.lost === 0) && phantom === 0,
        detail: expected === 'allowed' ? `${figure} (allowed by this topology)${extra}` : `${figure}${extra}`,
      });
    }
  }

  if (claims.convergence !== undefined) {
    const expected = claims.convergence;
    if (!set) out.push({ name: 'convergence', expected, held: 'untested', detail: 'no set checker in this workload' });
    else if (set.finalReads?.count === 0)
      out.push({ name: 'convergence', expected, held: expected ? 'unknown' : true, detail: 'no final read succeeded' });
    else {
      const detail = set.converged
        ? 'every node returned the same elements after healing'
        : `${set.divergent} elements present on some nodes but not others after healing`;
      out.push({ name: 'convergence', expected, held: expected ? set.converged : true, detail });
    }
  }
  return out;
};

interface SetFields {
  acked: number;
  lost: number;
  unexpected?: number;
  failedPresent?: number;
  divergent: number;
  converged: boolean;
  finalReads?: { count: number };
}

/** The run's verdict: from its claims; untested claims don't count. */
export const runVerdict = (claims: readonly ClaimResult[]): Validity =>
  mergeValidity(claims.filter((c) => c.held !== 'untested').map((c) => c.held as Validity));
