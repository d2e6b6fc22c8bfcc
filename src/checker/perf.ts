import { NS_PER_MS } from '../base/time.ts';
import type { FaultWindow } from '../history/faults.ts';
import { describeFault, faultWindows } from '../history/faults.ts';
import type { Op } from '../history/op.ts';
import { historyEnd, type Outcome, outcomeOf, pairClientOps } from '../history/pairs.ts';
import type { Checker, CheckerResult } from './checker.ts';
import { mergeSorted, type Quantiles, quantilesOfSorted, round3 } from './quantiles.ts';
import { upperBound } from './sorted.ts';

/**
 * The `perf` checker: latency, throughput and availability. It never fails a
 * run (`valid` is always true); it measures. Results stay small (quantiles and
 * buckets, never raw points): the report plots raw points from the history.
 */

export interface OutcomeCounts {
  ok: number;
  fail: number;
  info: number;
}

export interface Availability extends OutcomeCounts {
  /** Completions counted. */
  total: number;
  /** ok / total; null when nothing completed. */
  share: number | null;
}

export interface WindowAvailability extends Availability {
  /** Fault kind: kill, partition, pause, clock, shape. */
  f: string;
  description: string;
  startMs: number;
  /** null when the fault was never healed in the history. */
  endMs: number | null;
}

export interface Throughput extends Record<Outcome, number[]> {
  /** Width of each bucket; bucket i covers [i·bucketMs, (i+1)·bucketMs). */
  bucketMs: number;
}

/** results.json `checkers.perf`. Names are a contract: add fields, never rename. */
export interface PerfCheckerResult extends CheckerResult {
  valid: true;
  /** Client operations invoked. */
  ops: number;
  /** Invoked but never completed (the run was interrupted); counted as info below. */
  unfinished: number;
  counts: OutcomeCounts;
  /** Latency of ok operations, ms. */
  latencyMs: Quantiles;
  byF: Record<string, OutcomeCounts & { latencyMs: Quantiles }>;
  /** Completions per bucket, by outcome. */
  throughput: Throughput;
  availability: {
    overall: Availability;
    /** Completions outside every fault window. */
    outside: Availability;
    /** One entry per fault window, completions whose completion time falls inside it. */
    windows: WindowAvailability[];
  };
  summary: string;
}

/** At most this many throughput buckets; longer runs get wider buckets. */
export const MAX_BUCKETS = 3600;

export const perfChecker: Checker<PerfCheckerResult> = {
  name: 'perf',
  check: async (history) => checkPerf(history),
};

export const checkPerf = (history: readonly Op[]): PerfCheckerResult => {
  const pairs = pairClientOps(history);
  const counts: OutcomeCounts = { ok: 0, fail: 0, info: 0 };
  const perF = new Map<string, { counts: OutcomeCounts; latencies: number[] }>();
  const throughput = emptyThroughput(historyEnd(history));
  const bucketNs = throughput.bucketMs * NS_PER_MS;
  const lastBucket = throughput.ok.length - 1;
  const windows = new WindowCounter(faultWindows(history));
  let unfinished = 0;
  // One pass: at a million operations each pass over the pairs costs a pointer chase per op.
  for (const p of pairs) {
    const outcome = outcomeOf(p);
    counts[outcome]++;
    let entry = perF.get(p.f);
    if (entry === undefined) {
      entry = { counts: { ok: 0, fail: 0, info: 0 }, latencies: [] };
      perF.set(p.f, entry);
    }
    entry.counts[outcome]++;
    const completion = p.completion;
    if (completion === undefined) {
      unfinished++;
      continue;
    }
    const t = completion.time;
    if (outcome === 'ok') entry.latencies.push((t - p.invoke.time) / NS_PER_MS);
    throughput[outcome][Math.min(lastBucket, Math.floor(t / bucketNs))]!++;
    windows.count(t, outcome);
  }
  // Each kind's latencies sorted once; the overall figures merge them rather than sort a million again.
  const byF: PerfCheckerResult['byF'] = {};
  const sortedByF: Float64Array[] = [];
  for (const f of [...perF.keys()].sort()) {
    const e = perF.get(f)!;
    const sorted = Float64Array.from(e.latencies).sort();
    sortedByF.push(sorted);
    byF[f] = { ...e.counts, latencyMs: quantilesOfSorted(sorted) };
  }

  const result: PerfCheckerResult = {
    valid: true,
    ops: pairs.length,
    unfinished,
    counts,
    latencyMs: quantilesOfSorted(mergeSorted(sortedByF)),
    byF,
    throughput,
    availability: windows.result(),
    summary: '',
  };
  const lat = result.latencyMs;
  result.summary =
    `${pairs.length} ops: ${counts.ok} ok, ${counts.fail} fail, ${counts.info} info` +
    (lat.count > 0 ? `; ok latency p50 ${lat.p50} ms, p99 ${lat.p99} ms` : '');
  return result;
};

/** Empty completion buckets up to `endNs`: 1 s wide, wider for runs over MAX_BUCKETS seconds. */
const emptyThroughput = (endNs: number): Throughput => {
  let bucketMs = 1000;
  while (endNs / NS_PER_MS / bucketMs >= MAX_BUCKETS) bucketMs *= 2;
  const n = Math.floor(endNs / NS_PER_MS / bucketMs) + 1;
  return { bucketMs, ok: new Array(n).fill(0), fail: new Array(n).fill(0), info: new Array(n).fill(0) };
};

/** Completions counted overall, per fault window, and outside every window. */
class WindowCounter {
  private readonly overall = emptyAvailability();
  private readonly outside = emptyAvailability();
  private readonly inWindow: OutcomeCounts[];
  // Windows by start, with the running maximum of their ends: the windows holding t are found by
  // walking back from the last one started by t while some earlier one may still be open
  // (a run can have hundreds of windows and a million operations).
  private readonly order: number[];
  private readonly starts: Float64Array;
  private readonly maxEnd: Float64Array;

  constructor(private readonly windows: readonly FaultWindow[]) {
    this.inWindow = windows.map(emptyAvailability);
    this.order = windows.map((_, i) => i).sort((a, b) => windows[a]!.start - windows[b]!.start || a - b);
    this.starts = Float64Array.from(this.order, (i) => windows[i]!.start);
    this.maxEnd = new Float64Array(this.order.length);
    this.order.forEach((i, j) => {
      this.maxEnd[j] = Math.max(j > 0 ? this.maxEnd[j - 1]! : Number.NEGATIVE_INFINITY, windows[i]!.end);
    });
  }

  count(t: number, outcome: Outcome): void {
    this.overall[outcome]++;
    let inside = false;
    for (let j = upperBound(this.starts, t) - 1; j >= 0 && this.maxEnd[j]! >= t; j--) {
      const i = this.order[j]!;
      if (this.windows[i]!.end >= t) {
        this.inWindow[i]![outcome]++;
        inside = true;
      }
    }
    if (!inside) this.outside[outcome]++;
  }

  result(): PerfCheckerResult['availability'] {
    return {
      overall: finish(this.overall),
      outside: finish(this.outside),
      windows: this.windows.map((w, i) => ({
        f: w.f,
        description: describeFault(w),
        startMs: round3(w.start / NS_PER_MS),
        endMs: Number.isFinite(w.end) ? round3(w.end / NS_PER_MS) : null,
        ...finish(this.inWindow[i]!),
      })),
    };
  }
}

const emptyAvailability = (): OutcomeCounts => ({ ok: 0, fail: 0, info: 0 });

const finish = (c: OutcomeCounts): Availability => {
  const total = c.ok + c.fail + c.info;
  return { ...c, total, share: total === 0 ? null : round3(c.ok / total) };
};
