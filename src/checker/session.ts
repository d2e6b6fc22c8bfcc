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

/** A write a session must not miss, and the op that made it so. */
interface Floor {
  write: RegisterWrite;
  because: number;
}

interface SessionState {
  /** Per key, per guarantee: the floor with the latest invocation (monotonic writes: see byNode). */
  floors: Map<string, Partial<Record<Guarantee, Floor>>>;
  /** Monotonic writes, per key and per node that showed the later write. */
  byNode: Map<string, Map<string, Floor>>;
}

/** What a write's writer had to see when it issued it: per key, the monotonic-writes and consistent-prefix floors. */
type Deps = Map<string, { mw?: Floor; cp?: Floor }>;

type Event =
  | { t: number; order: 0; kind: 'write-invoke'; w: RegisterWrite }
  | { t: number; order: 1; kind: 'read'; r: RegisterRead; k: KeyHistory }
  | { t: number; order: 2; kind: 'write-ok'; w: RegisterWrite };

const later = (a: Floor | undefined, b: Floor | undefined): Floor | undefined =>
  a === undefined ? b : b === undefined ? a : b.write.invoke > a.write.invoke ? b : a;

/** Pure and synchronous; `sessionChecker.check` wraps it. */
export const checkSession = (history: readonly Op[]): SessionCheckerResult => {
  const h = readRegisterHistory(history);
  const events: Event[] = [];
  const byId = new Map<KeyHistory, Map<string, RegisterWrite>>();
  let writes = 0;
  for (const k of h.keys.values()) {
    byId.set(k, producers(k));
    for (const w of k.writes) {
      if (w.outcome === 'fail') continue;
      events.push({ t: w.invoke, order: 0, kind: 'write-invoke', w });
      if (w.outcome === 'ok') {
        writes++;
        events.push({ t: w.complete, order: 2, kind: 'write-ok', w });
      }
    }
    for (const r of k.reads) events.push({ t: r.complete, order: 1, kind: 'read', r, k });
  }
  // A read that returned w completed after w was invoked; ties: invocations first, completions of writes last.
  events.sort((a, b) => a.t - b.t || a.order - b.order);

  const sessions = new Map<number, SessionState>();
  const stateOf = (process: number): SessionState => {
    let s = sessions.get(process);
    if (s === undefined) {
      s = { floors: new Map(), byNode: new Map() };
      sessions.set(process, s);
    }
    return s;
  };
  const raise = (s: SessionState, key: string, g: Guarantee, floor: Floor | undefined): void => {
    if (floor === undefined) return;
    const f = s.floors.get(key) ?? {};
    f[g] = later(f[g], floor);
    s.floors.set(key, f);
  };
  const deps = new Map<RegisterWrite, Deps>();
  const tallies = Object.fromEntries(GUARANTEES.map((g) => [g, { violations: 0, sessions: new Set<number>() }])) as {
    [G in Guarantee]: { violations: number; sessions: Set<number> };
  };
  const violations: SessionViolation[] = [];
  let reads = 0;

  for (const e of events) {
    if (e.kind === 'write-invoke') {
      // Snapshot what the writer had to see: its own writes (monotonic writes), and what it had
      // observed, with what those writes depended on in turn (consistent prefix).
      const s = stateOf(e.w.process);
      const d: Deps = new Map();
      for (const [key, f] of s.floors) {
        // Causality includes the writer's own earlier writes (program order), not only what it read.
        let cp = later(later(f.readYourWrites, f.monotonicReads), f.consistentPrefix);
        for (const floor of s.byNode.get(key)?.values() ?? []) cp = later(cp, floor);
        d.set(key, { ...(f.readYourWrites ? { mw: f.readYourWrites } : {}), ...(cp ? { cp } : {}) });
      }
      deps.set(e.w, d);
      continue;
    }
    if (e.kind === 'write-ok') {
      raise(stateOf(e.w.process), e.w.key, 'readYourWrites', { write: e.w, because: e.w.index });
      continue;
    }
    const { r, k } = e;
    if (r.ids === undefined) continue;
    const returned: RegisterWrite[] = [];
    for (const id of r.ids) {
      const w = byId.get(k)!.get(id);
      if (w === undefined) break;
      returned.push(w);
    }
    if (returned.length !== r.ids.length) continue; // a value nobody wrote: staleness reports it
    reads++;
    const s = stateOf(r.process);
    const newest = returned.reduce((m, w) => Math.max(m, w.complete), Number.NEGATIVE_INFINITY);
    const floors = { ...s.floors.get(r.key), monotonicWrites: s.byNode.get(r.key)?.get(r.node) };
    let sameNode = false;
    for (const g of GUARANTEES) {
      const floor = floors[g];
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
      raise(s, r.key, 'monotonicReads', { write: w, because: r.index });
      for (const [key, d] of deps.get(w) ?? []) {
        if (d.mw) {
          const perNode = s.byNode.get(key) ?? new Map<string, Floor>();
          s.byNode.set(key, perNode);
          perNode.set(r.node, later(perNode.get(r.node), { write: d.mw.write, because: r.index })!);
        }
        if (d.cp) raise(s, key, 'consistentPrefix', { write: d.cp.write, because: r.index });
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
