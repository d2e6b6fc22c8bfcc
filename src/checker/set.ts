import { NS_PER_MS } from '../base/time.ts';
import type { Op } from '../history/op.ts';
import { type OpPair, outcomeOf, pairClientOps } from '../history/pairs.ts';
import { previewValue } from '../history/preview.ts';
import type { CheckContext, Checker, CheckerResult, Validity } from './checker.ts';
import { type Convergence, type FinalReadsSummary, summarizeFinalReads } from './final-reads.ts';
import { type Quantiles, quantiles } from './quantiles.ts';
import { lowerBound } from './sorted.ts';

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

interface GoodRead {
  pair: OpPair;
  /** The read's value, validated: safe integers, possibly with duplicates. */
  elements: readonly number[];
}

// Outcome flags of an element's adds.
const OK = 1;
const FAIL = 2;
const INFO = 4;

/**
 * Per-element state in typed arrays indexed by a dense id, so that the inner
 * loops over read values (tens of millions of entries in a long run) do one
 * lookup per entry. Ids come from a direct table when the attempted elements
 * are small non-negative integers (the usual 0, 1, 2, ...), else from a Map.
 */
class ElementTable {
  /** id → element */
  readonly elements: number[] = [];
  flags = new Uint8Array(0);
  /** Earliest ok completion of the element's adds, ns; Infinity when none was ok. */
  ackTime = new Float64Array(0);
  private readonly ids = new Map<number, number>();
  private direct: Int32Array | undefined;
  private flagList: number[] = [];
  private ackList: number[] = [];

  /** Records one add's outcome; `ackTime` is its ok completion time (Infinity otherwise). */
  add(element: number, flag: number, ackTime: number): void {
    let id = this.ids.get(element);
    if (id === undefined) {
      id = this.elements.length;
      this.ids.set(element, id);
      this.elements.push(element);
      this.flagList.push(0);
      this.ackList.push(Number.POSITIVE_INFINITY);
    }
    this.flagList[id]! |= flag;
    this.ackList[id] = Math.min(this.ackList[id]!, ackTime);
  }

  /** Freezes the table into typed arrays; call once, after every add. */
  seal(): void {
    this.flags = Uint8Array.from(this.flagList);
    this.ackTime = Float64Array.from(this.ackList);
    this.flagList = [];
    this.ackList = [];
    const max = this.elements.reduce((m, e) => Math.max(m, e), -1);
    const min = this.elements.reduce((m, e) => Math.min(m, e), 0);
    if (min >= 0 && max < 4 * this.elements.length + 65_536) {
      const direct = new Int32Array(max + 1).fill(-1);
      this.elements.forEach((e, id) => {
        direct[e] = id;
      });
      this.direct = direct;
    }
  }

  /** The element's id, or -1 when no add attempted it. */
  idOf(element: number): number {
    const d = this.direct;
    if (d !== undefined) return element >= 0 && element < d.length ? d[element]! : -1;
    return this.ids.get(element) ?? -1;
  }

  get size(): number {
    return this.elements.length;
  }
}

export const setChecker: Checker<SetCheckerResult> = {
  name: 'set',
  check: async (history, ctx) => checkSet(history, ctx),
};

/** Pure and synchronous; `setChecker.check` wraps it. */
export const checkSet = (history: readonly Op[], ctx: Pick<CheckContext, 'nodes'>): SetCheckerResult => {
  const pairs = pairClientOps(history);
  const table = new ElementTable();
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
      const outcome = outcomeOf(pair);
      const flag = outcome === 'ok' ? OK : outcome === 'fail' ? FAIL : INFO;
      table.add(el, flag, outcome === 'ok' ? pair.completion!.time : Number.POSITIVE_INFINITY);
    } else if (pair.f === 'read' && pair.completion?.type === 'ok') {
      const value = pair.completion.value;
      if (isIntegerArray(value)) {
        reads.push({ pair, elements: value });
      } else {
        malformedReads++;
        if (malformedExamples.length < 5) malformedExamples.push(previewValue(value));
      }
    }
  }
  table.seal();
  const n = table.size;
  const { flags, ackTime } = table;

  const isFinal = (r: GoodRead): boolean => r.pair.invoke.time > lastAddEnd;
  const finals = reads.filter(isFinal);

  // One pass over every read, in completion order (for first-seen times).
  const completionTime = (r: GoodRead): number => r.pair.completion!.time;
  reads.sort((a, b) => completionTime(a) - completionTime(b));
  const ackTimes = ackTime.filter((t) => Number.isFinite(t)).sort();
  const inFinal = new Uint8Array(n);
  const firstSeen = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const stamp = new Int32Array(n).fill(-1); // dedupes a read's duplicate entries
  const distinctSize = new Map<GoodRead, number>();
  const unexpectedSet = new Set<number>();
  const failedPresentSet = new Set<number>();
  let staleReads = 0;
  reads.forEach((r, k) => {
    const final = isFinal(r);
    const t = r.pair.invoke.time;
    const done = completionTime(r);
    let present = 0; // elements acknowledged before t that this read returned
    let distinct = 0;
    for (const e of r.elements) {
      const id = table.idOf(e);
      if (id < 0) {
        unexpectedSet.add(e);
        distinct++;
        continue;
      }
      if (stamp[id] === k) continue;
      stamp[id] = k;
      distinct++;
      const fl = flags[id]!;
      if (fl === FAIL) failedPresentSet.add(e);
      if (firstSeen[id] === Number.POSITIVE_INFINITY) firstSeen[id] = done;
      if (final) inFinal[id] = 1;
      else if (ackTime[id]! < t) present++;
    }
    distinctSize.set(r, distinct);
    // Stale: misses an element acknowledged strictly before the read was invoked
    // (closed intervals that touch overlap). Those acks are a prefix of ackTimes.
    if (!final && present < lowerBound(ackTimes, t)) staleReads++;
  });

  // Each node's latest final read, for convergence.
  const latestByNode = new Map<string, GoodRead>();
  const servedBy: string[] = [];
  for (const r of finals) {
    const node = servingNode(r.pair);
    servedBy.push(node);
    const prev = latestByNode.get(node);
    if (prev === undefined || r.pair.invoke.time >= prev.pair.invoke.time) latestByNode.set(node, r);
  }
  const sizes = new Map([...latestByNode].map(([node, r]) => [node, distinctSize.get(r)!]));
  const divergentElements = divergent([...latestByNode.values()], table);

  const lostElements: number[] = [];
  const recoveredElements: number[] = [];
  const visibilities: number[] = [];
  let acked = 0;
  let failed = 0;
  let indeterminate = 0;
  for (let id = 0; id < n; id++) {
    const fl = flags[id]!;
    if (fl & OK) {
      acked++;
      if (finals.length > 0 && !inFinal[id]) lostElements.push(table.elements[id]!);
      if (Number.isFinite(firstSeen[id]!)) visibilities.push(Math.max(0, firstSeen[id]! - ackTime[id]!) / NS_PER_MS);
    } else if (fl & INFO) {
      indeterminate++;
      if (inFinal[id]) recoveredElements.push(table.elements[id]!);
    } else {
      failed++;
    }
  }
  const visibilityMs = quantiles(visibilities);

  const sorted = (xs: Iterable<number>): number[] => Array.from(Float64Array.from(xs).sort());
  const capped = (xs: Iterable<number>): number[] => sorted(xs).slice(0, ELEMENTS_CAP);

  const lost = lostElements.length;
  const unexpected = unexpectedSet.size;
  const failedPresent = failedPresentSet.size;
  let valid: Validity = true;
  if (lost > 0 || unexpected > 0 || failedPresent > 0) valid = false;
  else if (finals.length === 0) valid = 'unknown';

  const result: SetCheckerResult = {
    valid,
    attempted: n,
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
    finalReads: summarizeFinalReads(servedBy, ctx.nodes, sizes),
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

const servingNode = (pair: OpPair): string => pair.completion?.node ?? pair.invoke.node ?? '?';

/** What the `convergence` claim reads from a set result. */
export const setConvergence = (r: SetCheckerResult): Convergence => ({
  finalReads: r.finalReads,
  converged: r.converged,
  divergent: r.divergent,
  divergentWhat: 'elements',
});

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

/** Untrusted read values: only an array of safe integers is a set. */
const isIntegerArray = (v: unknown): v is number[] => {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (typeof x !== 'number' || !Number.isSafeInteger(x)) return false;
  return true;
};

/** Elements in some of the reads but not all of them (a read may repeat an element). */
const divergent = (latest: readonly GoodRead[], table: ElementTable): number[] => {
  if (latest.length < 2) return [];
  const counts = new Uint16Array(table.size);
  const stamp = new Int32Array(table.size).fill(-1);
  const unexpectedCounts = new Map<number, number>();
  latest.forEach((r, k) => {
    const seenUnexpected = new Set<number>();
    for (const e of r.elements) {
      const id = table.idOf(e);
      if (id >= 0) {
        if (stamp[id] !== k) counts[id]!++;
        stamp[id] = k;
      } else if (!seenUnexpected.has(e)) {
        seenUnexpected.add(e);
        unexpectedCounts.set(e, (unexpectedCounts.get(e) ?? 0) + 1);
      }
    }
  });
  const out: number[] = [];
  counts.forEach((c, id) => {
    if (c > 0 && c < latest.length) out.push(table.elements[id]!);
  });
  for (const [e, c] of unexpectedCounts) if (c < latest.length) out.push(e);
  return out;
};
