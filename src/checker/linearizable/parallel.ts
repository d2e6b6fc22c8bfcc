import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, FaultlineError } from '../../base/errors.ts';
import type { ResolvedCheckOptions, SettledPartition } from './check.ts';
import type { Partition, ResolvedModel } from './model.ts';
import type { ModelSpec, Operation, PartitionResult } from './types.ts';
import type { WorkerMessage, WorkerReply, WorkerTask } from './worker.ts';

/**
 * Partitions checked in parallel on worker threads, with early exit.
 *
 * Worker lanes take partitions from the check's own queue (check.ts), turn
 * by turn as the calling thread does, so both cores work on one history as
 * porcupine's goroutines do. Workers are pooled and reused across checks,
 * and unref'd so they never keep the process alive; a check starts them
 * only once it has proved long enough to pay for their start-up (see
 * check.ts), or at once when warm ones are idle in the pool. A model
 * crosses threads by its `spec` (user models without one are checked
 * inline). Cancellation (an illegal partition, abort, timeout) goes through
 * a shared flag that the workers look at between slices.
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

/** Runs one task on a pooled worker; `transfer` moves buffers to it rather than copying them. */
const runOnWorker = (
  pooled: PooledWorker,
  task: Exclude<WorkerMessage, { type: 'abort' }>,
  transfer: ArrayBuffer[] = [],
): Promise<WorkerReply> =>
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
    try {
      pooled.worker.postMessage(task, transfer);
    } catch (e) {
      // Something that cannot be cloned (a user's initial value holding a function): the worker never saw it.
      done();
      reject(e);
    }
  });

/**
 * Runs one task on an idle pooled worker (started when none is), and sends
 * it an abort when `signal` aborts. For a whole check handed to a worker
 * thread (see checker.ts), so that the calling thread can do other work.
 */
export const runTaskOnWorker = async (
  task: Exclude<WorkerMessage, { type: 'abort' | 'check' }>,
  transfer: ArrayBuffer[],
  signal: AbortSignal | undefined,
): Promise<WorkerReply> => {
  const pooled = pool.find((w) => !w.busy) ?? startWorker();
  const abort = () => pooled.worker.postMessage({ type: 'abort', task: task.task } satisfies WorkerMessage);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const reply = runOnWorker(pooled, task, transfer);
    if (signal?.aborted) abort();
    return await reply;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
};

/** Starts a worker into the pool unless an idle one waits there already, so that it boots while the caller prepares a task. */
export const startIdleWorker = (): void => {
  if (!pool.some((w) => !w.busy)) startWorker();
};

let nextTask = 0;

/** A worker's error reply as the error its task threw there, with the same stable code. */
export const replyError = (reply: Extract<WorkerReply, { type: 'error' }>): FaultlineError =>
  new FaultlineError((reply.code as ErrorCode | undefined) ?? 'FL_ERR_INTERNAL', reply.message);

/** A task number no other task of this thread has. */
export const newTaskNumber = (): number => nextTask++;

/** Whether pooled workers are idle and started already (a check can then use them at once). */
export const warmWorkersIdle = (): boolean => pool.some((w) => !w.busy);

/** Whether workers start from the bundle (tens of ms) rather than through the tsx loader (hundreds). */
export const bundledWorkers = (): boolean => typeof FAULTLINE_BUNDLED !== 'undefined' && FAULTLINE_BUNDLED === true;

/** Where worker lanes get partitions: the check's own queue (check.ts), shared with the calling thread. */
export interface WorkSource<I, O> {
  /** The next partition for a worker, and how many iterations it may take (Infinity: to the end); undefined: none now. */
  lease(): { index: number; partition: Partition<I, O>; turn: number } | undefined;
  /** A leased partition's turn ended undecided; it goes back to the queue (and restarts wherever it goes next). */
  paused(index: number, iterations: number): void;
}

/** A fixed list of partitions as a work source, each checked to the end. */
export const listSource = <I, O>(partitions: { index: number; partition: Partition<I, O> }[]): WorkSource<I, O> => {
  const queue = [...partitions];
  return {
    lease: () => {
      const next = queue.shift();
      return next && { ...next, turn: Number.POSITIVE_INFINITY };
    },
    paused: () => undefined,
  };
};

/** Partitions being checked on worker threads. */
export interface ParallelRun {
  /** Starts lanes again where some have stopped and the source has work. */
  wake(): void;
  /** Settles at the next partition a worker settles or pauses, or when a lane stops. */
  changed(): Promise<void>;
  /** Settles when no lane is running (all stopped, or cancelled). */
  stopped(): Promise<void>;
  /** Stops handing out partitions and tells busy workers to stop. Idempotent. */
  cancel(): void;
  /** Set when a worker failed (a model error, a crashed thread). */
  readonly failure: Error | undefined;
}

/**
 * Checks partitions from `source` on up to `availableParallelism() - 1`
 * workers (the calling thread checks partitions from the same source), or
 * `options.workers`, calling `onSettled` as each finishes (`unknown` when cut
 * short). An illegal partition, an abort or `cancel()` stops the rest.
 */
export const startWorkers = <I, O>(
  model: ResolvedModel<unknown, I, O>,
  source: WorkSource<I, O>,
  options: ResolvedCheckOptions,
  deadline: number,
  onSettled: (settled: SettledPartition<I, O>) => void,
): ParallelRun => {
  const spec = model.spec as ModelSpec;
  const cancelBuffer = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancelBuffer);
  const cancelled = () => Atomics.load(flag, 0) !== 0;
  const cancel = () => {
    Atomics.store(flag, 0, 1);
    notify();
  };
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });

  const count = Math.max(1, options.workers === 'auto' ? availableParallelism() - 1 : options.workers);
  let active = 0;
  let failure: Error | undefined;
  let waiters: (() => void)[] = [];
  const notify = () => {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };
  const fail = (e: Error) => {
    failure ??= e;
    cancel();
  };

  const lane = async (first: { index: number; partition: Partition<I, O>; turn: number }): Promise<void> => {
    let pooled = pool.find((w) => !w.busy) ?? startWorker();
    let next: typeof first | undefined = first;
    while (next !== undefined && !cancelled()) {
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
        maxIterations: next.turn,
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
        fail(replyError(reply));
        return;
      }
      if (reply.type === 'checker-result') {
        fail(new Error('a linearizability worker answered a partition with a whole check'));
        return;
      }
      if (reply.type === 'paused') {
        source.paused(next.index, reply.iterations);
      } else {
        const result = reply.result as PartitionResult<I, O>;
        onSettled({
          index: next.index,
          result,
          stopped: reply.stopped === 'timeout' || reply.stopped === 'memory' ? reply.stopped : undefined,
        });
        if (result.result === 'illegal') cancel(); // early exit
      }
      notify();
      if (pooled.busy) pooled = pool.find((w) => !w.busy) ?? startWorker();
      next = cancelled() ? undefined : source.lease();
    }
  };

  const wake = () => {
    while (active < count && !cancelled()) {
      const first = source.lease();
      if (first === undefined) return;
      active++;
      void lane(first)
        .catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))))
        .finally(() => {
          active--;
          notify();
          if (active === 0) options.signal?.removeEventListener('abort', cancel);
        });
    }
  };
  wake();

  const changed = () => new Promise<void>((resolve) => waiters.push(resolve));
  return {
    wake,
    changed,
    stopped: async () => {
      while (active > 0) await changed();
    },
    cancel,
    get failure() {
      return failure;
    },
  };
};
