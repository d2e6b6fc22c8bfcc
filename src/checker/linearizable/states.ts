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
 * `equal` run once per (state, operation) pair, however many times the
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

  // Hashed memo for states past the dense rows: slots of [state, op, next state or -1 when illegal, unused],
  // interleaved so that a probe touches one cache line; state -1 = empty.
  private memo: Int32Array;
  private memoMask: number;
  private memoCount = 0;
  /** Number of model `step` calls (memo misses). */
  stepCalls = 0;

  private readonly n: number;

  constructor(
    private readonly model: ResolvedModel<S, I, O>,
    private readonly ops: readonly Operation<I, O>[],
  ) {
    this.n = Math.max(1, ops.length);
    this.maxDenseRows = Math.max(1, Math.floor(DENSE_MEMO_LIMIT / this.n));
    // About 8 KB to start: enough rows for a register's few states without growing.
    this.denseRows = Math.min(this.maxDenseRows, Math.max(8, Math.ceil(2048 / this.n)));
    const memoSize = 16;
    // One allocation for the starting tables (histories with many small partitions create thousands);
    // each is replaced by its own larger array when it grows.
    const slab = new Int32Array(64 + 128 + this.denseRows * this.n + memoSize * 4);
    this.hashes = slab.subarray(0, 64);
    this.index = slab.subarray(64, 192);
    this.indexMask = 127;
    this.dense = slab.subarray(192, 192 + this.denseRows * this.n);
    this.memo = slab.subarray(192 + this.denseRows * this.n).fill(-1);
    this.memoMask = memoSize - 1;
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

  /** The state after operation `op` in state `stateId`, or -1 when the model rejects it. */
  next(stateId: number, op: number): number {
    if (stateId < this.denseRows) {
      const v = this.dense[stateId * this.n + op]!;
      if (v !== 0) return v - 2;
      const result = this.compute(stateId, op);
      // compute() may have grown the dense table; index it again.
      this.dense[stateId * this.n + op] = result + 2;
      return result;
    }
    return this.nextHashed(stateId, op);
  }

  private compute(stateId: number, op: number): number {
    this.stepCalls++;
    const o = this.ops[op]!;
    const after = this.model.step(this.states[stateId]!, o.input, o.output);
    return after === ILLEGAL ? -1 : this.intern(after as S);
  }

  private nextHashed(stateId: number, op: number): number {
    let mask = this.memoMask;
    let memo = this.memo;
    let slot = mix32(Math.imul(stateId, 0x9e3779b1) ^ op) & mask;
    for (;;) {
      const at = slot << 2;
      const s = memo[at]!;
      if (s === -1) break;
      if (s === stateId && memo[at + 1] === op) return memo[at + 2]!;
      slot = (slot + 1) & mask;
    }
    const result = this.compute(stateId, op);
    if (++this.memoCount * 2 > mask) {
      this.growMemo();
      mask = this.memoMask;
      memo = this.memo;
      slot = mix32(Math.imul(stateId, 0x9e3779b1) ^ op) & mask;
      while (memo[slot << 2] !== -1) slot = (slot + 1) & mask;
    }
    const at = slot << 2;
    memo[at] = stateId;
    memo[at + 1] = op;
    memo[at + 2] = result;
    return result;
  }

  private growMemo(): void {
    const size = (this.memoMask + 1) * 2;
    const mask = size - 1;
    const memo = new Int32Array(size * 4).fill(-1);
    const old = this.memo;
    for (let i = 0; i < old.length; i += 4) {
      const s = old[i]!;
      if (s === -1) continue;
      const o = old[i + 1]!;
      let slot = mix32(Math.imul(s, 0x9e3779b1) ^ o) & mask;
      while (memo[slot << 2] !== -1) slot = (slot + 1) & mask;
      memo[slot << 2] = s;
      memo[(slot << 2) + 1] = o;
      memo[(slot << 2) + 2] = old[i + 2]!;
    }
    this.memo = memo;
    this.memoMask = mask;
  }
}
