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
  const callTime = new Float64Array(n);
  const returnTime = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    callTime[i] = ops[i]!.call;
    returnTime[i] = ops[i]!.return;
  }
  // Calls by call time and returns by return time (ties: operation order),
  // then merged with calls first at equal times. Histories usually come
  // sorted by call already, so the first sort is often skipped.
  const calls = sortedBy(callTime);
  const returns = sortedBy(returnTime);
  const size = 2 * n + 1;
  const head = 2 * n;
  const next = new Int32Array(size);
  const prev = new Int32Array(size);
  const kind = new Uint8Array(size);
  const opOf = new Int32Array(size).fill(-1);
  const match = new Int32Array(size).fill(-1);
  const returnNode = new Int32Array(n);
  let c = 0;
  let r = 0;
  for (let pos = 0; pos < 2 * n; pos++) {
    const takeCall = c < n && (r >= n || callTime[calls[c]!]! <= returnTime[returns[r]!]!);
    if (takeCall) {
      opOf[pos] = calls[c++]!;
      kind[pos] = CALL;
    } else {
      const op = returns[r++]!;
      opOf[pos] = op;
      kind[pos] = returnTime[op] === Number.POSITIVE_INFINITY ? RETURN_AT_INFINITY : RETURN;
      returnNode[op] = pos;
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

/**
 * Indices 0..n-1 ordered by `times`, ties by index. Insertion sort first:
 * histories are nearly sorted (returns are out of order by at most the
 * number of concurrent clients), so it is linear in practice; it gives up
 * for a general sort when the input is far from sorted.
 */
const sortedBy = (times: Float64Array): Int32Array => {
  const n = times.length;
  const order = new Int32Array(n);
  let moves = 0;
  const maxMoves = 16 * n + 1024;
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    let j = i - 1;
    while (j >= 0 && times[order[j]!]! > t) {
      order[j + 1] = order[j]!;
      j--;
      if (++moves > maxMoves) {
        return Int32Array.from(Array.from({ length: n }, (_, k) => k).sort((a, b) => times[a]! - times[b]! || a - b));
      }
    }
    order[j + 1] = i;
  }
  return order;
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
