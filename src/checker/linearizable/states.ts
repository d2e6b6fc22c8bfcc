import type { ResolvedModel } from './model.ts';
import { mix32 } from './structural.ts';
import { ILLEGAL, type Operation } from './types.ts';

/** Dense memo entries (Int32) at most; past this, states use the hashed memo. */
const DENSE_MEMO_LIMIT = 1 << 16;

/** Smallest power of two ≥ n (and ≥ 16). */
export const tableSize = (n: number): number => {
  let size = 16;
  while (size < n) size *= 2;
  return size;
};

/**
 * Model states interned as small integers, and a memo of `step` results.
 *
 * Interning makes the cache key cheap (an int instead of a model state to
 * hash and compare) and the memo means the model's `step`, `hash` and
 * `equal` run about once per (state, operation) pair, however many times the
 * search comes back to it with a different set of linearized operations.
 * Both rely on `step` being pure.
 *
 * The memo is a dense table (one row of `n` entries per state) for the
 * first states, as long as it stays under DENSE_MEMO_LIMIT entries, and an
 * open-addressing table keyed by (state, op) beyond: registers have a
 * handful of states, a map-valued state can have hundreds of thousands.
 */
export class StateSpace<S, I, O> {
  /** Interned states; the id is the index. */
  readonly states: S[] = [];
  private hashes: Int32Array;
  /** Open addressing: state id + 1, 0 = empty. */
  private index: Int32Array;
  private indexMask: number;

  /** Dense memo: entry (state * n + op) holds next state + 2, 1 = illegal, 0 = not computed. */
  private dense: Int32Array;
  private denseRows: number;
  private readonly maxDenseRows: number;

  /** Hashed memo for states past the dense rows: slots of [state, op, next state + 2 (0 = empty), unused]. */
  private memo: Int32Array;
  private memoMask: number;
  private memoCount = 0;
  /** The memo before the last doubling (see growMemo). */
  private previous: Int32Array = NO_MEMO;
  private previousMask = 0;
  /** Number of model `step` calls (memo misses). */
  stepCalls = 0;

  private readonly n: number;

  constructor(
    private readonly model: ResolvedModel<S, I, O>,
    private readonly ops: readonly Operation<I, O>[],
    denseLimit = DENSE_MEMO_LIMIT,
  ) {
    this.n = Math.max(1, ops.length);
    this.maxDenseRows = Math.max(1, Math.floor(denseLimit / this.n));
    // A few rows to start (a register has a handful of states); more as states appear.
    this.denseRows = Math.min(this.maxDenseRows, 8);
    // One allocation for the starting tables (a history has a partition per key, often thousands);
    // each is replaced by its own larger array when it grows.
    const denseSize = this.denseRows * this.n;
    const slab = new Int32Array(64 + 128 + 64 + denseSize);
    this.hashes = slab.subarray(0, 64);
    this.index = slab.subarray(64, 192);
    this.indexMask = 127;
    this.memo = slab.subarray(192, 256);
    this.memoMask = 15;
    this.dense = slab.subarray(256);
  }

  get size(): number {
    return this.states.length;
  }

  /** The id of `state`, interning it if new. */
  intern(state: S): number {
    const h = this.model.hash(state) | 0;
    const mask = this.indexMask;
    let slot = mix32(h) & mask;
    for (;;) {
      const v = this.index[slot]!;
      if (v === 0) break;
      const id = v - 1;
      if (this.hashes[id] === h && this.model.equal(this.states[id]!, state)) return id;
      slot = (slot + 1) & mask;
    }
    const id = this.states.length;
    this.states.push(state);
    if (id >= this.hashes.length) {
      const grown = new Int32Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[id] = h;
    this.index[slot] = id + 1;
    if (this.states.length * 2 > this.index.length) this.growIndex();
    if (id >= this.denseRows && this.denseRows < this.maxDenseRows) this.growDense(id + 1);
    return id;
  }

  private growIndex(): void {
    const size = this.index.length * 2;
    const mask = size - 1;
    const index = new Int32Array(size);
    for (let id = 0; id < this.states.length; id++) {
      let slot = mix32(this.hashes[id]!) & mask;
      while (index[slot] !== 0) slot = (slot + 1) & mask;
      index[slot] = id + 1;
    }
    this.index = index;
    this.indexMask = mask;
  }

  private growDense(rows: number): void {
    const target = Math.min(this.maxDenseRows, Math.max(rows, this.denseRows * 2));
    const dense = new Int32Array(target * this.n);
    dense.set(this.dense);
    this.dense = dense;
    this.denseRows = target;
  }

  /**
   * Doubles the hashed memo without moving its entries (in a cold process
   * that loop alone costs more than the search): the full table becomes the
   * previous one, looked up after the current one, and an entry found there
   * moves to the current one. What is never asked for again is dropped at
   * the next doubling.
   */
  private growMemo(): void {
    const size = 2 * (this.memoMask + 1);
    this.previous = this.memo;
    this.previousMask = this.memoMask;
    this.memo = new Int32Array(4 * size);
    this.memoMask = size - 1;
    this.memoCount = 0;
  }

  /** The entry for (state, op) in the previous memo, moved to the current one; -2 when absent. */
  private fromPrevious(stateId: number, op: number): number {
    const memo = this.previous;
    const wrap = memo.length - 1;
    for (let at = memoSlot(stateId, op, this.previousMask); memo[at + 2] !== 0; at = (at + 4) & wrap) {
      if (memo[at] === stateId && memo[at + 1] === op) {
        const result = memo[at + 2]! - 2;
        this.remember(stateId, op, result);
        return result;
      }
    }
    return -2;
  }

  private remember(stateId: number, op: number, result: number): void {
    if (++this.memoCount * 2 > this.memoMask) this.growMemo();
    const memo = this.memo;
    const wrap = memo.length - 1;
    let at = memoSlot(stateId, op, this.memoMask);
    while (memo[at + 2] !== 0) at = (at + 4) & wrap;
    memo[at] = stateId;
    memo[at + 1] = op;
    memo[at + 2] = result + 2;
  }

  /** The state after operation `op` in state `stateId`, or -1 when the model rejects it. */
  next(stateId: number, op: number): number {
    if (stateId < this.denseRows) {
      const v = this.dense[stateId * this.n + op]!;
      if (v !== 0) return v - 2;
    } else {
      const memo = this.memo;
      const wrap = memo.length - 1;
      for (let at = memoSlot(stateId, op, this.memoMask); memo[at + 2] !== 0; at = (at + 4) & wrap) {
        if (memo[at] === stateId && memo[at + 1] === op) return memo[at + 2]! - 2;
      }
    }
    return this.miss(stateId, op);
  }

  /** A memo miss: the model steps, the result is interned and remembered. Kept apart from `next` so the search's hot loop stays small. */
  private miss(stateId: number, op: number): number {
    if (stateId >= this.denseRows) {
      const known = this.fromPrevious(stateId, op);
      if (known !== -2) return known;
    }
    this.stepCalls++;
    const o = this.ops[op]!;
    const after = this.model.step(this.states[stateId]!, o.input, o.output);
    const result = after === ILLEGAL ? -1 : this.intern(after as S);
    // intern() may have grown the tables; index them again.
    if (stateId < this.denseRows) this.dense[stateId * this.n + op] = result + 2;
    else this.remember(stateId, op, result);
    return result;
  }
}

/** An empty memo of one slot (never written: growMemo replaces it). */
const NO_MEMO = new Int32Array(4);

/** Offset of the (state, op) slot in the hashed memo. */
const memoSlot = (stateId: number, op: number, mask: number): number =>
  (mix32(Math.imul(stateId, 0x9e3779b1) ^ op) & mask) << 2;
