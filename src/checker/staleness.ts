import { NS_PER_MS } from '../base/time.ts';
import type { Op } from '../history/op.ts';
import { previewValue } from '../history/preview.ts';
import type { CheckContext, Checker, CheckerResult, MeasureRequest, Validity } from './checker.ts';
import { type Quantiles, quantiles, round3 } from './quantiles.ts';
import { sortedRecord } from './records.ts';
import {
  type KeyHistory,
  producers,
  type RegisterRead,
  type RegisterWrite,
  readRegisterHistory,
  type ValueId,
} from './register-history.ts';
import { lowerBoundFrom, topK, upperBound } from './sorted.ts';

/**
 * The `staleness` checker: how far behind the register reads were.
 *
 * A read of key k returned the value of write w (values are unique, so the
 * value names w; null names the initial state, written and completed at 0).
 * A write x *supersedes* it when x was acknowledged (ok) and lies strictly
 * between w and the read in real time: x.invoke > w.complete and
 * x.complete < read.invoke. Then a newer value was certainly in place
 * before the read began, and the read is *stale* — by as many versions as
 * there are superseding writes, and by read.invoke minus the earliest
 * superseding completion, in ms. With siblings (version vectors) the read
 * is stale only if every sibling is superseded; the freshest one counts.
 *
 * Also measured, after PBS (Bailis et al. 2012, "Probabilistically Bounded
 * Staleness"): for each read, t = ms since the latest acknowledged write
 * on its key, and whether the read saw that write (or something not older);
 * the share of consistent reads per t bucket is the t-visibility curve.
 *
 * Cost: per key, writes are sorted by invoke and completion; a read's
 * superseding writes are found by binary search over a suffix minimum, and
 * counted offline with a Fenwick tree, so O((reads + writes) log writes).
 */

/** Upper edges of the t-visibility buckets, ms; the last bucket is [1000, ∞). */
export const T_EDGES_MS: readonly number[] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
/** Points of the t-visibility curve always measured, ms; a claim's bound adds its own. */
export const VISIBILITY_AFTER_MS: readonly number[] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
/** Quantiles of staleness over every read always measured; a claim's bound adds its own. */
export const STANDARD_QUANTILES: readonly number[] = [0.5, 0.9, 0.95, 0.99, 0.999, 1];
/** Most stale-read examples kept. */
export const EXAMPLES_CAP = 10;
/** Most stale reads listed for attribution in the report (the stalest). */
export const ITEMS_CAP = 1000;
/** Most distinct unexpected values kept (previewed). */
export const UNEXPECTED_CAP = 20;

export interface StaleReadExample {
  key: string;
  /** The value the read returned (siblings: an array). */
  value: unknown;
  /** Value of the earliest-acknowledged superseding write. */
  supersededBy: unknown;
  versionsBehind: number;
  staleMs: number;
  /** Node that served the read. */
  node: string;
  /** Index of the read's completion op. */
  readIndex: number;
  /** Index of the completion op of the write whose value was read; -1 for the initial state. */
  writeIndex: number;
  /** Index of the completion op of the superseding write. */
  supersedingIndex: number;
  /** When the read began, ms. */
  invokeMs: number;
}

export interface TVisibilityBucket {
  /** Bucket [geMs, ltMs) of t, the ms between the latest acknowledged write and the read's start. */
  geMs: number;
  /** null: no upper edge (∞). */
  ltMs: number | null;
  reads: number;
  /** Reads that returned that write or something not older. */
  consistent: number;
  /** consistent / reads; null when the bucket is empty. */
  probability: number | null;
}

/** One point of the t-visibility curve. */
export interface VisibilityPoint {
  /** t: reads that began at least this many ms after a write's acknowledgement. */
  afterMs: number;
  /** Reads with an acknowledged write at least t ms before them (the latest such write is the one judged). */
  reads: number;
  /** Of those, reads that returned that write or something not older. */
  consistent: number;
  /** consistent / reads; null when no read qualifies. */
  probability: number | null;
}

/** Staleness of every judged read (0 for a fresh one) at one quantile. */
export interface StalenessQuantile {
  q: number;
  ms: number | null;
  versions: number | null;
}

/** results.json `checkers.staleness`. Names are a contract: add fields, never rename. */
export interface StalenessCheckerResult extends CheckerResult {
  valid: Validity;
  /** ok reads, including those with unexpected or malformed values. */
  reads: number;
  staleReads: number;
  /** staleReads / reads; null when there is no read. */
  staleFraction: number | null;
  /** Over stale reads: how many acknowledged writes each missed. */
  versionsBehind: Quantiles;
  /** Over stale reads: ms from the first superseding acknowledgement to the read's start. */
  staleMs: Quantiles;
  /** 0 when no read was stale. */
  maxStaleMs: number;
  /** Per serving node. */
  byNode: Record<string, { reads: number; staleReads: number }>;
  /** Reads whose value no write could have produced: never written (on that key), written only by failed ops, or malformed. */
  unexpected: number;
  /** Distinct unexpected values, previewed, at most UNEXPECTED_CAP. */
  unexpectedValues: string[];
  /** The stalest reads (by staleMs), at most EXAMPLES_CAP. */
  examples: StaleReadExample[];
  /** Reads before which no write was acknowledged on their key are not in any bucket. */
  tVisibility: TVisibilityBucket[];
  /**
   * PBS t-visibility as a curve: for each t, of the reads that began at
   * least t ms after some write's acknowledgement, the share that saw the
   * latest such write (or newer). Sorted by t.
   */
  tVisibilityCurve: VisibilityPoint[];
  /** Staleness over every judged read (ok reads minus unexpected ones; fresh reads count 0), by quantile, sorted by q. */
  distribution: StalenessQuantile[];
  /** Stale reads for attribution in the report: the stalest, at most ITEMS_CAP. */
  items: StaleReadExample[];
  summary: string;
}

export const stalenessChecker: Checker<StalenessCheckerResult> = {
  name: 'staleness',
  check: async (history, ctx) => checkStaleness(history, ctx.measure),
};

interface StaleRead {
  read: RegisterRead;
  /** Write of the freshest value the read returned. */
  from: RegisterWrite;
  earliest: RegisterWrite;
  versionsBehind: number;
  staleMs: number;
}

interface Tally {
  reads: number;
  unexpected: number;
  unexpectedValues: Set<string>;
  stale: StaleRead[];
  byNode: Map<string, { reads: number; staleReads: number }>;
  tReads: number[];
  tConsistent: number[];
  /** Per point of `afterNs`. */
  curveReads: number[];
  curveConsistent: number[];
  afterNs: number[];
}

/** Pure and synchronous; `stalenessChecker.check` wraps it. */
export const checkStaleness = (
  history: readonly Op[],
  measure: CheckContext['measure'] = {},
): StalenessCheckerResult => {
  const afterMs = sortedUnique([...VISIBILITY_AFTER_MS, ...(measure.visibilityAfterMs ?? [])].filter((t) => t >= 0));
  const tally: Tally = {
    reads: 0,
    unexpected: 0,
    unexpectedValues: new Set(),
    stale: [],
    byNode: new Map(),
    tReads: new Array(T_EDGES_MS.length).fill(0),
    tConsistent: new Array(T_EDGES_MS.length).fill(0),
    curveReads: new Array(afterMs.length).fill(0),
    curveConsistent: new Array(afterMs.length).fill(0),
    afterNs: afterMs.map((t) => Math.round(t * NS_PER_MS)),
  };
  for (const k of readRegisterHistory(history).keys.values()) checkKey(k, tally);

  const { stale } = tally;
  const staleMsValues = stale.map((s) => s.staleMs);
  const maxStaleMs = staleMsValues.reduce((m, x) => Math.max(m, x), 0);
  const stalest = topK(stale, ITEMS_CAP, (a, b) => b.staleMs - a.staleMs || a.read.index - b.read.index).map(
    (s): StaleReadExample => ({
      key: s.read.key,
      value: s.read.value,
      supersededBy: s.earliest.value,
      versionsBehind: s.versionsBehind,
      staleMs: round3(s.staleMs),
      node: s.read.node,
      readIndex: s.read.index,
      writeIndex: s.from.index,
      supersedingIndex: s.earliest.index,
      invokeMs: round3(s.read.invoke / NS_PER_MS),
    }),
  );
  const judged = tally.reads - tally.unexpected;

  let valid: Validity = true;
  if (stale.length > 0 || tally.unexpected > 0) valid = false;
  else if (tally.reads === 0) valid = 'unknown';

  const result: StalenessCheckerResult = {
    valid,
    reads: tally.reads,
    staleReads: stale.length,
    staleFraction: tally.reads === 0 ? null : round6(stale.length / tally.reads),
    versionsBehind: quantiles(stale.map((s) => s.versionsBehind)),
    staleMs: quantiles(staleMsValues),
    maxStaleMs: round3(maxStaleMs),
    byNode: sortedRecord(tally.byNode),
    unexpected: tally.unexpected,
    unexpectedValues: [...tally.unexpectedValues],
    examples: stalest.slice(0, EXAMPLES_CAP),
    tVisibility: T_EDGES_MS.map((geMs, i) => {
      const reads = tally.tReads[i]!;
      const consistent = tally.tConsistent[i]!;
      return {
        geMs,
        ltMs: T_EDGES_MS[i + 1] ?? null,
        reads,
        consistent,
        probability: reads === 0 ? null : round6(consistent / reads),
      };
    }),
    tVisibilityCurve: afterMs.map((t, i) => {
      const reads = tally.curveReads[i]!;
      const consistent = tally.curveConsistent[i]!;
      return { afterMs: t, reads, consistent, probability: reads === 0 ? null : round6(consistent / reads) };
    }),
    distribution: distributionOver(judged, stale, measure),
    items: stalest,
    summary: '',
  };
  result.summary = summarizeStaleness(result);
  return result;
};

/** "12 of 3400 reads stale (0.353%), up to 3 versions and 412 ms behind" */
export const summarizeStaleness = (r: StalenessCheckerResult): string => {
  if (r.reads === 0) return 'no ok read: nothing to judge';
  let s = `${r.staleReads} of ${r.reads} reads stale`;
  if (r.staleReads > 0) {
    s += ` (${round3((r.staleFraction ?? 0) * 100)}%), up to ${r.versionsBehind.max} versions and ${r.maxStaleMs} ms behind`;
  }
  if (r.unexpected > 0) s += `; ${r.unexpected} reads returned values nobody wrote`;
  return s;
};

/** Judges every ok read of one key. */
const checkKey = (k: KeyHistory, tally: Tally): void => {
  const byId = producers(k);
  const ok = k.writes.filter((w) => w.outcome === 'ok');
  // Superseding candidates sorted by invoke, with the suffix minimum of their completions:
  // the earliest completion among writes invoked after time t is one binary search away.
  const byInvoke = [...ok].sort((a, b) => a.invoke - b.invoke);
  const invokes = column(byInvoke, (w) => w.invoke);
  const sufMin = new Int32Array(byInvoke.length + 1).fill(-1); // index into byInvoke
  for (let i = byInvoke.length - 1; i >= 0; i--) {
    const next = sufMin[i + 1]!;
    sufMin[i] = next >= 0 && byInvoke[next]!.complete <= byInvoke[i]!.complete ? next : i;
  }
  // The same writes by completion, for "the latest acknowledged before t" and the offline count
  // (rankByComplete[j]: where byComplete[j] sits in byInvoke). A plain array: its sort is
  // adaptive, and writes come nearly in completion order already.
  const rankByComplete = Array.from(byInvoke.keys()).sort(
    (a, b) => byInvoke[a]!.complete - byInvoke[b]!.complete || a - b,
  );
  const byComplete = rankByComplete.map((i) => byInvoke[i]!);
  const completes = column(byComplete, (w) => w.complete);
  const invokesByComplete = column(byComplete, (w) => w.invoke);

  const staleHere: StaleRead[] = [];
  // Per judged read, for the curve below: when it began, and when the write it returned completed.
  const readInvokes = new Float64Array(k.reads.length);
  const fromCompletes = new Float64Array(k.reads.length);
  let judged = 0;
  let hint = 0;
  for (const read of k.reads) {
    tally.reads++;
    let node = tally.byNode.get(read.node);
    if (node === undefined) {
      node = { reads: 0, staleReads: 0 };
      tally.byNode.set(read.node, node);
    }
    node.reads++;
    const from = freshestProducer(read, byId);
    if (from === undefined) {
      tally.unexpected++;
      if (tally.unexpectedValues.size < UNEXPECTED_CAP) tally.unexpectedValues.add(previewValue(read.value));
      continue;
    }
    readInvokes[judged] = read.invoke;
    fromCompletes[judged] = from.complete;
    judged++;

    const first = upperBound(invokes, from.complete); // first write invoked strictly after `from` completed
    const m = sufMin[first]!;
    if (m >= 0 && byInvoke[m]!.complete < read.invoke) {
      node.staleReads++;
      const earliest = byInvoke[m]!;
      staleHere.push({
        read,
        from,
        earliest,
        versionsBehind: 0,
        staleMs: (read.invoke - earliest.complete) / NS_PER_MS,
      });
    }

    // t-visibility: the latest write acknowledged before the read began (the curve's point t = 0).
    // Reads come in roughly time order: each search starts where the last read's ended.
    const j = lowerBoundFrom(completes, read.invoke, hint) - 1;
    hint = j + 1;
    if (j >= 0) {
      const w = byComplete[j]!;
      const bucket = upperBound(T_EDGES_MS, (read.invoke - w.complete) / NS_PER_MS) - 1;
      tally.tReads[bucket]!++;
      // Consistent: it returned w, or a value whose write is not strictly before w.
      if (!(from.complete < w.invoke)) tally.tConsistent[bucket]!++;
    }
  }
  // The curve: per t, the latest write acknowledged at least t before the read (strictly before
  // for t = 0). One pass over plain columns per point.
  for (let p = 0; p < tally.afterNs.length; p++) {
    const t = tally.afterNs[p]!;
    let reads = 0;
    let consistent = 0;
    let h = 0;
    for (let i = 0; i < judged; i++) {
      const jt = lowerBoundFrom(completes, t === 0 ? readInvokes[i]! : readInvokes[i]! - t + 1, h) - 1;
      h = jt + 1;
      if (jt < 0) continue;
      reads++;
      if (!(fromCompletes[i]! < invokesByComplete[jt]!)) consistent++;
    }
    tally.curveReads[p]! += reads;
    tally.curveConsistent[p]! += consistent;
  }
  countVersionsBehind(staleHere, byInvoke, invokes, byComplete, rankByComplete);
  for (const s of staleHere) tally.stale.push(s);
};

/** A numeric field of each item as a Float64Array (Float64Array.from with a map function is slow). */
const column = <T>(items: readonly T[], field: (item: T) => number): Float64Array => {
  const out = new Float64Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = field(items[i]!);
  return out;
};

/** The write behind the freshest value a read returned, or undefined if any value has no possible write. */
const freshestProducer = (read: RegisterRead, byId: ReadonlyMap<ValueId, RegisterWrite>): RegisterWrite | undefined => {
  if (read.ids === undefined) return undefined;
  let best: RegisterWrite | undefined;
  for (const id of read.ids) {
    const w = byId.get(id);
    if (w === undefined) return undefined;
    if (best === undefined || w.complete > best.complete) best = w;
  }
  return best;
};

/**
 * versionsBehind = #{x ok : x.invoke > from.complete, x.complete < read.invoke}.
 * Offline: reads in order of invoke; ok writes enter a Fenwick tree over
 * their invoke rank once they completed before the read began; those
 * invoked at or before `from.complete` are subtracted.
 */
const countVersionsBehind = (
  stale: StaleRead[],
  byInvoke: readonly RegisterWrite[],
  invokes: Float64Array,
  byComplete: readonly RegisterWrite[],
  rankByComplete: ArrayLike<number>,
): void => {
  if (stale.length === 0) return;
  const tree = new Fenwick(byInvoke.length);
  let next = 0;
  for (const q of inInvokeOrder(stale)) {
    while (next < byComplete.length && byComplete[next]!.complete < q.read.invoke) {
      tree.add(rankByComplete[next]!);
      next++;
    }
    q.versionsBehind = next - tree.prefix(upperBound(invokes, q.from.complete));
  }
};

/** Stale reads sorted by invoke; they were found in read order, which is nearly that already. */
const inInvokeOrder = (stale: StaleRead[]): StaleRead[] => {
  for (let i = 1; i < stale.length; i++) {
    if (stale[i - 1]!.read.invoke > stale[i]!.read.invoke)
      return [...stale].sort((a, b) => a.read.invoke - b.read.invoke);
  }
  return stale;
};

/** Counts over positions 0..n-1: add one at a position, count positions < end. */
class Fenwick {
  private readonly t: Int32Array;
  constructor(n: number) {
    this.t = new Int32Array(n + 1);
  }
  add(pos: number): void {
    for (let i = pos + 1; i < this.t.length; i += i & -i) this.t[i]!++;
  }
  prefix(end: number): number {
    let s = 0;
    for (let i = end; i > 0; i -= i & -i) s += this.t[i]!;
    return s;
  }
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

const sortedUnique = (xs: readonly number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

/**
 * Nearest-rank quantiles of staleness over `judged` reads, of which the
 * stale ones carry their figures and the rest count 0 (as quantiles.ts
 * ranks: the ⌈q·n⌉-th smallest).
 */
const distributionOver = (
  judged: number,
  stale: readonly StaleRead[],
  measure: MeasureRequest,
): StalenessQuantile[] => {
  const qs = sortedUnique([...STANDARD_QUANTILES, ...(measure.quantiles ?? [])].filter((q) => q > 0 && q <= 1));
  const ms = column(stale, (s) => s.staleMs).sort();
  const versions = column(stale, (s) => s.versionsBehind).sort();
  const fresh = judged - stale.length;
  return qs.map((q) => {
    if (judged <= 0) return { q, ms: null, versions: null };
    const rank = Math.max(1, Math.ceil(q * judged));
    if (rank <= fresh) return { q, ms: 0, versions: 0 };
    return { q, ms: round3(ms[rank - fresh - 1]!), versions: versions[rank - fresh - 1]! };
  });
};

/** The measured staleness at quantile q, when the result has it. */
export const stalenessAt = (r: StalenessCheckerResult, q: number): StalenessQuantile | undefined =>
  r.distribution.find((d) => d.q === q);

/** The t-visibility point at t ms, when the result has it. */
export const visibilityAt = (r: StalenessCheckerResult, afterMs: number): VisibilityPoint | undefined =>
  r.tVisibilityCurve.find((p) => p.afterMs === afterMs);
