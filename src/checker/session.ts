import { NS_PER_MS } from '../base/time.ts';
import type { Op } from '../history/op.ts';
import { previewValue } from '../history/preview.ts';
import type { Checker, CheckerResult, Validity } from './checker.ts';
import { round3 } from './quantiles.ts';
import {
  type KeyHistory,
  producers,
  type RegisterRead,
  type RegisterWrite,
  readRegisterHistory,
} from './register-history.ts';

/**
 * The `session` checker: the session guarantees of Terry et al. (1994), as
 * DDIA's chapter on replication lag names them, over a register history.
 * A *session* is one client process: a worker's connection, until an
 * `info` makes it continue as a new process.
 *
 * Values are unique, so a read names the write(s) it returned (siblings:
 * several). Write x is *before* write y when x completed before y was
 * invoked; the initial state is before every write. A read *misses* write
 * w when every write it returned is before w. Each session carries, per
 * key, the writes it must not miss, and a read that misses one violates
 * the guarantee that required it:
 *
 * - **read-your-writes**: the session's own acknowledged writes.
 * - **monotonic reads**: every write the session's earlier reads returned.
 * - **monotonic writes**: having read write w2 of session S from node N,
 *   the writes S acknowledged before w2 (on any key), in later reads from
 *   N — a node that applied S's w2 must have applied S's earlier writes
 *   (Terry's definition is about each server's state; seeing w2 on one
 *   node and missing w1 on another is consistent prefix).
 * - **consistent prefix**: having read w2, everything w2's writer had
 *   written or observed before writing it, transitively — a reader sees
 *   causally related writes in order (the question before the answer),
 *   whichever nodes serve its reads.
 *
 * Cost: one pass over the ops in time order; each write snapshots its
 * writer's dependencies (one entry per key), so O(ops × keys).
 */

export const GUARANTEES = ['readYourWrites', 'monotonicReads', 'monotonicWrites', 'consistentPrefix'] as const;
export type Guarantee = (typeof GUARANTEES)[number];

/** Most violations listed (the earliest). */
export const ITEMS_CAP = 1000;

export interface SessionViolation {
  guarantee: Guarantee;
  /** The reading session (process). */
  process: number;
  key: string;
  /** Completion index of the read that shows the violation. */
  readIndex: number;
  /** Node that served it. */
  node: string;
  /** What it returned, previewed. */
  value: string;
  /** Completion index of the write it missed (-1: none, the initial state counts as written at 0). */
  missedIndex: number;
  missedValue: string;
  /** Node that acknowledged the missed write. */
  missedNode: string | null;
  /**
   * The op that made the session expect it: its own write (read-your-writes),
   * its earlier read (monotonic reads), or the read that returned a
   * dependent write (monotonic writes, consistent prefix).
   */
  becauseIndex: number;
  /** ms from the missed write's acknowledgement to the read's start (how far behind the serving node was, at least). */
  behindMs: number | null;
  /** When the read began, ms. */
  invokeMs: number;
}

export interface GuaranteeTally {
  /** Reads that violated it. */
  violations: number;
  /** Sessions with at least one violation. */
  sessions: number;
}

/** results.json `checkers.session`. Names are a contract: add fields, never rename. */
export interface SessionCheckerResult extends CheckerResult {
  valid: Validity;
  /** Client processes with at least one ok read or write. */
  sessions: number;
  /** ok reads judged (reads whose value no write produced are left to `staleness`). */
  reads: number;
  /** Acknowledged writes. */
  writes: number;
  guarantees: Record<Guarantee, GuaranteeTally>;
  /** The earliest violations, at most ITEMS_CAP. */
  violations: SessionViolation[];
  summary: string;
}

export const sessionChecker: Checker<SessionCheckerResult> = {
  name: 'session',
  check: async (history) => checkSession(history),
};

/** A write a session must not miss, and the op that made it so. Updated in place as it rises. */
interface Floor {
  write: RegisterWrite;
  because: number;
}

// Floors live in flat arrays indexed by guarantee slot × key index (a million-op history makes
// millions of them otherwise: allocation, not arithmetic, is the cost).
const RYW = 0;
const MR = 1;
const CP = 2;

interface SessionState {
  /** [RYW | MR | CP] × key: the floor with the latest invocation. */
  floors: (Floor | undefined)[];
  /** Monotonic writes, per node that showed the later write: key → floor. */
  byNode: Map<string, (Floor | undefined)[]>;
}

/**
 * What a write's writer had to see when it issued it, per key: its own
 * latest write (monotonic writes) at [k], and the latest of everything it
 * had written or observed (consistent prefix) at [K + k].
 */
type Deps = (RegisterWrite | undefined)[];

type Event =
  | { t: number; order: 0; kind: 'write-invoke'; w: RegisterWrite }
  | { t: number; order: 1; kind: 'read'; r: RegisterRead; k: number }
  | { t: number; order: 2; kind: 'write-ok'; w: RegisterWrite };

const newer = (a: RegisterWrite | undefined, b: RegisterWrite | undefined): RegisterWrite | undefined =>
  a === undefined ? b : b === undefined ? a : b.invoke > a.invoke ? b : a;

/** Raises floor `slot` of `list` to `write`, in place; `because` names the op that raised it. */
const raise = (list: (Floor | undefined)[], slot: number, write: RegisterWrite, because: number): void => {
  const cur = list[slot];
  if (cur === undefined) list[slot] = { write, because };
  else if (write.invoke > cur.write.invoke) {
    cur.write = write;
    cur.because = because;
  }
};

/** Pure and synchronous; `sessionChecker.check` wraps it. */
export const checkSession = (history: readonly Op[]): SessionCheckerResult => {
  const h = readRegisterHistory(history);
  const keys = [...h.keys.values()];
  const K = keys.length;
  const keyIndex = new Map(keys.map((k, i) => [k.key, i]));
  const events: Event[] = [];
  const byId = keys.map((k) => producers(k));
  let writes = 0;
  keys.forEach((k, ki) => {
    for (const w of k.writes) {
      if (w.outcome === 'fail') continue;
      events.push({ t: w.invoke, order: 0, kind: 'write-invoke', w });
      if (w.outcome === 'ok') {
        writes++;
        events.push({ t: w.complete, order: 2, kind: 'write-ok', w });
      }
    }
    for (const r of k.reads) events.push({ t: r.complete, order: 1, kind: 'read', r, k: ki });
  });
  // A read that returned w completed after w was invoked; ties: invocations first, completions of writes last.
  events.sort((a, b) => a.t - b.t || a.order - b.order);

  const sessions = new Map<number, SessionState>();
  const stateOf = (process: number): SessionState => {
    let s = sessions.get(process);
    if (s === undefined) {
      s = { floors: new Array(3 * K), byNode: new Map() };
      sessions.set(process, s);
    }
    return s;
  };
  const deps = new Map<RegisterWrite, Deps>();
  const tallies = Object.fromEntries(GUARANTEES.map((g) => [g, { violations: 0, sessions: new Set<number>() }])) as {
    [G in Guarantee]: { violations: number; sessions: Set<number> };
  };
  const violations: SessionViolation[] = [];
  let reads = 0;
  const returned: RegisterWrite[] = [];
  const check: [Guarantee, Floor | undefined][] = GUARANTEES.map((g) => [g, undefined]);

  for (const e of events) {
    if (e.kind === 'write-invoke') {
      // Snapshot what the writer had to see: its own writes (monotonic writes), and what it had
      // written or observed, with what those writes depended on in turn (consistent prefix).
      const s = stateOf(e.w.process);
      let d: Deps | undefined;
      for (let k = 0; k < K; k++) {
        const own = s.floors[RYW * K + k]?.write;
        let cp = newer(newer(own, s.floors[MR * K + k]?.write), s.floors[CP * K + k]?.write);
        for (const perNode of s.byNode.values()) cp = newer(cp, perNode[k]?.write);
        if (own === undefined && cp === undefined) continue;
        d ??= new Array(2 * K);
        d[k] = own;
        d[K + k] = cp;
      }
      if (d) deps.set(e.w, d);
      continue;
    }
    if (e.kind === 'write-ok') {
      raise(stateOf(e.w.process).floors, RYW * K + keyIndex.get(e.w.key)!, e.w, e.w.index);
      continue;
    }
    const { r, k } = e;
    if (r.ids === undefined) continue;
    returned.length = 0;
    let newest = Number.NEGATIVE_INFINITY;
    for (const id of r.ids) {
      const w = byId[k]!.get(id);
      if (w === undefined) break;
      returned.push(w);
      if (w.complete > newest) newest = w.complete;
    }
    if (returned.length !== r.ids.length) continue; // a value nobody wrote: staleness reports it
    reads++;
    const s = stateOf(r.process);
    check[0]![1] = s.floors[RYW * K + k];
    check[1]![1] = s.floors[MR * K + k];
    check[2]![1] = s.byNode.get(r.node)?.[k];
    check[3]![1] = s.floors[CP * K + k];
    let sameNode = false;
    for (const [g, floor] of check) {
      // Missed: every write it returned completed before the floor's write began.
      if (floor === undefined || !(newest < floor.write.invoke)) continue;
      // The same node showing the writes out of order is monotonic writes; counted once, not again as prefix.
      if (g === 'monotonicWrites') sameNode = true;
      else if (g === 'consistentPrefix' && sameNode) continue;
      tallies[g].violations++;
      tallies[g].sessions.add(r.process);
      if (violations.length < ITEMS_CAP) violations.push(violation(g, r, floor));
    }
    // What this read observed: its writes (monotonic reads) and their writers' dependencies.
    for (const w of returned) {
      if (w.initial) continue;
      raise(s.floors, MR * K + k, w, r.index);
      const d = deps.get(w);
      if (d === undefined) continue;
      let perNode = s.byNode.get(r.node);
      for (let j = 0; j < K; j++) {
        const mw = d[j];
        if (mw !== undefined) {
          if (perNode === undefined) {
            perNode = new Array(K);
            s.byNode.set(r.node, perNode);
          }
          raise(perNode, j, mw, r.index);
        }
        const cp = d[K + j];
        if (cp !== undefined) raise(s.floors, CP * K + j, cp, r.index);
      }
    }
  }

  const guarantees = Object.fromEntries(
    GUARANTEES.map((g) => [g, { violations: tallies[g].violations, sessions: tallies[g].sessions.size }]),
  ) as Record<Guarantee, GuaranteeTally>;
  const total = GUARANTEES.reduce((n, g) => n + guarantees[g].violations, 0);
  let valid: Validity = true;
  if (total > 0) valid = false;
  else if (reads === 0) valid = 'unknown';
  const result: SessionCheckerResult = {
    valid,
    sessions: sessions.size,
    reads,
    writes,
    guarantees,
    violations: violations.sort((a, b) => a.readIndex - b.readIndex),
    summary: '',
  };
  result.summary = summarizeSession(result);
  return result;
};

const violation = (g: Guarantee, r: RegisterRead, floor: Floor): SessionViolation => {
  const w = floor.write;
  return {
    guarantee: g,
    process: r.process,
    key: r.key,
    readIndex: r.index,
    node: r.node,
    value: previewValue(r.value, 60),
    missedIndex: w.index,
    missedValue: previewValue(w.value, 60),
    missedNode: w.node ?? null,
    becauseIndex: floor.because,
    behindMs: Number.isFinite(w.complete) ? round3((r.invoke - w.complete) / NS_PER_MS) : null,
    invokeMs: round3(r.invoke / NS_PER_MS),
  };
};

export const GUARANTEE_NAMES: Readonly<Record<Guarantee, string>> = {
  readYourWrites: 'read-your-writes',
  monotonicReads: 'monotonic reads',
  monotonicWrites: 'monotonic writes',
  consistentPrefix: 'consistent prefix',
};

/** "412 reads in 20 sessions; read-your-writes violated 12 times (5 sessions); monotonic reads held; ..." */
export const summarizeSession = (r: SessionCheckerResult): string => {
  if (r.reads === 0) return 'no judged read: nothing to check';
  const parts = [`${r.reads} reads in ${r.sessions} sessions`];
  for (const g of GUARANTEES) {
    const t = r.guarantees[g];
    parts.push(
      t.violations === 0
        ? `${GUARANTEE_NAMES[g]} held`
        : `${GUARANTEE_NAMES[g]} violated ${t.violations} times (${t.sessions} sessions)`,
    );
  }
  return parts.join('; ');
};
