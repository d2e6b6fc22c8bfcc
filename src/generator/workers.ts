import type { Random } from '../base/random.ts';
import type { Recorder } from '../history/recorder.ts';
import type { Client, NodeAddress } from '../systems/system.ts';
import { createRateLimiter } from './rate.ts';
import { invokeRecorded } from './recorded-client.ts';
import type { OpSource } from './source.ts';

/**
 * The client side of the run phase: `concurrency` workers, worker w bound to
 * node w mod N, sharing one rate limit, each drawing ops from its own seeded
 * source until `stop` fires. In-flight ops finish normally at the time limit
 * (only `interrupt` cuts them short, as info).
 */
export interface WorkersOptions {
  /** The op source of worker `w` (seeded by the workload from `rng`). */
  source: (worker: number, rng: Random) => OpSource;
  concurrency: number;
  /** Total ops/s; 0 = unlimited. */
  rate: number;
  opTimeoutMs: number;
  addresses: readonly NodeAddress[];
  open: (node: NodeAddress) => Promise<Client>;
  recorder: Recorder;
  /** No new ops after this fires (the time limit, or an interrupt). */
  stop: AbortSignal;
  /** Cuts in-flight ops short (Ctrl-C). */
  interrupt: AbortSignal;
  rng: Random;
}

export const runWorkers = async (options: WorkersOptions): Promise<void> => {
  const limiter = createRateLimiter(options.rate);
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => runWorker(w, options, limiter)));
};

/**
 * One worker. After an `info` it continues as a new process (Jepsen's rule:
 * the old process may still have an operation in flight) on a fresh
 * connection.
 */
const runWorker = async (
  w: number,
  o: WorkersOptions,
  limiter: ReturnType<typeof createRateLimiter>,
): Promise<void> => {
  const node = o.addresses[w % o.addresses.length]!;
  const source = o.source(w, o.rng.fork(`worker-${w}`));
  let process = w;
  let client = await o.open(node);
  try {
    while (!o.stop.aborted) {
      await limiter.acquire(o.stop);
      if (o.stop.aborted) break;
      const op = source.next();
      const { completion } = await invokeRecorded(
        o.recorder,
        client,
        { process, op, node: node.id, timeoutMs: o.opTimeoutMs },
        o.interrupt,
      );
      if (completion.type === 'ok') source.observe(op, completion.value);
      if (completion.type === 'info') {
        process += o.concurrency;
        await client.close().catch(() => {});
        if (o.interrupt.aborted) return;
        client = await o.open(node);
      }
    }
  } finally {
    await client.close().catch(() => {});
  }
};
