import type { Op } from '../history/op.ts';
import { type Outcome, outcomeOf, pairClientOps } from '../history/pairs.ts';

/**
 * A register history read once, for the checkers that judge it by value
 * (`staleness`, `conflicts`): every write and every ok read, grouped by key.
 *
 * Written values are unique per run, so a value read names the write that
 * produced it. Values are JSON scalars; under version vectors a read returns
 * an array of sibling values. Everything read comes from the system under
 * test and is untrusted: a read whose value is neither a scalar nor a
 * non-empty array of scalars is kept as malformed (`ids` undefined).
 */

/** One write or cas, or the initial state. */
export interface RegisterWrite {
  key: string;
  /** The value it writes (a cas writes `to`). */
  value: unknown;
  /** `valueId(value)`. */
  id: ValueId;
  outcome: Outcome;
  /** ns */
  invoke: number;
  /** ns; +Infinity when the outcome is `info` (it may take effect at any later time). */
  complete: number;
  node: string | undefined;
  /** The client process (session) that wrote it; -1 for the initial state. */
  process: number;
  /** Index of its completion op (of its invoke when it never completed); -1 for the initial state. */
  index: number;
  /** The register's initial state: null, "written" at time 0 and completed at time 0. */
  initial: boolean;
}

/** One ok read. */
export interface RegisterRead {
  key: string;
  /** The value as returned. */
  value: unknown;
  /** The distinct value ids it returned (several: siblings); undefined when the value is malformed. */
  ids: ValueId[] | undefined;
  /** ns */
  invoke: number;
  complete: number;
  /** The node that served it. */
  node: string;
  /** The client process (session) that read. */
  process: number;
  /** Index of its completion op. */
  index: number;
}

export interface KeyHistory {
  key: string;
  /** Every write and cas on the key in invoke order, whatever its outcome (not the initial state). */
  writes: RegisterWrite[];
  reads: RegisterRead[];
}

export interface RegisterHistory {
  /** By key, in order of first appearance. */
  keys: Map<string, KeyHistory>;
  /**
   * When the last write or cas ended: its completion, or its invocation when
   * it never completed (an interrupted run). A read invoked after this is final.
   */
  lastWriteEnd: number;
}

/** Key used for ops that carry none. */
export const NO_KEY = '';

/**
 * A scalar value as a Map key: the value itself (Map keys compare by
 * SameValueZero, so 1, "1", true and null stay apart and -0 is 0). Not a
 * string built per value: a million-operation history would build a million.
 */
export type ValueId = string | number | boolean | null;

/** A stable identity for a scalar value; undefined for anything else (arrays, objects, NaN, ±Infinity). */
export const valueId = (v: unknown): ValueId | undefined => {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : undefined;
    case 'string':
    case 'boolean':
      return v;
    default:
      return v === null ? null : undefined;
  }
};

/** An id as text that keeps its type ("n:1" is not "s:1"), for signatures built by joining ids. */
export const valueIdText = (id: ValueId): string => (id === null ? 'null' : `${typeof id}:${id}`);

/** The distinct ids of a read value: one scalar, or a non-empty array of scalar siblings. */
export const readIds = (v: unknown): ValueId[] | undefined => {
  if (!Array.isArray(v)) {
    const id = valueId(v);
    return id === undefined ? undefined : [id];
  }
  if (v.length === 0) return undefined;
  const ids = new Set<ValueId>();
  for (const x of v) {
    const id = valueId(x);
    if (id === undefined) return undefined;
    ids.add(id);
  }
  return [...ids];
};

const nodeOf = (invoke: Op, completion: Op | undefined): string | undefined => completion?.node ?? invoke.node;

const keyOf = (op: Op): string => (op.key === undefined ? NO_KEY : String(op.key));

/**
 * Groups a history's register operations by key. Nemesis ops and other
 * functions are skipped. Memoised per history array: staleness, session and
 * conflicts read the same one, and treat the result as read-only.
 */
const memo = new WeakMap<readonly Op[], RegisterHistory>();

export const readRegisterHistory = (history: readonly Op[]): RegisterHistory => {
  let h = memo.get(history);
  if (h === undefined) {
    h = groupRegisterHistory(history);
    memo.set(history, h);
  }
  return h;
};

const groupRegisterHistory = (history: readonly Op[]): RegisterHistory => {
  const keys = new Map<string, KeyHistory>();
  const keyHistory = (key: string): KeyHistory => {
    let k = keys.get(key);
    if (k === undefined) {
      k = { key, writes: [], reads: [] };
      keys.set(key, k);
    }
    return k;
  };
  let lastWriteEnd = Number.NEGATIVE_INFINITY;
  for (const pair of pairClientOps(history)) {
    const { invoke, completion } = pair;
    if (pair.f === 'write' || pair.f === 'cas') {
      lastWriteEnd = Math.max(lastWriteEnd, completion?.time ?? invoke.time);
      const value = pair.f === 'write' ? invoke.value : casTarget(invoke.value);
      const id = valueId(value);
      const k = keyHistory(keyOf(invoke));
      if (id === undefined) continue; // writes nothing a read could name
      const outcome = outcomeOf(pair);
      k.writes.push({
        key: k.key,
        value,
        id,
        outcome,
        invoke: invoke.time,
        complete: outcome === 'info' ? Number.POSITIVE_INFINITY : completion!.time,
        node: nodeOf(invoke, completion),
        process: pair.process,
        index: completion?.index ?? invoke.index,
        initial: false,
      });
    } else if (pair.f === 'read' && completion?.type === 'ok') {
      const k = keyHistory(keyOf(invoke));
      k.reads.push({
        key: k.key,
        value: completion.value,
        ids: readIds(completion.value),
        invoke: invoke.time,
        complete: completion.time,
        node: nodeOf(invoke, completion) ?? '?',
        process: pair.process,
        index: completion.index,
      });
    }
  }
  return { keys, lastWriteEnd };
};

/** A read invoked after every write ended; nothing can still be in flight. */
export const isFinalRead = (read: RegisterRead, h: RegisterHistory): boolean => read.invoke > h.lastWriteEnd;

/** `to` of a well-formed cas value `[from, to]`. */
const casTarget = (v: unknown): unknown => (Array.isArray(v) && v.length === 2 ? v[1] : undefined);

export const initialWrite = (key: string): RegisterWrite => ({
  key,
  value: null,
  id: null,
  outcome: 'ok',
  invoke: 0,
  complete: 0,
  node: undefined,
  process: -1,
  index: -1,
  initial: true,
});

/**
 * Which write produced each value of a key: the initial state and every
 * write that may have happened (ok or info, never fail). Should a value be
 * written twice (values are meant to be unique), the write that completed
 * last stands for it: it makes the fewest reads look stale.
 */
export const producers = (k: KeyHistory): ReadonlyMap<ValueId, RegisterWrite> => {
  let byId = producersMemo.get(k);
  if (byId !== undefined) return byId;
  byId = new Map<ValueId, RegisterWrite>([[null, initialWrite(k.key)]]);
  for (const w of k.writes) {
    if (w.outcome === 'fail') continue;
    const prev = byId.get(w.id);
    if (prev === undefined || w.complete >= prev.complete) byId.set(w.id, w);
  }
  producersMemo.set(k, byId);
  return byId;
};

/** staleness, session and conflicts each ask for a key's producers: built once per key history. */
const producersMemo = new WeakMap<KeyHistory, Map<ValueId, RegisterWrite>>();
