import type { Op } from '../history/op.ts';
import { outcomeOf, pairClientOps } from '../history/pairs.ts';
import { previewValue } from '../history/preview.ts';
import type { CheckContext, Checker, CheckerResult, Validity } from './checker.ts';
import { type Convergence, type FinalReadsSummary, summarizeFinalReads } from './final-reads.ts';
import { sortedRecord } from './records.ts';
import { upperBound } from './sorted.ts';

/**
 * The `counter` checker: one counter, starting at 0, with `add` of integer
 * deltas (possibly negative) and `read`.
 *
 * Every acknowledged add must count, failed adds must not, and indeterminate
 * (info) adds may or may not: the final value must lie in
 * [acked + Σ negative info deltas, acked + Σ positive info deltas]. A final
 * read is an ok read invoked after every add ended (an add that never
 * completed ends at its invocation). A final value below the range is
 * lost increments, as last-write-wins on a number loses concurrent adds.
 *
 * Reads before the end are checked loosely: whatever the interleaving, a
 * read can only reflect adds invoked before it completed, so its value lies
 * between the sum of their negative deltas and the sum of their positive
 * deltas (failed adds excluded). Outside that: an impossible read.
 *
 * The workload has one counter: keys, if any, are not told apart.
 *
 * Deltas and read values are untrusted: anything but a safe integer (a
 * finite number, for reads) is counted as malformed and otherwise ignored.
 */

/** Most malformed values kept, previewed. */
export const MALFORMED_CAP = 5;

/** results.json `checkers.counter`. Names are a contract: add fields, never rename. */
export interface CounterCheckerResult extends CheckerResult {
  valid: Validity;
  /** Acknowledged (ok) adds. */
  acked: number;
  /** Sum of their deltas. */
  ackedSum: number;
  /** Adds that ended info or never completed. */
  indeterminate: number;
  /** Adds that definitely did not happen. */
  failed: number;
  /** The acceptable final values: [expectedMin, expectedMax]. */
  expectedMin: number;
  expectedMax: number;
  /** Each node's latest final value. */
  finalValues: Record<string, number>;
  /** Final reads outside [expectedMin, expectedMax]. */
  finalOutOfRange: number;
  /** Final reads exist and all returned the same value. */
  converged: boolean;
  /** ok reads, final or not, well-formed. */
  reads: number;
  /** Reads no interleaving of the adds invoked before them explains. */
  impossibleReads: number;
  /** expectedMin − min(final values), or 0. */
  lostIncrements: number;
  /** max(final values) − expectedMax, or 0: counted more than was ever added. */
  excessIncrements: number;
  /** Adds with a delta that is not a safe integer (ignored); reads whose value is not a finite number (ignored). */
  malformedAdds: number;
  malformedReads: number;
  malformedExamples: string[];
  finalReads: FinalReadsSummary;
  summary: string;
}

export const counterChecker: Checker<CounterCheckerResult> = {
  name: 'counter',
  check: async (history, ctx) => checkCounter(history, ctx),
};

interface Read {
  value: number;
  invoke: number;
  complete: number;
  node: string;
}

/** Pure and synchronous; `counterChecker.check` wraps it. */
export const checkCounter = (history: readonly Op[], ctx: Pick<CheckContext, 'nodes'>): CounterCheckerResult => {
  let acked = 0;
  let ackedSum = 0;
  let indeterminate = 0;
  let failed = 0;
  let infoNeg = 0;
  let infoPos = 0;
  let malformedAdds = 0;
  let malformedReads = 0;
  const malformedExamples: string[] = [];
  const noteMalformed = (v: unknown): void => {
    if (malformedExamples.length < MALFORMED_CAP) malformedExamples.push(previewValue(v));
  };
  let lastAddEnd = Number.NEGATIVE_INFINITY;
  // Adds that may have happened (ok or info), for the loose bounds on every read.
  const possible: { invoke: number; delta: number }[] = [];
  const reads: Read[] = [];

  for (const pair of pairClientOps(history)) {
    const { invoke, completion } = pair;
    if (pair.f === 'add') {
      lastAddEnd = Math.max(lastAddEnd, completion?.time ?? invoke.time);
      const delta = invoke.value;
      if (typeof delta !== 'number' || !Number.isSafeInteger(delta)) {
        malformedAdds++;
        noteMalformed(delta);
        continue;
      }
      const outcome = outcomeOf(pair);
      if (outcome === 'fail') {
        failed++;
        continue;
      }
      possible.push({ invoke: invoke.time, delta });
      if (outcome === 'ok') {
        acked++;
        ackedSum += delta;
      } else {
        indeterminate++;
        if (delta < 0) infoNeg += delta;
        else infoPos += delta;
      }
    } else if (pair.f === 'read' && completion?.type === 'ok') {
      const value = completion.value;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        malformedReads++;
        noteMalformed(value);
        continue;
      }
      const node = completion.node ?? invoke.node ?? '?';
      reads.push({ value, invoke: invoke.time, complete: completion.time, node });
    }
  }
  const expectedMin = ackedSum + infoNeg;
  const expectedMax = ackedSum + infoPos;

  // Loose bounds: prefix sums of negative and positive deltas over adds sorted by invoke.
  possible.sort((a, b) => a.invoke - b.invoke);
  const invokes = Float64Array.from(possible, (a) => a.invoke);
  const negPrefix = new Float64Array(possible.length + 1);
  const posPrefix = new Float64Array(possible.length + 1);
  possible.forEach((a, i) => {
    negPrefix[i + 1] = negPrefix[i]! + Math.min(0, a.delta);
    posPrefix[i + 1] = posPrefix[i]! + Math.max(0, a.delta);
  });
  let impossibleReads = 0;
  for (const r of reads) {
    const n = upperBound(invokes, r.complete); // adds invoked at or before the read completed
    if (r.value < negPrefix[n]! || r.value > posPrefix[n]!) impossibleReads++;
  }

  // Final reads: each node's latest.
  const latest = new Map<string, Read>();
  const servedBy: string[] = [];
  let finalOutOfRange = 0;
  for (const r of reads) {
    if (!(r.invoke > lastAddEnd)) continue;
    servedBy.push(r.node);
    if (r.value < expectedMin || r.value > expectedMax) finalOutOfRange++;
    const prev = latest.get(r.node);
    if (prev === undefined || r.invoke >= prev.invoke) latest.set(r.node, r);
  }
  const finals = [...latest.values()].map((r) => r.value);
  const minFinal = Math.min(...finals);
  const maxFinal = Math.max(...finals);

  let valid: Validity = true;
  if (finalOutOfRange > 0 || impossibleReads > 0) valid = false;
  else if (servedBy.length === 0) valid = 'unknown';

  const result: CounterCheckerResult = {
    valid,
    acked,
    ackedSum,
    indeterminate,
    failed,
    expectedMin,
    expectedMax,
    finalValues: sortedRecord(new Map([...latest].map(([node, r]) => [node, r.value]))),
    finalOutOfRange,
    converged: finals.length > 0 && minFinal === maxFinal,
    reads: reads.length,
    impossibleReads,
    lostIncrements: finals.length > 0 ? Math.max(0, expectedMin - minFinal) : 0,
    excessIncrements: finals.length > 0 ? Math.max(0, maxFinal - expectedMax) : 0,
    malformedAdds,
    malformedReads,
    malformedExamples,
    finalReads: summarizeFinalReads(servedBy, ctx.nodes),
    summary: '',
  };
  result.summary = summarizeCounter(result);
  return result;
};

/** What the `convergence` claim reads from a counter result. */
export const counterConvergence = (r: CounterCheckerResult): Convergence => ({
  finalReads: r.finalReads,
  converged: r.converged,
  divergent: new Set(Object.values(r.finalValues)).size > 1 ? new Set(Object.values(r.finalValues)).size : 0,
  divergentWhat: 'values',
});

/** "final value 812 on every node, expected 812..815; 0 increments lost" */
export const summarizeCounter = (r: CounterCheckerResult): string => {
  const range = r.expectedMin === r.expectedMax ? `${r.expectedMin}` : `${r.expectedMin}..${r.expectedMax}`;
  const parts: string[] = [];
  if (r.finalReads.count === 0) parts.push(`no final read (expected ${range})`);
  else {
    const values = [...new Set(Object.values(r.finalValues))];
    const seen = r.converged ? `final value ${values[0]} on every node` : `final values ${values.join(', ')}`;
    parts.push(`${seen}, expected ${range}`);
    if (r.lostIncrements > 0) parts.push(`${r.lostIncrements} increments lost`);
    if (r.excessIncrements > 0) parts.push(`${r.excessIncrements} more than was ever added`);
  }
  if (r.impossibleReads > 0) parts.push(`${r.impossibleReads} impossible reads`);
  if (r.malformedAdds + r.malformedReads > 0)
    parts.push(`${r.malformedAdds + r.malformedReads} malformed values ignored`);
  return parts.join('; ');
};
