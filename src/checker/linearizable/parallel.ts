import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, FaultlineError } from '../../base/errors.ts';
import type { ResolvedCheckOptions, SettledPartition } from './check.ts';
import type { Partition, ResolvedModel } from './model.ts';
import type { ModelSpec, Operation, PartitionResult } from './types.ts';
import type { WorkerReply, WorkerTask } from './worker.ts';

/**
 * Partitions checked in parallel on worker threads, with early exit.
 *
 * The inline check (check.ts) first gives every partition a short pass, which
 * settles most of them; only what is left after that (hard partitions, at
 * least two of them) comes here, so the start-up of a worker with the tsx
 * loader (tens of ms) is paid only when it can pay off. Workers are pooled
 * and reused across checks, and unref'd so they never keep the process
 * alive. A model crosses threads by its `spec` (user models without one are
 * checked inline). Cancellation (an illegal partition, abort, timeout) goes
 * through a shared flag that the workers look at between slices.
 */

/** Set (to true) by esbuild when this module is part of the CLI's bundle (bin/bundle.mjs). */
declare const FAULTLINE_BUNDLED: boolean | undefined;

/**
 * What a worker runs. In the bundle, the bundled worker next to it. From the
 * sources: workers do not inherit the tsx loader, and `--import tsx` in a
 * worker's execArgv is not honoured by Node 20, so a one-line bootstrap
 * registers tsx in the worker, then imports the TypeScript entry.
 */
const workerEntry = (): URL => {
  if (typeof FAULTLINE_BUNDLED !== 'undefined' && FAULTLINE_BUNDLED)
    return new URL('./lin-worker.mjs', import.meta.url);
  const bootstrap = `
const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});
register();
await import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)});
`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
};

/** Whether to hand the remaining partitions to workers. */
export const shouldUseWorkers = (
  model: ResolvedModel<unknown, unknown, unknown>,
  options: ResolvedCheckOptions,
  remaining: number,
): boolean => {
  if (model.spec === undefined || remaining < 2) return false;
  if (options.workers === 'auto') return availableParallelism() > 1;
  return options.workers > 0;
};

interface PooledWorker {
  worker: Worker;
  busy: boolean;
  onReply: ((reply: WorkerReply) => void) | undefined;
  onFailure: ((error: Error) => void) | undefined;
}

const pool: PooledWorker[] = [];

const startWorker = (): PooledWorker => {
  const worker = new Worker(workerEntry());
  const pooled: PooledWorker = { worker, busy: false, onReply: undefined, onFailure: undefined };
  worker.unref();
  worker.on('message', (reply: WorkerReply) => pooled.onReply?.(reply));
  const fail = (error: Error) => {
    const i = pool.indexOf(pooled);
    if (i >= 0) pool.splice(i, 1);
    pooled.onFailure?.(error);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`linearizability worker exited with code ${code}`)));
  pool.push(pooled);
  return pooled;
};

/** Terminates the pooled workers (tests; a process exits fine without it). */
export const closeWorkers = async (): Promise<void> => {
  const workers = pool.splice(0);
  await Promise.allSettled(workers.map((w) => w.worker.terminate()));
};

/** Runs one task on a pooled worker. */
const runOnWorker = (pooled: PooledWorker, task: WorkerTask): Promise<WorkerReply> =>
  new Promise((resolve, reject) => {
    pooled.busy = true;
    pooled.worker.ref(); // keep the process alive while it works for us
    const done = () => {
      pooled.busy = false;
      pooled.onReply = undefined;
      pooled.onFailure = undefined;
      pooled.worker.unref();
    };
    pooled.onReply = (reply) => {
      if (reply.task !== task.task) return;
      done();
      resolve(reply);
    };
    pooled.onFailure = (error) => {
      done();
      reject(error);
    };
    pooled.worker.postMessage(task);
  });

let nextTask = 0;

/** Partitions being checked on worker threads. */
export interface ParallelRun {
  /** Settles when every lane has stopped (all partitions done, or cancelled). */
  readonly done: Promise<void>;
  /** Stops handing out partitions and tells busy workers to stop. Idempotent. */
  cancel(): void;
  /** Set when a worker failed (a model error, a crashed thread). */
  readonly failure: Error | undefined;
}

/**
 * Starts checking `partitions` on up to `availableParallelism()` workers (or
 * `options.workers`), calling `onSettled` as each finishes (`unknown` when
 * cut short). An illegal partition, an abort or `cancel()` stops the rest.
 */
export const startWorkers = <I, O>(
  model: ResolvedModel<unknown, I, O>,
  partitions: { index: number; partition: Partition<I, O> }[],
  options: ResolvedCheckOptions,
  deadline: number,
  onSettled: (settled: SettledPartition<I, O>) => void,
  firstTurn = 1 << 18,
): ParallelRun => {
  const spec = model.spec as ModelSpec;
  const cancelBuffer = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancelBuffer);
  const cancel = () => Atomics.store(flag, 0, 1);
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });

  // The calling thread keeps checking a partition too: one worker fewer than cores.
  const wanted = options.workers === 'auto' ? availableParallelism() - 1 : options.workers;
  const count = Math.max(1, Math.min(wanted, partitions.length));
  // Round robin with doubling turns, as inline (check.ts): a paused partition goes to the back of the
  // queue with twice the iterations (it restarts on whichever worker takes it next).
  const queue = partitions.map((p) => ({ ...p, turn: firstTurn }));
  const run: { failure: Error | undefined } = { failure: undefined };
  const fail = (e: Error) => {
    run.failure ??= e;
    cancel();
  };

  const lane = async (): Promise<void> => {
    let pooled = pool.find((w) => !w.busy) ?? startWorker();
    for (;;) {
      const next = queue.shift();
      if (next === undefined || Atomics.load(flag, 0) !== 0) return;
      // Alone in the queue: no turn to give up (paused partitions of other lanes come back behind it).
      const task: WorkerTask = {
        type: 'check',
        task: nextTask++,
        spec,
        index: next.index,
        key: next.partition.key,
        ops: next.partition.ops as Operation[],
        limits: {
          keepPartial: options.keepPartial,
          maxPartialLinearizations: options.maxPartialLinearizations,
          maxPartialSteps: options.maxPartialSteps,
        },
        maxMemoryBytes: options.maxMemoryBytes,
        budgetMs: deadline - performance.now(),
        maxIterations: queue.length === 0 ? Number.POSITIVE_INFINITY : next.turn,
        cancel: cancelBuffer,
      };
      let reply: WorkerReply;
      try {
        reply = await runOnWorker(pooled, task);
      } catch (e) {
        fail(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      if (reply.type === 'error') {
        fail(new FaultlineError((reply.code as ErrorCode | undefined) ?? 'FL_ERR_INTERNAL', reply.message));
        return;
      }
      if (reply.type === 'paused') {
        queue.push({ ...next, turn: 2 * next.turn });
        continue;
      }
      const result = reply.result as PartitionResult<I, O>;
      onSettled({
        index: next.index,
        result,
        stopped: reply.stopped === 'timeout' || reply.stopped === 'memory' ? reply.stopped : undefined,
      });
      if (result.result === 'illegal') cancel(); // early exit
      if (pooled.busy) pooled = pool.find((w) => !w.busy) ?? startWorker();
    }
  };

  // Lanes claim their workers synchronously (runOnWorker marks them busy), so no two share one.
  const lanes: Promise<void>[] = [];
  for (let i = 0; i < count; i++) lanes.push(lane());
  const done = Promise.all(lanes).then(
    () => undefined,
    (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
  );
  void done.finally(() => options.signal?.removeEventListener('abort', cancel));
  return {
    done,
    cancel,
    get failure() {
      return run.failure;
    },
  };
};
