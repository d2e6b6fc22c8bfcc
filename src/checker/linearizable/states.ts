import type { ResolvedModel } from './model.ts';
import { mix32 } from './structural.ts';
import { ILLEGAL, type Operation } from './types.ts';

/**
 * Model states interned as small integers, and a memo of `step` results.
 *
 * Interning makes the cache key cheap (an int instead of a model state to
 * hash and compare) and the memo means the model's `step`, `hash` and
 * `equal` run once per (state, operation) pair, however many times the
 * search comes back to it with a different set of linearized operations.
 * Both rely on `step` being pure.
 */
export class StateSpace<S, I, O> {
  /** Interned states; the id is the index. */
  readonly states: S[] = [];
  private hashes = new Int32Array(16);
  /** Open addressing: state id + 1, 0 = empty. */
  private index = new Int32Array(32);
  private indexMask = 31;

  // Step memo: (state id, op) → next state id, or -1 when illegal.
  private memoState = new Int32Array(1024).fill(-1);
  private memoOp = new Int32Array(1024);
  private memoNext = new Int32Array(1024);
  private memoMask = 1023;
  private memoCount = 0;
  /** Number of model `step` calls (memo misses). */
  stepCalls = 0;

  constructor(
    private readonly model: ResolvedModel<S, I, O>,
    private readonly ops: readonly Operation<I, O>[],
  ) {}

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

  /** The state after operation `op` in state `stateId`, or -1 when the model rejects it. */
  next(stateId: number, op: number): number {
    const mask = this.memoMask;
    let slot = (Math.imul(stateId, 0x9e3779b1) ^ Math.imul(op + 1, 0x85ebca6b)) & mask;
    const memoState = this.memoState;
    for (;;) {
      const s = memoState[slot]!;
      if (s === -1) break;
      if (s === stateId && this.memoOp[slot] === op) return this.memoNext[slot]!;
      slot = (slot + 1) & mask;
    }
    this.stepCalls++;
    const o = this.ops[op]!;
    const after = this.model.step(this.states[stateId]!, o.input, o.output);
    const result = after === ILLEGAL ? -1 : this.intern(after as S);
    // intern() does not touch the memo, so `slot` is still free.
    memoState[slot] = stateId;
    this.memoOp[slot] = op;
    this.memoNext[slot] = result;
    if (++this.memoCount * 2 > mask) this.growMemo();
    return result;
  }

  private growMemo(): void {
    const size = (this.memoMask + 1) * 2;
    const mask = size - 1;
    const ms = new Int32Array(size).fill(-1);
    const mo = new Int32Array(size);
    const mn = new Int32Array(size);
    for (let i = 0; i <= this.memoMask; i++) {
      const s = this.memoState[i]!;
      if (s === -1) continue;
      const o = this.memoOp[i]!;
      let slot = (Math.imul(s, 0x9e3779b1) ^ Math.imul(o + 1, 0x85ebca6b)) & mask;
      while (ms[slot] !== -1) slot = (slot + 1) & mask;
      ms[slot] = s;
      mo[slot] = o;
      mn[slot] = this.memoNext[i]!;
    }
    this.memoState = ms;
    this.memoOp = mo;
    this.memoNext = mn;
    this.memoMask = mask;
  }
}
