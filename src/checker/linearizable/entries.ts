import type { Operation } from './types.ts';

/** Node kinds in the entry list. */
export const CALL = 0;
export const RETURN = 1;
/** The return of an indeterminate operation (at infinity). */
export const RETURN_AT_INFINITY = 2;

/**
 * The history as a doubly linked list of call and return entries in time
 * order (Wing & Gong), stored in typed arrays: node i is the i-th event,
 * node `head` is a sentinel before the first. `next` is -1 past the end.
 *
 * At equal times calls come before returns: intervals are closed, so
 * operations whose endpoints touch are concurrent.
 */
export interface EntryList {
  /** Number of operations. */
  readonly n: number;
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** CALL, RETURN or RETURN_AT_INFINITY. */
  readonly kind: Uint8Array;
  /** The operation (index into the partition's operations) of each node. */
  readonly opOf: Int32Array;
  /** For a call node, its return node. */
  readonly match: Int32Array;
}

export const buildEntryList = (ops: readonly Operation<unknown, unknown>[]): EntryList => {
  const n = ops.length;
  const events = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    events[2 * i] = 2 * i; // call of op i
    events[2 * i + 1] = 2 * i + 1; // return of op i
  }
  const timeOf = (e: number): number => {
    const op = ops[e >> 1]!;
    return e & 1 ? op.return : op.call;
  };
  // Sort by time; calls before returns at equal times; then by op order (stable, deterministic).
  events.sort((a, b) => {
    const ta = timeOf(a);
    const tb = timeOf(b);
    if (ta !== tb) return ta < tb ? -1 : 1;
    if ((a & 1) !== (b & 1)) return (a & 1) - (b & 1);
    return a - b;
  });
  const size = 2 * n + 1;
  const head = 2 * n;
  const next = new Int32Array(size);
  const prev = new Int32Array(size);
  const kind = new Uint8Array(size);
  const opOf = new Int32Array(size).fill(-1);
  const match = new Int32Array(size).fill(-1);
  const returnNode = new Int32Array(n);
  for (let pos = 0; pos < 2 * n; pos++) {
    const e = events[pos]!;
    const op = e >> 1;
    opOf[pos] = op;
    if (e & 1) {
      kind[pos] = ops[op]!.return === Number.POSITIVE_INFINITY ? RETURN_AT_INFINITY : RETURN;
      returnNode[op] = pos;
    } else {
      kind[pos] = CALL;
    }
    next[pos] = pos + 1 < 2 * n ? pos + 1 : -1;
    prev[pos] = pos === 0 ? head : pos - 1;
  }
  for (let pos = 0; pos < 2 * n; pos++) if (kind[pos] === CALL) match[pos] = returnNode[opOf[pos]!]!;
  next[head] = n > 0 ? 0 : -1;
  prev[head] = -1;
  kind[head] = RETURN; // never visited
  return { n, head, next, prev, kind, opOf, match };
};

/** Removes a call node and its return from the list (the operation is linearized). */
export const lift = (list: EntryList, node: number): void => {
  const { next, prev, match } = list;
  next[prev[node]!] = next[node]!;
  prev[next[node]!] = prev[node]!; // a call is always followed by its return
  const m = match[node]!;
  next[prev[m]!] = next[m]!;
  const after = next[m]!;
  if (after !== -1) prev[after] = prev[m]!;
};

/** Undoes `lift` (dancing links: the node's own pointers were left intact). */
export const unlift = (list: EntryList, node: number): void => {
  const { next, prev, match } = list;
  const m = match[node]!;
  next[prev[m]!] = m;
  const after = next[m]!;
  if (after !== -1) prev[after] = m;
  next[prev[node]!] = node;
  prev[next[node]!] = node;
};
