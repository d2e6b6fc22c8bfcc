import type { Operation } from './types.ts';

/** Node kinds. */
export const CALL = 0;
export const RETURN = 1;
/** The call of an indeterminate operation (it returns at infinity). */
export const INFO_CALL = 2;
/** The return of an indeterminate operation: not linked anywhere. */
export const INFO_RETURN = 3;

/**
 * The history as a doubly linked list of call and return entries in time
 * order (Wing & Gong), stored in typed arrays: node i is the i-th event in
 * time order, node `head` is a sentinel before the first, `next` is -1 past
 * the end. At equal times calls come before returns: intervals are closed,
 * so operations whose endpoints touch are concurrent.
 *
 * Indeterminate operations return at infinity, after everything, and may
 * never take effect: their returns are left out of the list, so a walk that
 * meets no return has nothing left that must take effect.
 */
export interface EntryList {
  /** Number of operations. */
  readonly n: number;
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly kind: Int32Array;
  /** The operation (index into the partition's operations) of each node. */
  readonly opOf: Int32Array;
  /** For a call node, its return node. */
  readonly match: Int32Array;
}

export const buildEntryList = (ops: readonly Operation<unknown, unknown>[]): EntryList => {
  const n = ops.length;
  // Temporaries in module-level scratch space (this is synchronous): a partition's one allocation is its list.
  const times = scratchTimes(2 * n);
  const callTime = times.subarray(0, n);
  const returnTime = times.subarray(n, 2 * n);
  for (let i = 0; i < n; i++) {
    callTime[i] = ops[i]!.call;
    returnTime[i] = ops[i]!.return;
  }
  // Calls by call time and returns by return time (ties: operation order),
  // then merged with calls first at equal times. Histories usually come
  // sorted by call already, so the sorts are nearly free.
  const order = scratchOrder(3 * n);
  const calls = sortedBy(callTime, order.subarray(0, n));
  const returns = sortedBy(returnTime, order.subarray(n, 2 * n));
  const returnNode = order.subarray(2 * n, 3 * n);
  const size = 2 * n + 1;
  const head = 2 * n;
  // One allocation, several views: small histories are checked by the thousand (one per key).
  const slab = new Int32Array(5 * size);
  slab.fill(-1, 0, 4 * size);
  const next = slab.subarray(0, size);
  const prev = slab.subarray(size, 2 * size);
  const opOf = slab.subarray(2 * size, 3 * size);
  const match = slab.subarray(3 * size, 4 * size);
  const kind = slab.subarray(4 * size);
  let c = 0;
  let r = 0;
  let last = head;
  for (let pos = 0; pos < 2 * n; pos++) {
    const takeCall = c < n && (r >= n || callTime[calls[c]!]! <= returnTime[returns[r]!]!);
    const op = takeCall ? calls[c++]! : returns[r++]!;
    const info = returnTime[op] === Number.POSITIVE_INFINITY;
    opOf[pos] = op;
    if (!takeCall) returnNode[op] = pos;
    if (info && !takeCall) {
      kind[pos] = INFO_RETURN;
      continue;
    }
    kind[pos] = info ? INFO_CALL : takeCall ? CALL : RETURN;
    next[last] = pos;
    prev[pos] = last;
    last = pos;
  }
  for (let pos = 0; pos < 2 * n; pos++) {
    if (kind[pos] === CALL || kind[pos] === INFO_CALL) match[pos] = returnNode[opOf[pos]!]!;
  }
  kind[head] = RETURN; // sentinel, never visited
  return { n, head, next, prev, kind, opOf, match };
};

let timesBuffer = new Float64Array(256);
let orderBuffer = new Int32Array(384);

const scratchTimes = (length: number): Float64Array => {
  if (timesBuffer.length < length) timesBuffer = new Float64Array(2 * length);
  return timesBuffer;
};

const scratchOrder = (length: number): Int32Array => {
  if (orderBuffer.length < length) orderBuffer = new Int32Array(2 * length);
  return orderBuffer;
};

/**
 * Indices 0..n-1 ordered by `times`, ties by index, into `order`. Insertion sort first:
 * histories are nearly sorted (returns are out of order by at most the
 * number of concurrent clients), so it is linear in practice; it gives up
 * for a general sort when the input is far from sorted.
 */
const sortedBy = (times: Float64Array, order: Int32Array): Int32Array => {
  const n = times.length;
  let moves = 0;
  const maxMoves = 16 * n + 1024;
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    let j = i - 1;
    while (j >= 0 && times[order[j]!]! > t) {
      order[j + 1] = order[j]!;
      j--;
      if (++moves > maxMoves) {
        order.set(Array.from({ length: n }, (_, k) => k).sort((a, b) => times[a]! - times[b]! || a - b));
        return order;
      }
    }
    order[j + 1] = i;
  }
  return order;
};

/** Takes a call node out of the list (the operation is linearized), and its return for a determinate one. */
export const lift = (list: EntryList, node: number): void => {
  const { next, prev, match } = list;
  const after = next[node]!;
  next[prev[node]!] = after;
  if (after !== -1) prev[after] = prev[node]!;
  if (list.kind[node] === INFO_CALL) return;
  // A determinate call is always followed by its return, so `after` was not -1.
  const m = match[node]!;
  const afterReturn = next[m]!;
  next[prev[m]!] = afterReturn;
  if (afterReturn !== -1) prev[afterReturn] = prev[m]!;
};

/** Undoes `lift` (dancing links: the removed nodes kept their own pointers). */
export const unlift = (list: EntryList, node: number): void => {
  const { next, prev, match } = list;
  if (list.kind[node] !== INFO_CALL) {
    const m = match[node]!;
    next[prev[m]!] = m;
    const afterReturn = next[m]!;
    if (afterReturn !== -1) prev[afterReturn] = m;
  }
  next[prev[node]!] = node;
  const after = next[node]!;
  if (after !== -1) prev[after] = node;
};

/**
 * The operations that could be linearized next in the list's current shape:
 * the calls before the first return. None when no return is left (every
 * operation that must take effect has).
 */
export const candidates = (list: EntryList): number[] => {
  const out: number[] = [];
  let node = list.next[list.head]!;
  while (node !== -1 && list.kind[node] !== RETURN) {
    out.push(list.opOf[node]!);
    node = list.next[node]!;
  }
  return node === -1 ? [] : out;
};
