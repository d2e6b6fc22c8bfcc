/**
 * Worker thread entry: checks one partition at a time for `parallel.ts`, or
 * a whole history for the linearizable checker (`checker` tasks, see
 * checker.ts). Models cannot cross threads (they hold functions), so each
 * task names a model by its spec (or name) and the worker rebuilds it. Runs
 * under the tsx loader.
 */
import { parentPort } from 'node:worker_threads';
import { FaultlineError } from '../../base/errors.ts';
import { getModel } from '../models/index.ts';
import { type CheckerSettings, checkOperations, type LinearizableCheckerResult } from './checker.ts';
import { type DescribeLimits, describePartition } from './describe.ts';
import { fromColumns, type OperationColumns } from './from-history.ts';
import { memoryWatch } from './memory.ts';
import { type ResolvedModel, resolveModel } from './model.ts';
import { PartitionCheck } from './search.ts';
import type { AnyModel, ModelSpec, Operation, PartitionResult } from './types.ts';
import { warmUp } from './warm-up.ts';

/** Iterations between two looks at the cancel flag and the clock. */
const SLICE = 1 << 14;

export interface WorkerTask {
  type: 'check';
  task: number;
  spec: ModelSpec;
  index: number;
  key: string | undefined;
  ops: Operation[];
  limits: DescribeLimits;
  /** Milliseconds left in the check's budget when the task was sent (Infinity: none). */
  budgetMs: number;
  /** The check's memory budget (see memory.ts). */
  maxMemoryBytes: number;
  /** Give up after this many iterations, with a `paused` reply (its turn is over; Infinity: no limit). */
  maxIterations: number;
  /** Int32Array over a SharedArrayBuffer: [0] becomes 1 when the check no longer needs answers. */
  cancel: SharedArrayBuffer;
}

/** A whole check: the linearizable checker's operations as columns (their typed arrays transferred, not copied). */
export interface CheckerTask {
  type: 'checker';
  task: number;
  columns: OperationColumns;
  settings: CheckerSettings;
}

export type WorkerMessage = WorkerTask | CheckerTask | { type: 'abort'; task: number };

export type WorkerReply =
  | { type: 'result'; task: number; result: PartitionResult; stopped: 'timeout' | 'memory' | 'cancelled' | undefined }
  | { type: 'checker-result'; task: number; result: LinearizableCheckerResult }
  | { type: 'paused'; task: number; iterations: number }
  | { type: 'error'; task: number; message: string; code: string | undefined };

const models = new Map<string, ResolvedModel>();

const loadModel = async (spec: ModelSpec): Promise<ResolvedModel> => {
  const key = JSON.stringify(spec);
  let model = models.get(key);
  if (model) return model;
  let built: AnyModel;
  if ('name' in spec) {
    built = getModel(spec.name, spec.options ?? {}) as AnyModel;
  } else {
    const mod = (await import(spec.module)) as Record<string, unknown>;
    const exported = mod[spec.exportName];
    if (typeof exported !== 'object' || exported === null) {
      throw new FaultlineError('FL_ERR_CONFIG', `${spec.module} does not export a model named ${spec.exportName}`);
    }
    built = exported as AnyModel;
  }
  model = resolveModel(built);
  models.set(key, model);
  return model;
};

const runTask = async (t: WorkerTask): Promise<WorkerReply> => {
  // A fresh thread: take every branch of the search once before V8 compiles it (see warm-up.ts).
  warmUp();
  const model = await loadModel(t.spec);
  const cancel = new Int32Array(t.cancel);
  const started = performance.now();
  const deadline = started + t.budgetMs;
  const partial = t.limits.keepPartial
    ? { budget: Math.max(2 * t.limits.maxPartialSteps, 2 * t.ops.length) }
    : undefined;
  const check = new PartitionCheck(model, t.ops, partial);
  const memory = memoryWatch(t.maxMemoryBytes);
  let stopped: 'timeout' | 'memory' | 'cancelled' | undefined;
  while (check.run(SLICE) === 'running') {
    if (check.iterations >= t.maxIterations) return { type: 'paused', task: t.task, iterations: check.iterations };
    if (Atomics.load(cancel, 0) !== 0) {
      stopped = 'cancelled';
      break;
    }
    if (performance.now() > deadline) {
      stopped = 'timeout';
      break;
    }
    if (memory.exceeded(performance.now())) {
      stopped = 'memory';
      break;
    }
  }
  const status = check.status === 'running' ? 'unknown' : check.status;
  const result = describePartition(t.index, t.key, check, status, performance.now() - started, t.limits);
  if (result.stats) result.stats.onWorker = true;
  return { type: 'result', task: t.task, result, stopped };
};

/** Aborts for the `checker` tasks running here, by task. */
const aborts = new Map<number, AbortController>();

const runChecker = async (t: CheckerTask): Promise<WorkerReply> => {
  const controller = new AbortController();
  aborts.set(t.task, controller);
  try {
    const ops = fromColumns(t.columns);
    const result = await checkOperations(ops, t.columns.hasKeys, t.settings, controller.signal);
    return { type: 'checker-result', task: t.task, result };
  } finally {
    aborts.delete(t.task);
  }
};

const errorReply = (task: number, e: unknown): WorkerReply => ({
  type: 'error',
  task,
  message: e instanceof Error ? e.message : String(e),
  code: e instanceof FaultlineError ? e.code : undefined,
});

parentPort?.on('message', (m: WorkerMessage) => {
  if (m.type === 'abort') {
    aborts.get(m.task)?.abort();
    return;
  }
  (m.type === 'check' ? runTask(m) : runChecker(m)).then(
    (reply) => {
      try {
        parentPort!.postMessage(reply);
      } catch (e) {
        // A result that cannot be cloned back: say so rather than leave the caller waiting.
        parentPort!.postMessage(errorReply(m.task, e));
      }
    },
    (e: unknown) => parentPort!.postMessage(errorReply(m.task, e)),
  );
});
