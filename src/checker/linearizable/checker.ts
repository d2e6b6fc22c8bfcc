import { configError } from '../../base/errors.ts';
import type { Op } from '../../history/op.ts';
import type { CheckContext, Checker, CheckerResult, Validity } from '../checker.ts';
import { getModel, independent, type OpInput } from '../models/index.ts';
import { check } from './check.ts';
import { fromHistory } from './from-history.ts';
import { partitionOperations, withoutPartitioning } from './model.ts';
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
  elapsedMs: number;
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
}

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
): AnyModel<unknown, OpInput, unknown> => {
  let model: AnyModel<unknown, OpInput, unknown>;
  if (isModelObject(spec)) model = spec;
  else if (typeof spec === 'string') model = getModel(spec, initial === undefined ? {} : { initial });
  else if (spec === undefined) model = getModel('cas-register', initial === undefined ? {} : { initial });
  else throw configError(`the linearizable checker's model must be a model name, got ${JSON.stringify(spec)}`);
  const keyed = model.partition !== undefined || model.partitionKey !== undefined;
  const hasKeys = history.some((op) => op.key !== undefined && op.process !== 'nemesis');
  return !keyed && hasKeys && (model.name === 'register' || model.name === 'cas-register') ? independent(model) : model;
};

/**
 * The `linearizable` checker: a faultline history in, a verdict out. It
 * checks without keeping partial linearizations (cheaper on large valid
 * histories), then, when a partition is illegal, checks that partition
 * again with them kept, for the report.
 */
export const linearizableChecker = (defaults: LinearizableCheckerOptions = {}): Checker<LinearizableCheckerResult> => ({
  name: 'linearizable',
  async check(history: readonly Op[], ctx: CheckContext): Promise<LinearizableCheckerResult> {
    const started = performance.now();
    const model = resolveCheckerModel(
      history,
      ctx.options?.model ?? defaults.model,
      ctx.options?.initial ?? defaults.initial,
    );
    const ops = fromHistory(history);
    const options: CheckOptions = {
      ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(defaults.workers === undefined ? {} : { workers: defaults.workers }),
    };
    const result = await check(model, ops, options);
    const out: LinearizableCheckerResult = {
      valid: result.result === 'ok' ? true : result.result === 'illegal' ? false : 'unknown',
      model: result.model,
      partitions: result.partitions.length,
      opCount: result.opCount,
      indeterminate: ops.filter((o) => o.return === Number.POSITIVE_INFINITY).length,
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
          ...(defaults.maxPartialLinearizations ? { maxPartialLinearizations: defaults.maxPartialLinearizations } : {}),
          ...(defaults.maxPartialSteps ? { maxPartialSteps: defaults.maxPartialSteps } : {}),
        },
        started,
      );
    }
    out.elapsedMs = performance.now() - started;
    out.summary = summarize(out);
    return out;
  },
});

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
  return `${verdict}; ${r.opCount} operations (${r.indeterminate} indeterminate) in ${parts} checked in ${Math.round(r.elapsedMs)} ms`;
};
