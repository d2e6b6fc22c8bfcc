import { type FaultWindow, faultWindows } from '../history/faults.ts';
import type { Op } from '../history/op.ts';
import { pairClientOps } from '../history/pairs.ts';

/**
 * Which fault lost which acknowledged write. A write is lost by the fault
 * that was in place when it was acknowledged, or else by the next fault to
 * start after it: under async replication a leader kill loses the writes the
 * leader acknowledged but had not yet shipped, i.e. those acknowledged just
 * before the kill. A lost write acknowledged after the last fault healed is
 * attributed to no fault (`f: null`). The run report's attribution table
 * (src/report/attribution.ts) places each listed lost write by the same
 * rule; this counts all of them, uncapped, per fault kind, for the jobs.
 */
export interface FaultLoss {
  /** Fault kind (kill, partition, ...), or null for losses after the last fault. */
  f: string | null;
  /** Index of the window in faultWindows(history); -1 for none. */
  window: number;
  lost: number;
}

export interface LossByKind {
  f: string;
  /** Fault windows of this kind in the run. */
  faults: number;
  /** Lost writes attributed to them. */
  lost: number;
}

export interface Attribution {
  windows: FaultLoss[];
  byKind: LossByKind[];
  /** Lost writes acknowledged after every fault had healed. */
  unattributed: number;
}

/** Attributes each lost element (from the set checker) to a fault window of the history. */
export const attributeLostWrites = (history: readonly Op[], lostElements: readonly number[]): Attribution => {
  const windows = faultWindows(history);
  const lost = new Set(lostElements);
  const ackTimes: number[] = [];
  for (const p of pairClientOps(history)) {
    if (p.f !== 'add' || p.completion?.type !== 'ok') continue;
    const el = p.invoke.value;
    if (typeof el === 'number' && lost.delete(el)) ackTimes.push(p.completion.time);
  }
  // An element the history never acknowledged cannot be placed: count it as unattributed.
  const counts = new Array<number>(windows.length).fill(0);
  let unattributed = lost.size;
  for (const t of ackTimes) {
    const w = windowFor(windows, t);
    if (w < 0) unattributed++;
    else counts[w]!++;
  }
  const kinds = new Map<string, LossByKind>();
  windows.forEach((w, i) => {
    const k = kinds.get(w.f) ?? { f: w.f, faults: 0, lost: 0 };
    k.faults++;
    k.lost += counts[i]!;
    kinds.set(w.f, k);
  });
  return {
    windows: [
      ...windows.map((w, i) => ({ f: w.f, window: i, lost: counts[i]! })),
      ...(unattributed > 0 ? [{ f: null, window: -1, lost: unattributed }] : []),
    ],
    byKind: [...kinds.values()],
    unattributed,
  };
};

/** The first window (by start) still open at time t, or starting after it; -1 if none. */
const windowFor = (windows: readonly FaultWindow[], t: number): number => windows.findIndex((w) => w.end >= t);
