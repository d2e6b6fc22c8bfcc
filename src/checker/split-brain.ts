import { NS_PER_MS } from '../base/time.ts';
import type { Op } from '../history/op.ts';
import { pairClientOps } from '../history/pairs.ts';
import type { Checker, CheckerResult, Validity } from './checker.ts';
import { round3 } from './quantiles.ts';
import { lowerBound } from './sorted.ts';

/**
 * The `split-brain` checker: did two nodes acknowledge writes as leader at
 * the same time, and did a deposed leader acknowledge writes after a newer
 * leader had (no fencing)? Measured from the history alone, for
 * single-leader systems, where every acknowledged write was acknowledged by
 * the leader of its term.
 *
 * Every ok completion of an operation other than `read` is an
 * *acknowledgement* by the node that served it (`op.node`), under the term
 * the system reported (`op.term`, when it does). A *tenure* is all
 * acknowledgements of one (node, term); without terms, of one node. An
 * acknowledgement took effect at some instant of its [invoke, completion]
 * interval, so a tenure was certainly acknowledging writes throughout
 * (first completion, last invocation) — its *span*.
 *
 * - **Split brain**: an acknowledgement y by another node lies wholly
 *   inside tenure X's span (y.invoke > span start, y.completion < span end):
 *   X acknowledged writes before and after y, so two nodes were leaders at
 *   once. Each such pair of tenures gives an interval, from the first such
 *   y's invocation to the last one's completion.
 * - **Fencing**: an acknowledgement under term t invoked after an
 *   acknowledgement under a higher term had completed — a deposed leader
 *   still acknowledging after its successor did. Needs terms.
 *
 * Without terms, a leader re-elected after another cannot be told from two
 * leaders at once, so a finding is reported but `valid` is `unknown`.
 */

/** Most intervals and deposed acknowledgements listed. */
export const ITEMS_CAP = 1000;

export interface SplitBrainInterval {
  /** ms since the run started. */
  startMs: number;
  endMs: number;
  /** The leader whose span contains the other's acknowledgements, then the other. */
  nodes: [string, string];
  /** Their terms, when reported. */
  terms: [number | null, number | null];
  /** Acknowledgements of the second leader inside the first one's span. */
  writes: number;
  /** History index of the first such acknowledgement (its completion). */
  firstIndex: number;
}

/** A write acknowledged by a deposed leader after its successor acknowledged one. */
export interface DeposedAck {
  /** Completion index of the deposed leader's acknowledgement. */
  index: number;
  node: string;
  term: number;
  f: string;
  key: string | null;
  /** When it was invoked, ms. */
  invokeMs: number;
  /** The newer leader's acknowledgement that completed before it was invoked. */
  newerIndex: number;
  newerNode: string;
  newerTerm: number;
  /** ms between the newer acknowledgement and this one's invocation. */
  afterMs: number;
}

export interface Tenure {
  node: string;
  term: number | null;
  acks: number;
  /** First completion and last invocation of its acknowledgements, ms (the span; empty when start ≥ end). */
  startMs: number;
  endMs: number;
}

/** results.json `checkers.split-brain`. Names are a contract: add fields, never rename. */
export interface SplitBrainCheckerResult extends CheckerResult {
  valid: Validity;
  /** Acknowledged (ok) writes. */
  acks: number;
  /** Every acknowledgement carried a term. */
  termsReported: boolean;
  /** Leader tenures, by first acknowledgement. */
  tenures: Tenure[];
  /** Pairs of leaders that acknowledged writes at the same time, merged per pair; at most ITEMS_CAP. */
  intervals: SplitBrainInterval[];
  /** Number of intervals (uncapped). */
  splitBrainIntervals: number;
  /** Total time covered by the intervals, ms (overlaps counted once). */
  splitBrainMs: number;
  /** Writes acknowledged by a deposed leader after a newer leader acknowledged one (terms only). */
  deposedAcks: number;
  deposedExamples: DeposedAck[];
  summary: string;
}

export const splitBrainChecker: Checker<SplitBrainCheckerResult> = {
  name: 'split-brain',
  check: async (history) => checkSplitBrain(history),
};

interface Ack {
  node: string;
  term: number | undefined;
  invoke: number;
  complete: number;
  index: number;
  f: string;
  key: string | undefined;
}

interface Group {
  node: string;
  term: number | undefined;
  acks: Ack[];
  /** Span: first completion, last invocation (ns). */
  start: number;
  end: number;
}

/** Pure and synchronous; `splitBrainChecker.check` wraps it. */
export const checkSplitBrain = (history: readonly Op[]): SplitBrainCheckerResult => {
  const acks: Ack[] = [];
  for (const p of pairClientOps(history)) {
    const c = p.completion;
    if (p.f === 'read' || c?.type !== 'ok') continue;
    const node = c.node ?? p.invoke.node;
    if (node === undefined) continue;
    acks.push({
      node,
      term: c.term,
      invoke: p.invoke.time,
      complete: c.time,
      index: c.index,
      f: p.f,
      key: p.invoke.key,
    });
  }
  const termsReported = acks.length > 0 && acks.every((a) => a.term !== undefined);

  const groups = new Map<string, Group>();
  for (const a of acks) {
    const id = a.term === undefined ? `${a.node}` : `${a.node}\u0000${a.term}`;
    let g = groups.get(id);
    if (g === undefined) {
      g = { node: a.node, term: a.term, acks: [], start: Number.POSITIVE_INFINITY, end: Number.NEGATIVE_INFINITY };
      groups.set(id, g);
    }
    g.acks.push(a);
    g.start = Math.min(g.start, a.complete);
    g.end = Math.max(g.end, a.invoke);
  }
  const ordered = [...groups.values()].sort((a, b) => a.start - b.start);

  // Split brain: acknowledgements of another node wholly inside a tenure's span.
  const byInvoke = [...acks].sort((a, b) => a.invoke - b.invoke);
  const invokes = Float64Array.from(byInvoke, (a) => a.invoke);
  const pairs = new Map<string, { x: Group; y: Group; start: number; end: number; writes: number; first: Ack }>();
  for (const x of ordered) {
    if (!(x.start < x.end)) continue;
    for (let i = lowerBound(invokes, x.start); i < byInvoke.length && byInvoke[i]!.invoke < x.end; i++) {
      const y = byInvoke[i]!;
      if (y.node === x.node || !(y.invoke > x.start) || !(y.complete < x.end)) continue;
      const yId = y.term === undefined ? `${y.node}` : `${y.node}\u0000${y.term}`;
      const key = `${x.node}\u0000${x.term}\u0001${yId}`;
      const entry = pairs.get(key);
      if (entry === undefined)
        pairs.set(key, { x, y: groups.get(yId)!, start: y.invoke, end: y.complete, writes: 1, first: y });
      else {
        entry.start = Math.min(entry.start, y.invoke);
        entry.end = Math.max(entry.end, y.complete);
        entry.writes++;
        if (y.complete < entry.first.complete) entry.first = y;
      }
    }
  }
  const intervals: SplitBrainInterval[] = [...pairs.values()]
    .sort((a, b) => a.start - b.start)
    .map((p) => ({
      startMs: round3(p.start / NS_PER_MS),
      endMs: round3(p.end / NS_PER_MS),
      nodes: [p.x.node, p.y.node],
      terms: [p.x.term ?? null, p.y.term ?? null],
      writes: p.writes,
      firstIndex: p.first.index,
    }));

  // Fencing: an acknowledgement under a lower term invoked after one under a higher term completed.
  const deposed: DeposedAck[] = [];
  let deposedCount = 0;
  if (termsReported) {
    const byComplete = [...acks].sort((a, b) => a.complete - b.complete);
    const completes = Float64Array.from(byComplete, (a) => a.complete);
    // Prefix: the highest-term acknowledgement among the first i completions.
    const best: Ack[] = [];
    byComplete.forEach((a, i) => {
      const prev = best[i - 1];
      best.push(prev !== undefined && prev.term! >= a.term! ? prev : a);
    });
    for (const a of [...acks].sort((p, q) => p.invoke - q.invoke)) {
      const n = lowerBound(completes, a.invoke);
      const newer = n > 0 ? best[n - 1]! : undefined;
      if (newer === undefined || !(newer.term! > a.term!)) continue;
      deposedCount++;
      if (deposed.length < ITEMS_CAP)
        deposed.push({
          index: a.index,
          node: a.node,
          term: a.term!,
          f: a.f,
          key: a.key ?? null,
          invokeMs: round3(a.invoke / NS_PER_MS),
          newerIndex: newer.index,
          newerNode: newer.node,
          newerTerm: newer.term!,
          afterMs: round3((a.invoke - newer.complete) / NS_PER_MS),
        });
    }
  }

  let valid: Validity = true;
  if (intervals.length > 0 || deposedCount > 0) valid = termsReported ? false : 'unknown';
  else if (acks.length === 0) valid = 'unknown';

  const result: SplitBrainCheckerResult = {
    valid,
    acks: acks.length,
    termsReported,
    tenures: ordered.map((g) => ({
      node: g.node,
      term: g.term ?? null,
      acks: g.acks.length,
      startMs: round3(g.start / NS_PER_MS),
      endMs: round3(g.end / NS_PER_MS),
    })),
    intervals: intervals.slice(0, ITEMS_CAP),
    splitBrainIntervals: intervals.length,
    splitBrainMs: round3(unionLength(intervals)),
    deposedAcks: deposedCount,
    deposedExamples: deposed,
    summary: '',
  };
  result.summary = summarizeSplitBrain(result);
  return result;
};

/** "2 intervals (340 ms) in which two nodes acknowledged writes as leader; 12 writes acknowledged by a deposed leader" */
export const summarizeSplitBrain = (r: SplitBrainCheckerResult): string => {
  if (r.acks === 0) return 'no acknowledged write: nothing to judge';
  const leaders = new Set(r.tenures.map((t) => t.node)).size;
  const parts = [`${r.acks} acknowledged writes by ${leaders} node(s) in ${r.tenures.length} tenure(s)`];
  parts.push(
    r.splitBrainIntervals === 0
      ? 'never two leaders at once'
      : `${r.splitBrainIntervals} interval(s) (${r.splitBrainMs} ms) in which two nodes acknowledged writes as leader`,
  );
  if (r.termsReported) parts.push(`${r.deposedAcks} writes acknowledged by a deposed leader`);
  else parts.push('no terms reported: a re-elected leader cannot be told from a second one, fencing not judged');
  return parts.join('; ');
};

/** Length of the union of intervals, ms. */
const unionLength = (intervals: readonly SplitBrainInterval[]): number => {
  const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs);
  let total = 0;
  let curStart = Number.NEGATIVE_INFINITY;
  let curEnd = Number.NEGATIVE_INFINITY;
  for (const i of sorted) {
    if (i.startMs > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = i.startMs;
      curEnd = i.endMs;
    } else curEnd = Math.max(curEnd, i.endMs);
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
};
