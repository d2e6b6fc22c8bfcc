import { availableParallelism } from 'node:os';
import { configError } from '../../base/errors.ts';
import type { Op } from '../../history/op.ts';
import type { CheckContext, Checker, CheckerResult, Validity } from '../checker.ts';
import { getModel, independent, type OpInput } from '../models/index.ts';
import { check } from './check.ts';
import { columnBuffers, fromColumns, type OperationColumns, operationColumns } from './from-history.ts';
import { partitionOperations, withoutPartitioning } from './model.ts';
import { newTaskNumber, replyError, runTaskOnWorker, startIdleWorker } from './parallel.ts';
import type { AnyModel, CheckOptions, CheckResult, Operation, PartitionResult, StopReason } from './types.ts';

/** What the `linearizable` checker puts in results.json. */
export interface LinearizableCheckerResult extends CheckerResult {
  valid: Validity;
  /** Model name, e.g. "cas-register". */
  model: string;
  /** Number of partitions (e.g. keys) the history was checked as. */
  partitions: number;
  /** Client operations checked (failed ones are left out: they did not happen). */
  opCount: number;
  /** Operations that returned at infinity (info, or never completed). */
  indeterminate: number;
  /**
   * Of those, how many the search left out: crashed operations nothing
   * could have observed (a timed-out write of a value nobody read), which
   * may as well not have happened (`ModelHooks.prune`). Absent in older results.
   */
  leftOut?: number;
  elapsedMs: number;
  /** Where it was checked: on a worker thread while the others ran, or on the calling thread. */
  thread?: 'worker' | 'calling';
  /** One line for humans. */
  summary?: string;
  /** Why `valid` is "unknown". */
  reason?: StopReason;
  /** Partitions the checker could not decide (timeout), when unknown. */
  undecided?: number;
  /** Key of the failing partition, when invalid and the model partitions by key. */
  failingKey?: string;
  /**
   * When invalid: the check result narrowed to the failing partition, with
   * its operations, longest partial linearizations and the operations that
   * could not come next — what `renderLinearizationSection` draws.
   */
  failure?: CheckResult;
}

export interface LinearizableCheckerOptions {
  /** Model name or object; `ctx.options.model` wins. Default "cas-register". */
  model?: string | AnyModel<unknown, OpInput, unknown>;
  /** Initial value for built-in models; `ctx.options.initial` wins. */
  initial?: unknown;
  /** Caps for the kept partial linearizations (see CheckOptions). */
  maxPartialLinearizations?: number;
  maxPartialSteps?: number;
  workers?: CheckOptions['workers'];
  /**
   * Where the check runs. `auto` (default): on a worker thread for a history
   * of at least `WORKER_THREAD_FROM_OPS` operations checked against a
   * built-in model, when the machine has a second core, so that the calling
   * thread runs the other checkers meanwhile (`runCheckers`); otherwise on
   * the calling thread. `worker` and `calling` force one or the other
   * (`worker` still checks a model object on the calling thread: it cannot
   * cross threads).
   */
  thread?: 'auto' | 'worker' | 'calling';
}

/**
 * From this many operations `thread: 'auto'` checks on a worker thread.
 * Below, starting the thread (hundreds of ms through the tsx loader) costs
 * about what it would free.
 */
export const WORKER_THREAD_FROM_OPS = 50_000;

const isModelObject = (v: unknown): v is AnyModel<unknown, OpInput, unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { step?: unknown }).step === 'function';

/**
 * Resolves the model from the workload options. A single-register model on
 * a history whose operations carry keys is checked per key (each key is an
 * independent register, as Jepsen's `independent` checker does).
 */
export const resolveCheckerModel = (
  history: readonly Op[],
  spec: unknown,
  initial: unknown,
): AnyModel<unknown, OpInput, unknown> =>
  modelFor(
    history.some((op) => op.key !== undefined && op.process !== 'nemesis'),
    spec,
    initial,
  );

const modelFor = (hasKeys: boolean, spec: unknown, initial: unknown): AnyModel<unknown, OpInput, unknown> => {
  let model: AnyModel<unknown, OpInput, unknown>;
  if (isModelObject(spec)) model = spec;
  else if (typeof spec === 'string') model = getModel(spec, initial === undefined ? {} : { initial });
  else if (spec === undefined) model = getModel('cas-register', initial === undefined ? {} : { initial });
  else throw configError(`the linearizable checker's model must be a model name, got ${JSON.stringify(spec)}`);
  const keyed = model.partition !== undefined || model.partitionKey !== undefined;
  return !keyed && hasKeys && (model.name === 'register' || model.name === 'cas-register') ? independent(model) : model;
};

/** What one check needs besides its operations; plain data but for a model object, so it can cross to a worker. */
export interface CheckerSettings {
  model: unknown;
  initial: unknown;
  timeoutMs: number | undefined;
  workers: CheckOptions['workers'] | undefined;
  maxPartialLinearizations: number | undefined;
  maxPartialSteps: number | undefined;
}

/**
 * The `linearizable` checker: a faultline history in, a verdict out. It
 * checks without keeping partial linearizations (cheaper on large valid
 * histories), then, when a partition is illegal, checks that partition
 * again with them kept, for the report. A large history is checked on a
 * worker thread (see `thread`).
 */
export const linearizableChecker = (defaults: LinearizableCheckerOptions = {}): Checker<LinearizableCheckerResult> => ({
  name: 'linearizable',
  offThread: true,
  async check(history: readonly Op[], ctx: CheckContext): Promise<LinearizableCheckerResult> {
    const started = performance.now();
    const settings: CheckerSettings = {
      model: ctx.options?.model ?? defaults.model,
      initial: ctx.options?.initial ?? defaults.initial,
      timeoutMs: ctx.timeoutMs,
      workers: defaults.workers,
      maxPartialLinearizations: defaults.maxPartialLinearizations,
      maxPartialSteps: defaults.maxPartialSteps,
    };
    const thread = defaults.thread ?? 'auto';
    // Events ≥ operations: a history this short never has enough operations to leave the thread.
    const mayLeave =
      !isModelObject(settings.model) &&
      (thread === 'worker' ||
        (thread === 'auto' && history.length >= WORKER_THREAD_FROM_OPS && availableParallelism() > 1));
    // The thread boots (hundreds of ms through the tsx loader) while this one reads the operations.
    if (mayLeave) startIdleWorker();
    const columns = operationColumns(history);
    const onWorker = mayLeave && (thread === 'worker' || columns.length >= WORKER_THREAD_FROM_OPS);
    const out = onWorker
      ? await checkOnWorker(columns, settings, ctx.signal)
      : await checkOperations(fromColumns(columns), columns.hasKeys, settings, ctx.signal);
    out.elapsedMs = performance.now() - started;
    out.thread = onWorker ? 'worker' : 'calling';
    out.summary = summarize(out);
    return out;
  },
});

/** The check itself, on whichever thread: operations in, the checker's result out (its `elapsedMs` and `summary` are the caller's). */
export const checkOperations = async (
  ops: Operation<OpInput, unknown>[],
  hasKeys: boolean,
  settings: CheckerSettings,
  signal: AbortSignal | undefined,
): Promise<LinearizableCheckerResult> => {
  const started = performance.now();
  const model = modelFor(hasKeys, settings.model, settings.initial);
  const options: CheckOptions = {
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
    ...(signal ? { signal } : {}),
    ...(settings.workers === undefined ? {} : { workers: settings.workers }),
  };
  const result = await check(model, ops, options);
  const out: LinearizableCheckerResult = {
    valid: result.result === 'ok' ? true : result.result === 'illegal' ? false : 'unknown',
    model: result.model,
    partitions: result.partitions.length,
    opCount: result.opCount,
    indeterminate: ops.filter((o) => o.return === Number.POSITIVE_INFINITY).length,
    leftOut: result.leftOut ?? 0,
    elapsedMs: 0,
  };
  if (result.result === 'unknown') {
    if (result.reason) out.reason = result.reason;
    out.undecided = result.partitions.filter((p) => p.result === 'unknown').length;
  }
  if (result.result === 'illegal' && result.failingPartition !== undefined) {
    const failing = result.partitions[result.failingPartition]!;
    if (failing.key !== undefined) out.failingKey = failing.key;
    out.failure = await explain(
      model,
      ops,
      failing,
      {
        ...options,
        ...(settings.maxPartialLinearizations ? { maxPartialLinearizations: settings.maxPartialLinearizations } : {}),
        ...(settings.maxPartialSteps ? { maxPartialSteps: settings.maxPartialSteps } : {}),
      },
      started,
    );
  }
  return out;
};

/** Hands the check to a pooled worker thread (worker.ts runs `checkOperations` there). */
const checkOnWorker = async (
  columns: OperationColumns,
  settings: CheckerSettings,
  signal: AbortSignal | undefined,
): Promise<LinearizableCheckerResult> => {
  const task = { type: 'checker', task: newTaskNumber(), columns, settings } as const;
  const reply = await runTaskOnWorker(task, columnBuffers(columns), signal);
  if (reply.type === 'checker-result') return reply.result;
  if (reply.type === 'error') throw replyError(reply);
  throw new Error(`unexpected reply from a linearizability worker: ${reply.type}`);
};

export interface ExplainOptions extends CheckOptions {
  maxPartialLinearizations?: number;
  maxPartialSteps?: number;
}

/**
 * Checks without keeping partial linearizations (cheaper, and the early
 * exit stays cheap), then, when a partition is illegal, checks that
 * partition again with them kept, for reports. The result is the first
 * check's, with the failing partition replaced by the explained one.
 */
export const checkExplained = async <I, O>(
  model: AnyModel<unknown, I, O>,
  ops: readonly Operation<I, O>[],
  options: ExplainOptions = {},
): Promise<CheckResult<I, O>> => {
  const started = performance.now();
  const result = await check(model, ops, { ...options, keepPartial: false });
  if (result.result !== 'illegal' || result.failingPartition === undefined) return result;
  const failing = result.partitions[result.failingPartition]!;
  const explained = await explain(model, ops, failing, options, started);
  const partitions = result.partitions.map((p, i) => (i === result.failingPartition ? explained.partitions[0]! : p));
  return { ...result, partitions, elapsedMs: performance.now() - started };
};

/** Re-checks the failing partition with partial linearizations kept; the result has that one partition. */
const explain = async <I, O>(
  model: AnyModel<unknown, I, O>,
  ops: readonly Operation<I, O>[],
  failing: PartitionResult<I, O>,
  options: ExplainOptions,
  started: number,
): Promise<CheckResult<I, O>> => {
  const partitionOps = partitionOperations(model, ops)[failing.index]!.ops;
  const spent = performance.now() - started;
  // The verdict is known; give the explanation what is left of the budget, and at least a few seconds.
  const timeoutMs = Math.max(5_000, (options.timeoutMs ?? 60_000) - spent);
  const again = await check(withoutPartitioning(model), partitionOps, {
    ...options,
    timeoutMs,
    keepPartial: true,
  });
  const found = again.partitions[0]!;
  const partition: PartitionResult<I, O> = {
    ...found,
    index: failing.index,
    ...(failing.key === undefined ? {} : { key: failing.key }),
    // The first check proved it illegal; a re-check cut short by its budget still shows what it found.
    result: 'illegal',
  };
  return { ...again, result: 'illegal', partitions: [partition], failingPartition: 0 };
};

/** "not linearizable on key k2; 976 operations (0 indeterminate) in 5 partitions checked in 12 ms" */
const summarize = (r: LinearizableCheckerResult): string => {
  const verdict =
    r.valid === true
      ? 'linearizable'
      : r.valid === false
        ? `not linearizable${r.failingKey !== undefined ? ` on key ${r.failingKey}` : ''}`
        : `undecided (${r.reason ?? 'unknown'}${r.undecided ? `, ${r.undecided} partitions open` : ''})`;
  const parts = `${r.partitions} partition${r.partitions === 1 ? '' : 's'}`;
  const unobserved = (r.leftOut ?? 0) > 0 ? `, ${r.leftOut} of them unobserved and left out` : '';
  return `${verdict}; ${r.opCount} operations (${r.indeterminate} indeterminate${unobserved}) in ${parts} checked in ${Math.round(r.elapsedMs)} ms`;
};
