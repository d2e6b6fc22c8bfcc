import { VisitedCache } from './cache.ts';
import { buildEntryList, CALL, type EntryList, lift, RETURN, unlift } from './entries.ts';
import type { ResolvedModel } from './model.ts';
import { PartialTracker } from './partial.ts';
import { StateSpace } from './states.ts';
import type { Operation } from './types.ts';

export type SearchStatus = 'ok' | 'illegal' | 'running';

/** What the search keeps for reports (porcupine's verbose mode). */
export interface PartialOptions {
  /** Live steps kept during the search before per-operation recording stops. */
  budget: number;
}

/**
 * The Wing & Gong depth-first search with Lowe's cache, for one partition.
 *
 * Walk the entry list from the head: at a call, try to linearize that
 * operation next (the model must accept it and the (linearized set, state)
 * pair must be new); if so, lift it out of the list, push it and restart
 * from the head. At a return, the operation returning there was not
 * linearized yet, so nothing before it can come next: backtrack (pop, put
 * the operation back, try the entry after it). An empty stack at a return
 * means no linearization exists.
 *
 * Indeterminate operations return at infinity, after every finite return.
 * They may also never take effect, so reaching one of their returns means
 * every operation that had to take effect has: the partition is linearizable.
 *
 * Resumable: `run(budget)` does at most `budget` iterations and returns
 * "running" if it was not done, so the caller can check a deadline or an
 * abort signal, or yield to the event loop, between slices.
 */
export class PartitionSearch<S, I, O> {
  readonly list: EntryList;
  readonly space: StateSpace<S, I, O>;
  readonly cache: VisitedCache;
  readonly partial: PartialTracker | undefined;
  readonly initialState: number;
  private readonly bits: Int32Array;
  private readonly opHash: Int32Array;
  /** Stack of linearized call nodes, and the state before each. */
  private readonly stackNode: Int32Array;
  private readonly stackState: Int32Array;
  /** Stack of linearized operations (for partial linearizations). */
  private readonly stackOp: Int32Array;
  private depth = 0;
  private node: number;
  private stateId: number;
  private bitsHash = 0;
  status: SearchStatus = 'running';
  iterations = 0;

  constructor(
    readonly model: ResolvedModel<S, I, O>,
    readonly ops: readonly Operation<I, O>[],
    partial?: PartialOptions,
  ) {
    const n = ops.length;
    this.list = buildEntryList(ops as readonly Operation<unknown, unknown>[]);
    this.space = new StateSpace(model, ops);
    const words = Math.max(1, Math.ceil(n / 32));
    this.cache = new VisitedCache(words, 2 * n);
    this.bits = new Int32Array(words);
    this.opHash = randomHashes(n);
    this.stackNode = new Int32Array(n);
    this.stackState = new Int32Array(n);
    this.stackOp = new Int32Array(n);
    this.partial = partial ? new PartialTracker(n, partial.budget) : undefined;
    this.initialState = this.space.intern(model.init());
    this.stateId = this.initialState;
    this.node = this.list.next[this.list.head]!;
  }

  /** The linearized operations (a full linearization once the status is "ok"). */
  linearized(): Int32Array {
    return this.stackOp.slice(0, this.depth);
  }

  run(budget: number): SearchStatus {
    if (this.status !== 'running') return this.status;
    const list = this.list;
    const { next, kind, opOf, head } = list;
    const space = this.space;
    const cache = this.cache;
    const bits = this.bits;
    const opHash = this.opHash;
    const stackNode = this.stackNode;
    const stackState = this.stackState;
    const stackOp = this.stackOp;
    const partial = this.partial;
    let depth = this.depth;
    let node = this.node;
    let stateId = this.stateId;
    let bitsHash = this.bitsHash;
    let i = 0;
    let status: SearchStatus = 'running';
    for (; i < budget; i++) {
      if (node === -1) {
        status = 'ok';
        break;
      }
      const k = kind[node]!;
      if (k === CALL) {
        const op = opOf[node]!;
        const after = space.next(stateId, op);
        if (after >= 0) {
          const w = op >>> 5;
          const bit = 1 << (op & 31);
          bits[w]! |= bit;
          const h = bitsHash ^ opHash[op]!;
          if (cache.add(bits, VisitedCache.key(h, after), after)) {
            bitsHash = h;
            stackNode[depth] = node;
            stackState[depth] = stateId;
            stackOp[depth] = op;
            if (partial) partial.pushed(depth, op);
            depth++;
            stateId = after;
            lift(list, node);
            node = next[head]!;
          } else {
            bits[w]! &= ~bit;
            node = next[node]!;
          }
        } else {
          node = next[node]!;
        }
      } else if (k === RETURN) {
        if (depth === 0) {
          status = 'illegal';
          break;
        }
        if (partial) partial.deadEnd(stackOp, depth);
        depth--;
        node = stackNode[depth]!;
        stateId = stackState[depth]!;
        const op = opOf[node]!;
        bits[op >>> 5]! &= ~(1 << (op & 31));
        bitsHash ^= opHash[op]!;
        unlift(list, node);
        node = next[node]!;
      } else {
        // The first return left is at infinity: every finite operation is linearized.
        status = 'ok';
        break;
      }
    }
    this.iterations += i;
    this.depth = depth;
    this.node = node;
    this.stateId = stateId;
    this.bitsHash = bitsHash;
    this.status = status;
    return status;
  }
}

/** Fixed-seed random 32-bit values, one per operation, for the incremental bitset hash. */
const randomHashes = (n: number): Int32Array => {
  const out = new Int32Array(n);
  let s = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    // splitmix32
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    out[i] = z ^ (z >>> 16);
  }
  return out;
};
