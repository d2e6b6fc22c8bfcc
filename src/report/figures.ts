import type { Validity } from '../checker/checker.ts';
import type { LinearizableCheckerResult } from '../checker/linearizable/checker.ts';
import type { PerfCheckerResult } from '../checker/perf.ts';
import type { SetCheckerResult } from '../checker/set.ts';
import type { StalenessCheckerResult } from '../checker/staleness.ts';
import type { RunResults } from './results.ts';

/**
 * A run's headline figures, read from its results.json through the
 * checkers' result types: what the runs index trends and the jobs compare.
 * A figure the run's workload does not measure is undefined, never 0: a
 * register run has no lost-writes count.
 */
export interface RunFigures {
  /** Acknowledged set adds, and those absent from every final read (set workload). */
  acked?: number;
  lost?: number;
  /** lost / acked. */
  share?: number;
  /** Stale reads (staleness checker on registers, set checker on sets) and reads judged. */
  staleReads?: number;
  reads?: number;
  /** Worst staleness, ms (register workloads; the set checker does not time it). */
  maxStaleMs?: number;
  /** The linearizable checker's verdict (register workloads). */
  linearizable?: Validity;
  /** Share of completions that were ok, inside fault windows and outside them; null when none completed there. */
  availabilityInside?: number | null;
  availabilityOutside?: number | null;
  /** ok operations per second of the run phase. */
  throughput?: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
}

/** Figures of a run from its results; `timeLimitMs` is the run phase, for throughput. */
export const measureResults = (results: RunResults, timeLimitMs: number): RunFigures => {
  const m: RunFigures = {};
  const set = results.checkers.set as SetCheckerResult | undefined;
  if (set && typeof set.acked === 'number' && typeof set.lost === 'number') {
    m.acked = set.acked;
    m.lost = set.lost;
    m.share = set.acked > 0 ? set.lost / set.acked : 0;
    if (typeof set.staleReads === 'number') {
      m.staleReads = set.staleReads;
      m.reads = typeof set.reads === 'number' ? set.reads : 0;
    }
  }
  const stale = results.checkers.staleness as StalenessCheckerResult | undefined;
  if (stale && typeof stale.staleReads === 'number') {
    m.staleReads = stale.staleReads;
    m.reads = stale.reads;
    m.maxStaleMs = stale.maxStaleMs;
  }
  const lin = results.checkers.linearizable as LinearizableCheckerResult | undefined;
  if (lin) m.linearizable = lin.valid;
  const perf = results.checkers.perf as PerfCheckerResult | undefined;
  if (perf?.availability && perf.counts) {
    const inside = perf.availability.windows.reduce((a, w) => ({ ok: a.ok + w.ok, total: a.total + w.total }), {
      ok: 0,
      total: 0,
    });
    m.availabilityInside = inside.total > 0 ? inside.ok / inside.total : null;
    m.availabilityOutside = perf.availability.outside.share;
    m.throughput = timeLimitMs > 0 ? perf.counts.ok / (timeLimitMs / 1000) : 0;
    if (perf.latencyMs.p50 !== null) m.latencyP50Ms = perf.latencyMs.p50;
    if (perf.latencyMs.p99 !== null) m.latencyP99Ms = perf.latencyMs.p99;
  }
  return m;
};
