import { NS_PER_MS } from '../core/time.ts';
import type { Op } from '../history/op.ts';
import { type OpPair, outcomeOf, pairClientOps } from '../history/pairs.ts';
import { previewValue } from '../history/preview.ts';
import type { CheckContext, Checker, CheckerResult, Validity } from './checker.ts';
import { type Quantiles, quantiles } from './quantiles.ts';

/**
 * The `set` checker: lost acknowledged writes, as Jepsen's set-full.
 *
 * Workers add unique integers (`{f:'add', value: n}`) and read the whole set
 * (`{f:'read'}`, ok completion `value: number[]`). After every fault is healed
 * the final phase reads from every node. A read invoked after the completion
 * of every add is a *final read*: nothing can still be in flight, so an
 * acknowledged element missing from all of them is lost.
 *
 * Read values come from the system under test and are untrusted: anything
 * other than an array of safe integers is counted as malformed and ignored.
 */

/** Longest element lists kept in results.json, except `lostElements` (always complete). */
export const ELEMENTS_CAP = 1000;

export interface FinalReadsSummary {
  /** ok reads invoked after the completion of every add. */
  count: number;
  /** Per answering node: how many final reads, and the size of its latest one. */
  byNode: Record<string, { reads: number; elements: number }>;
  /** Nodes of the run that answered no final read. */
  missingNodes: string[];
}

/** results.json `checkers.set`. Names are a contract: add fields, never rename. */
export interface SetCheckerResult extends CheckerResult {
  valid: Validity;
  /** Distinct elements an add was invoked for. */
  attempted: number;
  /** Elements whose add completed ok. */
  acked: number;
  /** Elements whose adds all completed fail (definitely not applied). */
  failed: number;
  /** Elements whose add ended info or never completed (may or may not be applied). */
  indeterminate: number;
  /** Acknowledged elements absent from every final read. 0 when there is no final read. */
  lost: number;
  /** Every lost element, sorted. */
  lostElements: number[];
  /** Indeterminate adds present in the final reads. */
  recovered: number;
  recoveredElements: number[];
  /** Elements read (by any ok read) that no add ever attempted. */
  unexpected: number;
  unexpectedElements: number[];
  /** Elements whose add failed, yet some read returned them: a violation. */
  failedPresent: number;
  failedPresentElements: number[];
  /** Elements in some nodes' latest final reads but not all of them. */
  divergent: number;
  divergentElements: number[];
  /** Final reads exist and every node's latest final read returned the same elements. */
  converged: boolean;
  finalReads: FinalReadsSummary;
  /** ok reads, final or not. */
  reads: number;
  /** Non-final ok reads missing an element whose add was acknowledged before the read was invoked. */
  staleReads: number;
  /** ok reads whose value is not an array of safe integers. */
  malformedReads: number;
  /** A few malformed values, previewed and clipped. */
  malformedExamples: string[];
  /**
   * Per acknowledged element: ms from the add's ok completion to the
   * completion of the first ok read that returned it (an upper bound on when
   * it became visible; 0 when a read concurrent with the add already saw it).
   */
  visibilityMs: Quantiles;
  /** Cap applied to the *Elements lists other than lostElements. */
  elementsCap: number;
  /** One line for humans. */
  summary: string;
}

interface ElementState {
  ok: boolean;
  fail: boolean;
  info: boolean;
  /** Earliest ok completion time, ns. */
  ackTime: number;
}

interface GoodRead {
  pair: OpPair;
  elements: number[];
}

export const setChecker: Checker<SetCheckerResult> = {
  name: 'set',
  check: async (history, ctx) => checkSet(history, ctx),
};

/** Pure and synchronous; `setChecker.check` wraps it. */
export const checkSet = (history: readonly Op[], ctx: Pick<CheckContext, 'nodes'>): SetCheckerResult => {
  const pairs = pairClientOps(history);
  const elements = new Map<number, ElementState>();
  const reads: GoodRead[] = [];
  const malformedExamples: string[] = [];
  let malformedReads = 0;
  // Final reads start after the last add completion; an add that never completed
  // never ends, so an interrupted run has no final reads.
  let lastAddEnd = Number.NEGATIVE_INFINITY;

  for (const pair of pairs) {
    if (pair.f === 'add') {
      lastAddEnd = Math.max(lastAddEnd, pair.completion?.time ?? Number.POSITIVE_INFINITY);
      const el = pair.invoke.value;
      if (typeof el !== 'number' || !Number.isSafeInteger(el)) continue;
      const st = elements.get(el) ?? { ok: false, fail: false, info: false, ackTime: Number.POSITIVE_INFINITY };
      const outcome = outcomeOf(pair);
      st[outcome] = true;
      if (outcome === 'ok') st.ackTime = Math.min(st.ackTime, pair.completion!.time);
      elements.set(el, st);
    } else if (pair.f === 'read' && pair.completion?.type === 'ok') {
      const parsed = parseReadValue(pair.completion.value);
      if (parsed === undefined) {
        malformedReads++;
        if (malformedExamples.length < 5) malformedExamples.push(previewValue(pair.completion.value));
      } else {
        reads.push({ pair, elements: parsed });
      }
    }
  }

  const isFinal = (r: GoodRead): boolean => r.pair.invoke.time > lastAddEnd;
  const finals = reads.filter(isFinal);

  // Union of final reads, and each node's latest final read for convergence.
  const finalUnion = new Set<number>();
  const latestByNode = new Map<string, GoodRead>();
  const byNode: FinalReadsSummary['byNode'] = {};
  for (const r of finals) {
    for (const e of r.elements) finalUnion.add(e);
    const node = r.pair.completion?.node ?? r.pair.invoke.node ?? '?';
    const prev = latestByNode.get(node);
    if (prev === undefined || r.pair.invoke.time >= prev.pair.invoke.time) latestByNode.set(node, r);
    byNode[node] = { reads: (byNode[node]?.reads ?? 0) + 1, elements: 0 };
  }
  for (const [node, r] of latestByNode) byNode[node]!.elements = r.elements.length;

  const lostElements: number[] = [];
  const recoveredElements: number[] = [];
  let acked = 0;
  let failed = 0;
  let indeterminate = 0;
  for (const [el, st] of elements) {
    if (st.ok) {
      acked++;
      if (finals.length > 0 && !finalUnion.has(el)) lostElements.push(el);
    } else if (st.info) {
      indeterminate++;
      if (finalUnion.has(el)) recoveredElements.push(el);
    } else {
      failed++;
    }
  }

  // Anything any read returned: unexpected and failed-but-present elements.
  const unexpectedSet = new Set<number>();
  const failedPresentSet = new Set<number>();
  for (const r of reads) {
    for (const e of r.elements) {
      const st = elements.get(e);
      if (st === undefined) unexpectedSet.add(e);
      else if (st.fail && !st.ok && !st.info) failedPresentSet.add(e);
    }
  }

  const latestSets = [...latestByNode.values()].map((r) => new Set(r.elements));
  const divergentElements: number[] = [];
  if (latestSets.length > 1) {
    const union = new Set<number>();
    for (const s of latestSets) for (const e of s) union.add(e);
    for (const e of union) if (!latestSets.every((s) => s.has(e))) divergentElements.push(e);
  }

  const staleReads = countStaleReads(
    reads.filter((r) => !isFinal(r)),
    elements,
  );
  const visibilityMs = visibility(reads, elements);

  const sorted = (xs: Iterable<number>): number[] => Array.from(Float64Array.from(xs).sort());
  const capped = (xs: Iterable<number>): number[] => sorted(xs).slice(0, ELEMENTS_CAP);

  const lost = lostElements.length;
  const unexpected = unexpectedSet.size;
  const failedPresent = failedPresentSet.size;
  let valid: Validity = true;
  if (lost > 0 || unexpected > 0 || failedPresent > 0) valid = false;
  else if (finals.length === 0) valid = 'unknown';

  const nodesSeen = new Set(latestByNode.keys());
  const result: SetCheckerResult = {
    valid,
    attempted: elements.size,
    acked,
    failed,
    indeterminate,
    lost,
    lostElements: sorted(lostElements),
    recovered: recoveredElements.length,
    recoveredElements: capped(recoveredElements),
    unexpected,
    unexpectedElements: capped(unexpectedSet),
    failedPresent,
    failedPresentElements: capped(failedPresentSet),
    divergent: divergentElements.length,
    divergentElements: capped(divergentElements),
    converged: finals.length > 0 && divergentElements.length === 0,
    finalReads: { count: finals.length, byNode, missingNodes: ctx.nodes.filter((n) => !nodesSeen.has(n)) },
    reads: reads.length,
    staleReads,
    malformedReads,
    malformedExamples,
    visibilityMs,
    elementsCap: ELEMENTS_CAP,
    summary: '',
  };
  result.summary = summarizeSet(result);
  return result;
};

/** "3 of 812 acknowledged adds lost; 2 recovered; ..." */
export const summarizeSet = (r: SetCheckerResult): string => {
  if (r.finalReads.count === 0) {
    const why = r.unexpected + r.failedPresent > 0 ? '' : ': cannot tell which acknowledged adds were lost';
    return `no final read${why}${extras(r)}`;
  }
  return `${r.lost} of ${r.acked} acknowledged adds lost; ${r.recovered} of ${r.indeterminate} indeterminate adds recovered${extras(r)}`;
};

const extras = (r: SetCheckerResult): string => {
  const parts: string[] = [];
  if (r.unexpected > 0) parts.push(`${r.unexpected} unexpected elements read`);
  if (r.failedPresent > 0) parts.push(`${r.failedPresent} failed adds present`);
  if (r.divergent > 0) parts.push(`${r.divergent} elements divergent across nodes`);
  if (r.staleReads > 0) parts.push(`${r.staleReads} stale reads`);
  if (r.malformedReads > 0) parts.push(`${r.malformedReads} malformed reads`);
  return parts.length > 0 ? `; ${parts.join('; ')}` : '';
};

/** An array of safe integers, deduplicated; undefined for anything else. */
const parseReadValue = (v: unknown): number[] | undefined => {
  if (!Array.isArray(v)) return undefined;
  const seen = new Set<number>();
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isSafeInteger(x)) return undefined;
    seen.add(x);
  }
  return [...seen];
};

/**
 * A read is stale when it misses an element acknowledged before it was
 * invoked (strictly before: closed intervals that touch overlap). The
 * elements acknowledged before time t are a prefix of the acks sorted by
 * time, so each read costs its own size plus a binary search.
 */
const countStaleReads = (reads: readonly GoodRead[], elements: ReadonlyMap<number, ElementState>): number => {
  const ackTimes = Float64Array.from([...elements.values()].filter((s) => s.ok).map((s) => s.ackTime)).sort();
  let stale = 0;
  for (const r of reads) {
    const t = r.pair.invoke.time;
    const ackedBefore = lowerBound(ackTimes, t);
    if (ackedBefore === 0) continue;
    let present = 0;
    for (const e of r.elements) {
      const st = elements.get(e);
      if (st?.ok && st.ackTime < t) present++;
    }
    if (present < ackedBefore) stale++;
  }
  return stale;
};

/** Number of entries < x in a sorted array. */
const lowerBound = (sorted: Float64Array, x: number): number => {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

const visibility = (reads: readonly GoodRead[], elements: ReadonlyMap<number, ElementState>): Quantiles => {
  const byCompletion = [...reads].sort((a, b) => a.pair.completion!.time - b.pair.completion!.time);
  const firstSeen = new Map<number, number>();
  for (const r of byCompletion) {
    const t = r.pair.completion!.time;
    for (const e of r.elements) if (!firstSeen.has(e)) firstSeen.set(e, t);
  }
  const latencies: number[] = [];
  for (const [el, st] of elements) {
    if (!st.ok) continue;
    const seen = firstSeen.get(el);
    if (seen !== undefined) latencies.push(Math.max(0, seen - st.ackTime) / NS_PER_MS);
  }
  return quantiles(latencies);
};
