/**
 * Public types of the linearizability checker: models, operations, options
 * and results. The approach is porcupine's (Wing & Gong search, Lowe's cache,
 * P-compositional partitions); the shapes below are faultline's.
 */

/**
 * What a model's `step` returns when the operation cannot take effect in the
 * given state. A symbol rather than a `[ok, state]` tuple so the search does
 * not allocate per step, and because `null`/`undefined` are valid states
 * (a register holding nil).
 */
export const ILLEGAL: unique symbol = Symbol.for('faultline.linearizable.illegal');
export type Illegal = typeof ILLEGAL;

/**
 * One operation of a history, as the checker sees it.
 *
 * `[call, return]` is a closed interval: the operation took effect at one
 * instant inside it, endpoints included, so two operations whose endpoints
 * touch are concurrent. An indeterminate operation (Jepsen `info`: a timeout,
 * a lost connection) has `return: Infinity` and `output: undefined`: it may
 * have taken effect at any point after its call, or never.
 */
export interface Operation<I = unknown, O = unknown> {
  /** Identifies the operation in results; `fromHistory` sets the index of the invoking faultline Op. Unique within a check. */
  id: number;
  /** The client (Jepsen process) that issued it. */
  clientId: number;
  input: I;
  /** Invocation time (any monotonic unit; faultline uses ns). */
  call: number;
  /** `undefined` when the outcome is unknown (indeterminate operation). */
  output: O | undefined;
  /** Completion time; `Infinity` for an indeterminate operation. */
  return: number;
}

/**
 * How a worker thread can rebuild a model (user models are objects with
 * functions and cannot cross threads). Built-in models carry
 * `{ name, options }` (see `checker/models/index.ts`); a user model may name an
 * ES module exporting a model (`{ module: absolute path or URL, exportName }`).
 * A model without a spec is always checked in the calling thread.
 */
export type ModelSpec =
  | { readonly name: string; readonly options?: Readonly<Record<string, unknown>> }
  | { readonly module: string; readonly exportName: string };

/** Hooks shared by the deterministic and nondeterministic models. */
export interface ModelHooks<S, I, O> {
  /** Used in messages and results, e.g. "cas-register". */
  readonly name: string;
  /**
   * Structural equality of states. Default: deep equality of plain data
   * (primitives, arrays, plain objects, Maps, Sets).
   */
  equal?(a: S, b: S): boolean;
  /**
   * A 32-bit hash consistent with `equal` (equal states, equal hashes).
   * Default: a hash of the state's structure. Speed matters: the search
   * interns every new state once.
   */
  hash?(state: S): number;
  /**
   * P-compositionality: the groups of operations that can be checked
   * independently (e.g. one per key). The history is linearizable iff every
   * group is. Simpler alternative: `partitionKey`. Default: one partition.
   */
  partition?(ops: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** Groups operations by this key (and labels partitions with it). Used when `partition` is absent. */
  partitionKey?(input: I): string;
  /** One line for reports, e.g. "cas(1, 2) → ok"; `output` is undefined for an indeterminate operation. */
  describeOperation?(input: I, output: O | undefined): string;
  /** One line for reports, e.g. "3". */
  describeState?(state: S): string;
  /**
   * A linear pre-check of one partition's operations: an operation that
   * could not take effect in any state the partition can reach (a read of a
   * value that no write could have produced), which makes the partition
   * illegal without exploring its interleavings. It runs once the
   * partition's search has taken a few iterations per operation (partitions
   * decided sooner never pay for it). Must be sound: return an operation
   * only when it is definite (it has an output) and the model rejects it in
   * every reachable state; undefined when nothing is found (the search goes
   * on). Throws as `step` would on an operation the model does not know.
   */
  impossible?(ops: readonly Operation<I, O>[]): ImpossibleOperation | undefined;
  /**
   * Indeterminate operations of one partition that the search may leave
   * out, because had they taken effect no other operation could have
   * observed it (a crashed write of a value nobody read): the operations to
   * check, `ops` itself when none is left out. Must keep the verdict both
   * ways: the partition is linearizable with them exactly when it is
   * without. Thousands of crashed writes otherwise make the search try each
   * of them at every later point (etcd's robustness tests drop such writes
   * for the same reason).
   */
  prune?(ops: readonly Operation<I, O>[]): readonly Operation<I, O>[];
  /** Present on built-in models so partitions can be checked on worker threads. */
  readonly spec?: ModelSpec;
}

/** An operation that no linearization can contain, found by a model's pre-check without a search. */
export interface ImpossibleOperation {
  /** `Operation.id` */
  id: number;
  /** Why, for reports, e.g. "it reads 7, which no write of this partition could have produced, nor is it the initial value". */
  why: string;
}

/**
 * A sequential specification, as in porcupine. `step` must be pure: it must
 * not mutate `state` (states are shared between branches of the search and
 * cached) and must return the same answer for the same arguments.
 */
export interface Model<S = unknown, I = unknown, O = unknown> extends ModelHooks<S, I, O> {
  readonly nondeterministic?: false;
  init(): S;
  /**
   * The state after `input` took effect in `state` and answered `output`, or
   * `ILLEGAL` when it cannot have. `output` is `undefined` when the operation
   * is indeterminate: accept it in any state it could take effect in.
   */
  step(state: S, input: I, output: O | undefined): S | Illegal;
}

/**
 * A model whose operations may lead to several states (e.g. a queue that may
 * reorder, a write that may or may not be applied). The checker turns it into
 * a deterministic model over sets of states (the powerset construction, as
 * porcupine does); an empty result means illegal.
 */
export interface NondeterministicModel<S = unknown, I = unknown, O = unknown> extends ModelHooks<S, I, O> {
  readonly nondeterministic: true;
  init(): readonly S[];
  step(state: S, input: I, output: O | undefined): readonly S[];
}

export type AnyModel<S = unknown, I = unknown, O = unknown> = Model<S, I, O> | NondeterministicModel<S, I, O>;

/** `ok`: linearizable; `illegal`: not; `unknown`: not decided (timeout, abort, memory, or not checked after an early exit). */
export type CheckOutcome = 'ok' | 'illegal' | 'unknown';

/** Why a check stopped before deciding: its time budget, its signal, or its memory budget. */
export type StopReason = 'timeout' | 'aborted' | 'memory';

export interface CheckOptions {
  /** Budget for the whole check; past it the answer is `unknown` (reason "timeout"). Default: none. */
  timeoutMs?: number;
  /** Aborting makes the answer `unknown` (reason "aborted"). */
  signal?: AbortSignal;
  /**
   * Memory the process may reach while checking (resident bytes); past it,
   * or past 85% of V8's heap limit, the answer is `unknown` (reason
   * "memory"), never a crash. Default: half the machine's memory, at most 4 GiB.
   */
  maxMemoryBytes?: number;
  /**
   * Keep the longest partial linearizations and the operations, as
   * porcupine's verbose mode, for reports. Costs time and memory; bounded by
   * the two limits below.
   */
  keepPartial?: boolean;
  /** At most this many distinct partial linearizations kept per partition, longest first. Default 32. */
  maxPartialLinearizations?: number;
  /** At most this many steps kept over all partial linearizations of a partition. Default 20,000. */
  maxPartialSteps?: number;
  /**
   * Worker threads for checking partitions in parallel. `0` checks in the
   * calling thread. Default: `'auto'` (workers only when the model has a
   * `spec` and the history is large enough for them to pay).
   */
  workers?: number | 'auto';
}

/** One step of a partial linearization: an operation and the model state around it. */
export interface LinearizationStep {
  /** `Operation.id` */
  id: number;
  /** `describeState` of the state before and after the operation took effect. */
  stateBefore: string;
  stateAfter: string;
}

/** A prefix of a linearization that could not be extended. */
export interface PartialLinearization {
  steps: LinearizationStep[];
}

/** An operation with its description, for reports. */
export interface DescribedOperation<I = unknown, O = unknown> extends Operation<I, O> {
  description: string;
}

/** An operation that could not be linearized next where the longest partial linearization stops. */
export interface StuckOperation {
  /** `Operation.id` */
  id: number;
  /**
   * `illegal`: the model rejects it in the state reached; `dead-end`: the
   * model accepts it but no linearization continues from there.
   */
  why: 'illegal' | 'dead-end';
}

export interface PartitionResult<I = unknown, O = unknown> {
  /** Position among the partitions. */
  index: number;
  /** The partition's key when the model partitions by key. */
  key?: string;
  result: CheckOutcome;
  /** Number of operations in the partition. */
  opCount: number;
  /** Search effort, for diagnostics: states visited, cache size, wall time. */
  stats?: { steps: number; cacheEntries: number; states: number; elapsedMs: number; onWorker?: boolean };
  /**
   * Set when the model's pre-check (`ModelHooks.impossible`) proved the
   * partition illegal (`stats.steps`: the few iterations the search had
   * taken before it ran): the operation and why. With `keepPartial` it is
   * also the one `stuck` operation, after an empty linearization.
   */
  precheck?: ImpossibleOperation;

  // The fields below are present only with `keepPartial`.

  /**
   * The partition's operations, in call order. An illegal partition of more
   * than MAX_DESCRIBED_OPERATIONS keeps those around where linearization
   * stops (and every stuck one): see `operationsWindow`.
   */
  operations?: DescribedOperation<I, O>[];
  /** When `operations` is a window: positions [first, last) of the partition's `of` operations in call order. */
  operationsWindow?: { first: number; last: number; of: number };
  /** The initial model state, described. */
  initialState?: string;
  /**
   * Longest partial linearizations, longest first. For an `ok` partition, a
   * full linearization. For an `illegal` one, every operation that appeared
   * in some partial linearization appears in the longest kept one that
   * contained it (porcupine's per-operation view), as far as the caps allow.
   */
  linearizations?: PartialLinearization[];
  /**
   * For each `Operation.id` of the partition, the index in `linearizations`
   * of the longest kept partial linearization containing it (absent: none).
   */
  longestFor?: Record<number, number>;
  /** Operations that could not come next at the end of `linearizations[0]` (illegal partitions only). */
  stuck?: StuckOperation[];
  /** True when `maxPartialLinearizations` or `maxPartialSteps` cut what was kept. */
  truncated?: boolean;
}

export interface CheckResult<I = unknown, O = unknown> {
  result: CheckOutcome;
  /** Why the result is `unknown`. */
  reason?: StopReason;
  /** Model name. */
  model: string;
  /** Number of operations checked (all partitions), those left out by `ModelHooks.prune` included. */
  opCount: number;
  /** Indeterminate operations left out before the search, since nothing could have observed them (`ModelHooks.prune`; absent in older results). */
  leftOut?: number;
  /** One per partition, in partition order. Partitions not checked after an early exit are `unknown`. */
  partitions: PartitionResult<I, O>[];
  /** Index of the first illegal partition, when `result` is `illegal`. */
  failingPartition?: number;
  elapsedMs: number;
}
