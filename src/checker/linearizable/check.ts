import { FaultlineError } from '../../base/errors.ts';
import { type DescribeLimits, describePartition } from './describe.ts';
import { type QuickStart, quickStart } from './jit.ts';
import { defaultMemoryBudget, type MemoryWatch, memoryWatch } from './memory.ts';
import { type Partition, partitionOperations, type ResolvedModel, resolveModel } from './model.ts';
import {
  bundledWorkers,
  type ParallelRun,
  shouldUseWorkers,
  startWorkers,
  type WorkSource,
  warmWorkersIdle,
} from './parallel.ts';
import { PartitionCheck } from './search.ts';
import type {
  AnyModel,
  CheckOptions,
  CheckOutcome,
  CheckResult,
  Operation,
  PartitionResult,
  StopReason,
} from './types.ts';
import { WARM_UP_FROM_OPS, warmUp } from './warm-up.ts';

/** Iterations of the search between two looks at the clock and the abort signal. */
const SLICE = 1 << 14;
/**
 * Iterations each partition gets on its first turn, which settles the easy
 * ones (most of them). Small, so that an illegal partition that is quick to
 * refute (the usual case: porcupine stops every partition at the first
 * illegal one) is not kept waiting behind slow legal ones.
 */
const FIRST_TURN = 1 << 6;
/** At most this many searches are kept between their turns (each holds its cache; the memory budget watches them). */
const MAX_SUSPENDED = 64;
/** How long the async check works before yielding to the event loop (so aborts and timers can fire). */
const YIELD_EVERY_MS = 20;
/**
 * With `workers: 'auto'`, when a check hands partitions to worker threads:
 * at once when warm workers wait in the pool; once it has used this much CPU
 * time when they must start from the bundle (tens of ms, then a cold JIT);
 * later through the tsx loader (hundreds of ms). CPU time, because on a
 * loaded machine the wall clock says little about how much work is left.
 */
const WORKERS_AFTER_CPU_MS = { warm: 0, bundled: 40, tsx: 300 };

export const DEFAULT_MAX_PARTIAL_LINEARIZATIONS = 32;
export const DEFAULT_MAX_PARTIAL_STEPS = 20_000;

/** CheckOptions with every default applied. */
export interface ResolvedCheckOptions extends DescribeLimits {
  timeoutMs: number;
  signal: AbortSignal | undefined;
  workers: number | 'auto';
  maxMemoryBytes: number;
}

export const resolveCheckOptions = (options: CheckOptions = {}): ResolvedCheckOptions => {
  const timeoutMs = options.timeoutMs ?? Number.POSITIVE_INFINITY;
  if (!(timeoutMs > 0))
    throw new FaultlineError('FL_ERR_CONFIG', `timeoutMs must be a positive number, got ${timeoutMs}`);
  const maxPartialLinearizations = options.maxPartialLinearizations ?? DEFAULT_MAX_PARTIAL_LINEARIZATIONS;
  const maxPartialSteps = options.maxPartialSteps ?? DEFAULT_MAX_PARTIAL_STEPS;
  if (options.maxMemoryBytes !== undefined && !(options.maxMemoryBytes > 0)) {
    throw new FaultlineError(
      'FL_ERR_CONFIG',
      `maxMemoryBytes must be a positive number, got ${options.maxMemoryBytes}`,
    );
  }
  if (!(maxPartialLinearizations >= 1) || !(maxPartialSteps >= 1)) {
    throw new FaultlineError('FL_ERR_CONFIG', 'maxPartialLinearizations and maxPartialSteps must be at least 1');
  }
  return {
    timeoutMs,
    signal: options.signal,
    keepPartial: options.keepPartial ?? false,
    maxPartialLinearizations,
    maxPartialSteps,
    workers: options.workers ?? 'auto',
    maxMemoryBytes: options.maxMemoryBytes ?? defaultMemoryBudget(),
  };
};

/**
 * Checks that `operations` are linearizable with respect to `model`.
 * Partitions (P-compositionality) are checked independently; the first
 * illegal one ends the check. Answers `unknown` past `timeoutMs` or when
 * `signal` aborts. Large multi-partition checks of built-in models use
 * worker threads.
 */
export const check = async <S, I, O>(
  model: AnyModel<S, I, O>,
  operations: readonly Operation<I, O>[],
  options: CheckOptions = {},
): Promise<CheckResult<I, O>> => {
  const run = new CheckRun(model, operations, resolveCheckOptions(options));
  // After everything that can throw before the `try` (bad options, bad operations): TurboFan must come back on.
  const turbofan = quickStart();
  let parallel: ParallelRun | undefined;
  const wantsWorkers = shouldUseWorkers(run.resolved, run.options, run.partitions.length);
  const after =
    run.options.workers !== 'auto'
      ? 0
      : warmWorkersIdle()
        ? WORKERS_AFTER_CPU_MS.warm
        : bundledWorkers()
          ? WORKERS_AFTER_CPU_MS.bundled
          : WORKERS_AFTER_CPU_MS.tsx;
  try {
    // A short first pass: most checks end in it; the others hand work to workers early.
    let budget = wantsWorkers ? 1 : YIELD_EVERY_MS;
    while (!run.work(budget, turbofan)) {
      // A lane that failed (a worker that could not start) holds its partition forever: stop, and throw below.
      if (parallel?.failure) break;
      budget = YIELD_EVERY_MS;
      if (parallel === undefined && wantsWorkers && run.cpuMs() >= after) {
        parallel = startWorkers(run.resolved, run, run.options, run.deadline, (settled) => run.absorb(settled));
      }
      parallel?.wake();
      if (parallel && run.idle()) await parallel.changed();
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    turbofan('now');
    if (parallel) {
      parallel.cancel();
      await parallel.stopped().catch(() => undefined);
    }
  }
  if (parallel?.failure) throw parallel.failure;
  return run.result();
};

/** `check` without worker threads or yielding: blocks until done. The signal is only looked at between slices. */
export const checkSync = <S, I, O>(
  model: AnyModel<S, I, O>,
  operations: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> => {
  const turbofan = quickStart();
  try {
    const run = new CheckRun(model, operations, resolveCheckOptions(options));
    while (!run.work(Number.POSITIVE_INFINITY, turbofan)) {
      // work() returns after each pass; keep going
    }
    return run.result();
  } finally {
    turbofan('now');
  }
};

/** A partition settled elsewhere (a worker thread), and whether a budget cut it short. */
export interface SettledPartition<I, O> {
  index: number;
  result: PartitionResult<I, O>;
  stopped: 'timeout' | 'memory' | undefined;
}

/** The state of one check: partitions, their searches and results. */
class CheckRun<I, O> implements WorkSource<I, O> {
  readonly resolved: ResolvedModel<unknown, I, O>;
  readonly partitions: Partition<I, O>[];
  readonly results: (PartitionResult<I, O> | undefined)[];
  readonly started = performance.now();
  /** Set by `cpuMs()`'s first call (a syscall: only checks that may start workers need it). */
  private cpuStarted: NodeJS.CpuUsage | undefined;
  readonly deadline: number;
  private search: PartitionCheck<unknown, I, O> | undefined;
  private searchIndex = -1;
  private searchStarted = 0;
  /**
   * Partitions waiting for their turn, round robin: each turn runs a
   * partition up to its iteration budget, which doubles every turn, so a
   * hard partition never keeps an easy (maybe illegal) one waiting for long,
   * and a lone partition just runs on.
   */
  private readonly queue: number[];
  private readonly budgets: Float64Array;
  private stopped: StopReason | undefined;
  private readonly memory: MemoryWatch;
  private illegal = -1;
  /** Searches between their turns; past MAX_SUSPENDED, a search is dropped and restarts on its next turn. */
  private readonly suspended = new Map<number, { search: PartitionCheck<unknown, I, O>; started: number }>();
  /** Partitions on a worker thread right now. */
  private readonly leased: Uint8Array;
  private leasedCount = 0;
  /** Partitions without a result and not on a worker. */
  private free: number;

  constructor(
    model: AnyModel<unknown, I, O> | AnyModel<never, I, O>,
    private readonly operations: readonly Operation<I, O>[],
    readonly options: ResolvedCheckOptions,
  ) {
    validateOperations(operations);
    if (operations.length >= WARM_UP_FROM_OPS) warmUp();
    this.resolved = resolveModel(model as AnyModel<unknown, I, O>);
    // By the model as given, not the resolved one: an explanation re-check finds these partitions again.
    this.partitions = partitionOperations(model as AnyModel<unknown, I, O>, operations);
    this.results = new Array(this.partitions.length).fill(undefined);
    this.leased = new Uint8Array(this.partitions.length);
    this.free = this.partitions.length;
    this.queue = this.partitions.map((_, i) => i);
    this.budgets = new Float64Array(this.partitions.length).fill(FIRST_TURN);
    this.deadline = this.started + options.timeoutMs;
    this.memory = memoryWatch(options.maxMemoryBytes);
  }

  /** CPU time of this process since the first call, in ms (the first call is made right after the first slice). */
  cpuMs(): number {
    if (this.cpuStarted === undefined) {
      this.cpuStarted = process.cpuUsage();
      return 0;
    }
    const used = process.cpuUsage(this.cpuStarted);
    return (used.user + used.system) / 1000;
  }

  /** Partitions with a result. */
  private decided = 0;

  finished(): boolean {
    return this.stopped !== undefined || this.illegal >= 0 || this.decided === this.partitions.length;
  }

  /**
   * For a worker: the next partition in turn order that is not being
   * searched here, preferring one no search here has started (a suspended
   * search's work is lost when a worker takes its partition).
   */
  lease(): { index: number; partition: Partition<I, O>; turn: number } | undefined {
    if (this.finished()) return undefined;
    let at = -1;
    for (let pass = 0; pass < 2 && at < 0; pass++) {
      for (let k = 0; k < this.queue.length; k++) {
        const index = this.queue[k]!;
        if (this.results[index] !== undefined || this.leased[index] === 1 || index === this.searchIndex) continue;
        if (pass === 0 && this.suspended.has(index)) continue;
        at = k;
        break;
      }
    }
    if (at < 0) return undefined;
    const index = this.queue.splice(at, 1)[0]!;
    this.suspended.delete(index);
    this.leased[index] = 1;
    this.leasedCount++;
    this.free--;
    // A worker runs a partition to its end: pausing it there would lose its search (a worker's state stays
    // in the worker), and this thread keeps taking turns on the others, so an illegal one is not kept waiting.
    return { index, partition: this.partitions[index]!, turn: Number.POSITIVE_INFINITY };
  }

  paused(index: number, iterations: number): void {
    this.leased[index] = 0;
    this.leasedCount--;
    this.free++;
    this.budgets[index] = 2 * Math.max(this.budgets[index]!, iterations);
    this.queue.push(index);
  }

  /** Nothing left to check in this thread. */
  idle(): boolean {
    return this.search === undefined && this.free === 0;
  }

  absorb(settled: SettledPartition<I, O>): void {
    if (this.leased[settled.index] === 1) {
      this.leased[settled.index] = 0;
      this.leasedCount--;
    }
    if (this.results[settled.index] === undefined) this.decided++;
    this.results[settled.index] = settled.result;
    if (settled.result.result === 'illegal' && (this.illegal < 0 || settled.index < this.illegal)) {
      this.illegal = settled.index;
    }
    if (settled.stopped) this.stopped ??= settled.stopped;
  }

  /** Works for about `budgetMs`; true when the check is decided. `turbofan` is called once the check is no longer short (see jit.ts). */
  work(budgetMs: number, turbofan: QuickStart): boolean {
    const until = performance.now() + budgetMs;
    for (;;) {
      if (this.finished()) return true;
      const now = performance.now();
      turbofan();
      if (now > this.deadline) {
        this.stopped = 'timeout';
        return true;
      }
      if (this.options.signal?.aborted) {
        this.stopped = 'aborted';
        return true;
      }
      if (this.memory.exceeded(now)) {
        this.stopped = 'memory';
        return true;
      }
      if (now > until || this.idle()) return false;
      this.advance();
    }
  }

  /** One slice of work on the current partition. */
  private advance(): void {
    if (this.search === undefined) {
      let index: number | undefined;
      do index = this.queue.shift();
      while (index !== undefined && (this.results[index] !== undefined || this.leased[index] === 1));
      if (index === undefined) return;
      const resumed = this.suspended.get(index);
      this.suspended.delete(index);
      if (resumed) {
        this.search = resumed.search;
        this.searchStarted = resumed.started;
      } else {
        const ops = this.partitions[index]!.ops;
        const budget = this.options.keepPartial
          ? { budget: Math.max(2 * this.options.maxPartialSteps, 2 * ops.length) }
          : undefined;
        this.search = new PartitionCheck(this.resolved, ops, budget);
        this.searchStarted = performance.now();
      }
      this.searchIndex = index;
    }
    const search = this.search;
    const index = this.searchIndex;
    // Up to the end of its turn (a lone partition just runs on).
    const alone = this.free === 1 && this.leasedCount === 0;
    const slice = alone ? SLICE : Math.min(SLICE, Math.max(64, this.budgets[index]! - search.iterations));
    const status = search.run(slice);
    if (status !== 'running') {
      this.settle(status);
      return;
    }
    if (search.iterations < this.budgets[index]! || alone) return;
    // Its turn is over: to the back of the queue, with twice the budget.
    this.budgets[index] = 2 * search.iterations;
    if (this.suspended.size < MAX_SUSPENDED) this.suspended.set(index, { search, started: this.searchStarted });
    else this.budgets[index] = 2 * this.budgets[index]!; // it restarts from scratch: give it more
    this.queue.push(index);
    this.search = undefined;
    this.searchIndex = -1;
  }

  private settle(status: CheckOutcome): void {
    const search = this.search!;
    const index = this.searchIndex;
    const partition = this.partitions[index]!;
    this.decided++;
    this.results[index] = describePartition(
      index,
      partition.key,
      search,
      status,
      performance.now() - this.searchStarted,
      this.options,
    );
    if (status === 'illegal') this.illegal = index;
    this.free--;
    this.search = undefined;
    this.searchIndex = -1;
  }

  result(): CheckResult<I, O> {
    if (this.search && this.searchIndex >= 0 && this.results[this.searchIndex] === undefined) {
      // Interrupted mid-search: report what it found so far.
      this.settleInterrupted();
    }
    const partitions = this.partitions.map(
      (p, index): PartitionResult<I, O> =>
        this.results[index] ?? {
          index,
          ...(p.key === undefined ? {} : { key: p.key }),
          result: 'unknown',
          opCount: p.ops.length,
        },
    );
    const result: CheckOutcome =
      this.illegal >= 0 ? 'illegal' : partitions.every((p) => p.result === 'ok') ? 'ok' : 'unknown';
    // Workers cut short by an abort settle their partitions as unknown before this thread sees the signal.
    const reason = this.stopped ?? (this.options.signal?.aborted ? 'aborted' : undefined);
    return {
      result,
      ...(result === 'unknown' && reason ? { reason } : {}),
      model: this.resolved.name,
      opCount: this.operations.length,
      leftOut: this.partitions.reduce((n, p) => n + p.leftOut, 0),
      partitions,
      ...(this.illegal >= 0 ? { failingPartition: this.illegal } : {}),
      elapsedMs: performance.now() - this.started,
    };
  }

  private settleInterrupted(): void {
    const search = this.search!;
    const index = this.searchIndex;
    this.results[index] = describePartition(
      index,
      this.partitions[index]!.key,
      search,
      'unknown',
      performance.now() - this.searchStarted,
      this.options,
    );
    this.search = undefined;
  }
}

const validateOperations = (ops: readonly Operation<unknown, unknown>[]): void => {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (!Number.isFinite(op.call) || !(op.return >= op.call)) {
      throw new FaultlineError(
        'FL_ERR_HISTORY_PARSE',
        `operation ${op.id} (position ${i}) has call ${op.call} and return ${op.return}; a call must be finite and no later than its return`,
      );
    }
  }
};
