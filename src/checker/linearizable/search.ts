import { VisitedCache } from './cache.ts';
import { buildEntryList, CALL, type EntryList, INFO_CALL, lift, RETURN, unlift } from './entries.ts';
import type { ResolvedModel } from './model.ts';
import { PartialTracker } from './partial.ts';
import { StateSpace } from './states.ts';
import type { ImpossibleOperation, Operation } from './types.ts';

export type SearchStatus = 'ok' | 'illegal' | 'running';

export interface SearchOptions {
  /** Past this, the cache stops growing (default DEFAULT_CACHE_LIMIT_BYTES). */
  cacheLimitBytes?: number;
  /** See `PartitionSearch.infoLate`. */
  infoLate?: boolean;
  /** Share interned states and the step memo with another search of the same operations. */
  space?: StateSpace<unknown, unknown, unknown>;
}

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
 * linearized yet, so nothing after it can come next: backtrack (pop, put
 * the operation back, try the entry after it). An empty stack at a return
 * means no linearization exists.
 *
 * Indeterminate operations return at infinity and may never take effect:
 * their returns are not in the list, so a walk that meets no return means
 * every operation that had to take effect has: the partition is
 * linearizable. One that would leave the state unchanged is not tried (the
 * same configuration without it is already being explored), and the cache
 * skips configurations that differ from a visited one only by extra
 * indeterminate operations (see VisitedCache). With `infoLate`, they are
 * tried only after every determinate candidate (see PartitionCheck).
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
  /** Per operation: its word in `bits` and its bit there (determinate operations first, see VisitedCache). */
  private readonly opWord: Int32Array;
  private readonly opBit: Int32Array;
  /** Per operation: a random value, XORed into the bitset hash; 0 for indeterminate ones (not hashed). */
  private readonly opHash: Int32Array;
  /** Stack of linearized call nodes, and the state before each. */
  private readonly stackNode: Int32Array;
  private readonly stackState: Int32Array;
  /** Stack of linearized operations (for partial linearizations). */
  private readonly stackOp: Int32Array;
  /** With `infoLate`, the pass over candidates per position for each stack level (0: determinate, 1: indeterminate). */
  private readonly stackPass: Int32Array;
  private pass = 0;
  /**
   * Try indeterminate operations only after every determinate candidate (a
   * second pass before backtracking), instead of in time order as porcupine.
   */
  private readonly infoLate: boolean;
  /** Words of determinate operations in `bits`. */
  private readonly finiteWords: number;
  /** The first determinate word not all ones, and the last non-zero one (see VisitedCache). */
  private low: number;
  private high: number;
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
    options: SearchOptions = {},
  ) {
    const n = ops.length;
    this.list = buildEntryList(ops as readonly Operation<unknown, unknown>[]);
    this.space = (options.space as StateSpace<S, I, O> | undefined) ?? new StateSpace(model, ops);
    let finite = 0;
    for (const o of ops) if (o.return !== Number.POSITIVE_INFINITY) finite++;
    const finiteWords = Math.ceil(finite / 32);
    const infoWords = Math.ceil((n - finite) / 32);
    // Only the info-late order reaches small sets of indeterminate operations before their supersets, so only
    // it gains from dominance; in time order every superset would pile up in one probe chain.
    const dominance = (options.infoLate ?? false) && finite < n;
    // One allocation, several views (see buildEntryList).
    const slab = new Int32Array(7 * n + finiteWords + infoWords);
    this.opWord = slab.subarray(0, n);
    this.opBit = slab.subarray(n, 2 * n);
    this.opHash = randomHashes(slab.subarray(2 * n, 3 * n));
    this.stackNode = slab.subarray(3 * n, 4 * n);
    this.stackState = slab.subarray(4 * n, 5 * n);
    this.stackOp = slab.subarray(5 * n, 6 * n);
    this.stackPass = slab.subarray(6 * n, 7 * n);
    this.bits = slab.subarray(7 * n);
    this.finiteWords = finiteWords;
    this.high = -1;
    this.low = 0;
    // Determinate operations get bits in call order (so the linearized ones form a prefix and a short window,
    // see VisitedCache), indeterminate ones after them.
    const { next, kind, opOf, head } = this.list;
    let f = 0;
    let u = finiteWords * 32;
    for (let node = next[head]!; node !== -1; node = next[node]!) {
      const k = kind[node];
      if (k !== CALL && k !== INFO_CALL) continue;
      const op = opOf[node]!;
      const position = k === CALL ? f++ : u++;
      this.opWord[op] = position >>> 5;
      this.opBit[op] = 1 << (position & 31);
      // Dominance needs dominating entries in the same probe chain: leave indeterminate operations out of the hash.
      if (dominance && k === INFO_CALL) this.opHash[op] = 0;
    }
    this.cache = new VisitedCache(finiteWords, infoWords, dominance, n, options.cacheLimitBytes);
    this.infoLate = (options.infoLate ?? false) && finite < n;
    this.partial = partial ? new PartialTracker(n, partial.budget) : undefined;
    this.initialState = this.space.intern(model.init());
    this.stateId = this.initialState;
    // The starting configuration, so that configurations it dominates are skipped too.
    this.cache.add(this.bits, VisitedCache.key(0, this.initialState), this.initialState, this.low, this.high);
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
    const opWord = this.opWord;
    const opBit = this.opBit;
    const stackNode = this.stackNode;
    const stackState = this.stackState;
    const stackOp = this.stackOp;
    const partial = this.partial;
    const stackPass = this.stackPass;
    const infoLate = this.infoLate;
    let pass = this.pass;
    let depth = this.depth;
    let node = this.node;
    let stateId = this.stateId;
    let bitsHash = this.bitsHash;
    let low = this.low;
    let high = this.high;
    const finiteWords = this.finiteWords;
    let i = 0;
    let status: SearchStatus = 'running';
    for (; i < budget; i++) {
      if (node === -1) {
        status = 'ok'; // no return left: every operation that had to take effect has
        break;
      }
      const k = kind[node]!;
      if (k === RETURN) {
        if (pass === 0 && infoLate) {
          // Determinate candidates exhausted; now the indeterminate ones before this return.
          pass = 1;
          node = next[head]!;
          continue;
        }
        // That operation must take effect before anything after it: backtrack.
        if (depth === 0) {
          status = 'illegal';
          break;
        }
        if (partial) partial.deadEnd(stackOp, depth);
        depth--;
        node = stackNode[depth]!;
        stateId = stackState[depth]!;
        pass = stackPass[depth]!;
        const op = opOf[node]!;
        const w = opWord[op]!;
        const word = bits[w]! & ~opBit[op]!;
        bits[w] = word;
        if (w < finiteWords) {
          if (w < low) low = w;
          if (word === 0 && w === high) {
            do high--;
            while (high >= 0 && bits[high] === 0);
          }
        }
        bitsHash ^= opHash[op]!;
        unlift(list, node);
        node = next[node]!;
        continue;
      }
      if (infoLate && (k === INFO_CALL) !== (pass === 1)) {
        node = next[node]!;
        continue;
      }
      const op = opOf[node]!;
      const after = space.next(stateId, op);
      // An indeterminate operation that changes nothing here is pointless here (it may as well never happen).
      if (after >= 0 && (after !== stateId || k === CALL)) {
        const w = opWord[op]!;
        const bit = opBit[op]!;
        const word = bits[w]! | bit;
        bits[w] = word;
        let newLow = low;
        let newHigh = high;
        if (w < finiteWords) {
          if (w > newHigh) newHigh = w;
          if (word === -1 && w === newLow) {
            do newLow++;
            while (newLow < finiteWords && bits[newLow] === -1);
          }
        }
        const h = bitsHash ^ opHash[op]!;
        if (cache.add(bits, VisitedCache.key(h, after), after, newLow, newHigh)) {
          low = newLow;
          high = newHigh;
          bitsHash = h;
          stackNode[depth] = node;
          stackState[depth] = stateId;
          stackOp[depth] = op;
          stackPass[depth] = pass;
          if (partial) partial.pushed(depth, op);
          depth++;
          stateId = after;
          lift(list, node);
          node = next[head]!;
          pass = 0;
          continue;
        }
        bits[w]! &= ~bit;
      }
      node = next[node]!;
    }
    this.iterations += i;
    this.depth = depth;
    this.pass = pass;
    this.node = node;
    this.stateId = stateId;
    this.bitsHash = bitsHash;
    this.low = low;
    this.high = high;
    this.status = status;
    return status;
  }
}

/** Fills `out` with fixed-seed random 32-bit values, one per operation, for the incremental bitset hash. */
const randomHashes = (out: Int32Array): Int32Array => {
  const n = out.length;
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

/**
 * Checks one partition. Without indeterminate operations, one search.
 * With them, two searches run in turns and the first to finish decides
 * (both are exact): one tries indeterminate operations in time order, as
 * porcupine does, which finds linearizations fast; the other tries them
 * only after every determinate candidate, so the smaller sets of crashed
 * operations are reached first and dominate the larger ones in the cache,
 * which proves illegal histories much faster. They share the interned
 * states and the step memo, not the cache (a configuration one search has
 * only started exploring proves nothing to the other).
 */
const SECOND_SEARCH_AFTER = 4096;
/**
 * Iterations per operation after which a partition's search pauses for the
 * model's pre-check (`ModelHooks.impossible`, one pass over the operations).
 * Most partitions are decided sooner and never pay for it; one whose search
 * goes on (thousands of crashed writes to interleave before a read of a
 * value nobody wrote) is refuted there, after a few iterations per operation.
 */
const PRECHECK_AFTER_PER_OP = 8;

export class PartitionCheck<S, I, O> {
  readonly searches: PartitionSearch<S, I, O>[];
  /** The search that decided, or the first one while undecided. */
  decided: PartitionSearch<S, I, O>;
  private turn = 0;
  private readonly hasInfo: boolean;
  /** Iterations at which the pre-check runs; Infinity once it has. */
  private precheckAt: number;
  /** What the model's pre-check found: the partition is illegal without a search. */
  impossible: ImpossibleOperation | undefined;

  constructor(
    private readonly model: ResolvedModel<S, I, O>,
    private readonly ops: readonly Operation<I, O>[],
    private readonly partial?: PartialOptions,
  ) {
    const first = new PartitionSearch(model, ops, partial);
    this.searches = [first];
    this.decided = first;
    this.hasInfo = ops.some((o) => o.return === Number.POSITIVE_INFINITY);
    this.precheckAt = PRECHECK_AFTER_PER_OP * ops.length;
  }

  get status(): SearchStatus {
    return this.impossible ? 'illegal' : this.decided.status;
  }

  /** Total iterations of every search. */
  get iterations(): number {
    let n = 0;
    for (const s of this.searches) n += s.iterations;
    return n;
  }

  /** About `budget` iterations, shared between the searches. */
  run(budget: number): SearchStatus {
    if (this.impossible) return 'illegal';
    if (this.precheckAt !== Number.POSITIVE_INFINITY) {
      const until = this.precheckAt - this.iterations;
      if (until <= 0) {
        this.precheckAt = Number.POSITIVE_INFINITY;
        this.impossible = this.model.impossible(this.ops);
        if (this.impossible) return 'illegal';
      } else budget = Math.min(budget, until);
    }
    if (this.searches.length === 1) {
      const first = this.searches[0]!;
      // Most partitions are decided at once; start the second search only for those that are not.
      const status = first.run(this.hasInfo ? Math.min(budget, SECOND_SEARCH_AFTER - first.iterations) : budget);
      if (status === 'running' && this.hasInfo && first.iterations >= SECOND_SEARCH_AFTER) {
        const space = first.space as StateSpace<unknown, unknown, unknown>;
        this.searches.push(new PartitionSearch(this.model, this.ops, this.partial, { infoLate: true, space }));
      }
      return status;
    }
    // Three turns in four to the time-order search: it finds linearizations faster, and a legal partition
    // (the usual case) is only decided by finding one. The info-late one still proves illegal ones soon.
    const s = this.searches[this.turn === 3 ? 1 : 0]!;
    this.turn = (this.turn + 1) & 3;
    const status = s.run(budget);
    if (status !== 'running') this.decided = s;
    return status;
  }
}
