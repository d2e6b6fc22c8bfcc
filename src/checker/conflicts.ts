import { NS_PER_MS } from '../base/time.ts';
import type { Op } from '../history/op.ts';
import type { CheckContext, Checker, CheckerResult, Validity } from './checker.ts';
import { type Convergence, type FinalReadsSummary, summarizeFinalReads } from './final-reads.ts';
import { round3 } from './quantiles.ts';
import {
  isFinalRead,
  type KeyHistory,
  producers,
  type RegisterHistory,
  type RegisterRead,
  type RegisterWrite,
  readRegisterHistory,
  type ValueId,
  valueIdText,
} from './register-history.ts';
import { lowerBound } from './sorted.ts';

/**
 * The `conflicts` checker: what multi-leader and leaderless registers did
 * with concurrent and conflicting writes, judged from the final reads
 * (after healing, every key read from every node's own state).
 *
 * Per key, the *survivors* are the values in each node's latest final read
 * (siblings count one by one). An acknowledged write whose value did not
 * survive is:
 * - a **lost update** when some survivor strictly precedes it in real time
 *   (the survivor's write completed before it was invoked) and no survivor
 *   was invoked after it began (which could have seen it and superseded
 *   it): an older write beat a newer acknowledged one, as last-write-wins
 *   does when the newer write's node has a clock behind. The initial state (null, completed at
 *   time 0) counts as a survivor here: a key back to null lost everything.
 * - a normal overwrite when a later write (ok or info) strictly follows it;
 * - otherwise **overwritten**: concurrent with every survivor, and dropped by
 *   conflict resolution (LWW keeping one of two concurrent writes).
 * Version vectors keep concurrent writes as siblings, so they lose neither.
 *
 * `valid` is false on any lost update; overwritten writes are measured only.
 */

/** Most lost-update examples kept; most keys listed. */
export const EXAMPLES_CAP = 20;
export const KEYS_CAP = 1000;

export interface LostUpdate {
  key: string;
  /** The acknowledged value that vanished. */
  value: unknown;
  /** Node that acknowledged it. */
  node: string | null;
  /** Index of its ok completion. */
  writeIndex: number;
  /** The surviving value that beat it (null: the initial state). */
  survivor: unknown;
  survivorNode: string | null;
  /** Index of the survivor's completion op; -1 for the initial state. */
  survivorIndex: number;
  /** ms between the survivor's acknowledgement and the lost write's start. */
  gapMs: number;
}

/** results.json `checkers.conflicts`. Names are a contract: add fields, never rename. */
export interface ConflictsCheckerResult extends CheckerResult {
  valid: Validity;
  /** Keys written or read. */
  keys: number;
  /** Acknowledged (ok) writes and cas. */
  acked: number;
  lostUpdates: number;
  lostUpdateExamples: LostUpdate[];
  overwritten: number;
  /** ok reads, final or not, that returned several siblings. */
  siblingReads: number;
  /** Most values one ok read returned (0 without reads). */
  maxSiblings: number;
  /** Keys whose final reads hold siblings. */
  keysWithSiblings: number;
  siblingKeys: string[];
  /** Final reads exist, and per key every node's latest one returned the same values. */
  converged: boolean;
  divergentKeys: string[];
  /** Keys with acknowledged writes but no well-formed final read: not judged. */
  unjudgedKeys: string[];
  /** Survivor values that no write could have produced (measured, not judged here). */
  unexpected: number;
  finalReads: FinalReadsSummary;
  summary: string;
}

export const conflictsChecker: Checker<ConflictsCheckerResult> = {
  name: 'conflicts',
  check: async (history, ctx) => checkConflicts(history, ctx),
};

interface Tally {
  acked: number;
  lost: LostUpdate[];
  lostCount: number;
  overwritten: number;
  siblingKeys: string[];
  divergentKeys: string[];
  unjudgedKeys: string[];
  unexpected: number;
}

/** Pure and synchronous; `conflictsChecker.check` wraps it. */
export const checkConflicts = (history: readonly Op[], ctx: Pick<CheckContext, 'nodes'>): ConflictsCheckerResult => {
  const h = readRegisterHistory(history);
  const tally: Tally = {
    acked: 0,
    lost: [],
    lostCount: 0,
    overwritten: 0,
    siblingKeys: [],
    divergentKeys: [],
    unjudgedKeys: [],
    unexpected: 0,
  };
  let siblingReads = 0;
  let maxSiblings = 0;
  const servedBy: string[] = [];
  for (const k of h.keys.values()) {
    for (const r of k.reads) {
      const n = r.ids?.length ?? 0;
      if (n > 1) siblingReads++;
      maxSiblings = Math.max(maxSiblings, n);
      if (isFinalRead(r, h)) servedBy.push(r.node);
    }
    checkKey(k, h, tally);
  }

  let valid: Validity = true;
  if (tally.lostCount > 0) valid = false;
  else if (servedBy.length === 0) valid = 'unknown';

  const capped = (xs: string[]): string[] => xs.slice(0, KEYS_CAP);
  const result: ConflictsCheckerResult = {
    valid,
    keys: h.keys.size,
    acked: tally.acked,
    lostUpdates: tally.lostCount,
    lostUpdateExamples: tally.lost,
    overwritten: tally.overwritten,
    siblingReads,
    maxSiblings,
    keysWithSiblings: tally.siblingKeys.length,
    siblingKeys: capped(tally.siblingKeys),
    converged: servedBy.length > 0 && tally.divergentKeys.length === 0,
    divergentKeys: capped(tally.divergentKeys),
    unjudgedKeys: capped(tally.unjudgedKeys),
    unexpected: tally.unexpected,
    finalReads: summarizeFinalReads(servedBy, ctx.nodes),
    summary: '',
  };
  result.summary = summarizeConflicts(result);
  return result;
};

/** What the `convergence` claim reads from a conflicts result. */
export const conflictsConvergence = (r: ConflictsCheckerResult): Convergence => ({
  finalReads: r.finalReads,
  converged: r.converged,
  divergent: r.divergentKeys.length,
  divergentWhat: 'keys',
});

/** "2 of 340 acknowledged writes lost to older ones; 5 concurrent writes overwritten; ..." */
export const summarizeConflicts = (r: ConflictsCheckerResult): string => {
  const parts: string[] = [];
  if (r.finalReads.count === 0) parts.push('no final read: cannot tell which writes survived');
  else {
    parts.push(`${r.lostUpdates} of ${r.acked} acknowledged writes lost to older ones`);
    parts.push(`${r.overwritten} concurrent writes overwritten`);
  }
  if (r.siblingReads > 0) parts.push(`${r.siblingReads} reads returned siblings (up to ${r.maxSiblings})`);
  if (r.keysWithSiblings > 0) parts.push(`${r.keysWithSiblings} keys end with siblings`);
  if (r.finalReads.count > 0) parts.push(r.converged ? 'converged' : `${r.divergentKeys.length} keys diverge`);
  if (r.finalReads.count > 0 && r.unjudgedKeys.length > 0)
    parts.push(`${r.unjudgedKeys.length} keys without a final read`);
  if (r.unexpected > 0) parts.push(`${r.unexpected} surviving values nobody wrote`);
  return parts.join('; ');
};

const checkKey = (k: KeyHistory, h: RegisterHistory, tally: Tally): void => {
  const ok = k.writes.filter((w) => w.outcome === 'ok');
  tally.acked += ok.length;

  // Each node's latest final read of this key.
  const latest = new Map<string, RegisterRead>();
  for (const r of k.reads) {
    if (!isFinalRead(r, h)) continue;
    const prev = latest.get(r.node);
    if (prev === undefined || r.invoke >= prev.invoke) latest.set(r.node, r);
  }
  const finals = [...latest.values()];
  const signatures = new Set(
    finals.map((r) => (r.ids === undefined ? '\u0000malformed' : r.ids.map(valueIdText).sort().join('\u0000'))),
  );
  if (signatures.size > 1) tally.divergentKeys.push(k.key);
  if (finals.some((r) => (r.ids?.length ?? 0) > 1)) tally.siblingKeys.push(k.key);

  const surviving = new Set<ValueId>();
  for (const r of finals) for (const id of r.ids ?? []) surviving.add(id);
  if (surviving.size === 0) {
    if (ok.length > 0) tally.unjudgedKeys.push(k.key);
    return;
  }

  // Survivors with a known completion, by completion: the latest one before a write began beat it.
  const byId = producers(k);
  const survivors: RegisterWrite[] = [];
  let lastSurvivorInvoke = Number.NEGATIVE_INFINITY;
  for (const id of surviving) {
    const w = byId.get(id);
    if (w === undefined) tally.unexpected++;
    else {
      lastSurvivorInvoke = Math.max(lastSurvivorInvoke, w.invoke);
      if (Number.isFinite(w.complete)) survivors.push(w);
    }
  }
  survivors.sort((a, b) => a.complete - b.complete);
  const completes = Float64Array.from(survivors, (w) => w.complete);
  // A write that may have happened (ok or info) and was invoked last: anything completed before it was overwritten normally.
  const lastInvoke = k.writes.reduce((m, w) => (w.outcome === 'fail' ? m : Math.max(m, w.invoke)), -Infinity);

  for (const w of ok) {
    if (surviving.has(w.id)) continue;
    // A survivor invoked after w began may have seen w and superseded it, directly or through a chain
    // (a version-vector write carries the context of a read that saw w, even while w is still
    // being acknowledged): then no older write beat w.
    const j = lastSurvivorInvoke > w.invoke ? -1 : lowerBound(completes, w.invoke) - 1;
    if (j >= 0) {
      tally.lostCount++;
      const s = survivors[j]!;
      if (tally.lost.length < EXAMPLES_CAP)
        tally.lost.push({
          key: k.key,
          value: w.value,
          node: w.node ?? null,
          writeIndex: w.index,
          survivor: s.value,
          survivorNode: s.node ?? null,
          survivorIndex: s.index,
          gapMs: round3((w.invoke - s.complete) / NS_PER_MS),
        });
    } else if (!(lastInvoke > w.complete)) {
      tally.overwritten++;
    }
  }
};
