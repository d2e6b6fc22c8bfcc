/**
 * Workload clients for Redis with Sentinel (ioredis), one per worker. A
 * client follows the primary: it asks the sentinels (its own node's
 * first) where the primary is, and reconnects through them after a
 * failover. With `readFrom: local` (faultline's final reads) it talks to
 * its node's Redis directly, whatever that node's role.
 *
 * register: {f:'read', key}             GET key                      → ok, value: number | null
 *           {f:'write', key, value:n}   SET key n                    → ok
 *           {f:'cas', key, value:[a,b]} WATCH key; GET key; if = a: MULTI SET key b EXEC
 *                                                                     → ok | fail (cas-mismatch, cas-conflict)
 * set:      {f:'add', key?, value:n}    SADD key n                   → ok
 *           {f:'read', key?}            SMEMBERS key                 → ok, sorted elements
 *
 * With `wait: n` (the WAIT preset) every write is followed by
 * `WAIT n waitTimeoutMs`; fewer than n acknowledgements make the write `info`.
 *
 * Outcomes. An error reply (READONLY from a demoted primary, EXECABORT,
 * NOREPLICAS, LOADING ...) is `fail`: Redis executed nothing. So is a
 * command that was never sent because the client had no connection to a
 * primary within the op's deadline. Once a write has been sent, a timeout,
 * a reset or closed connection, or a failover mid-request makes it `info`;
 * so does a failed WAIT after an applied write. A read that does not
 * succeed is `fail`. After any uncertain outcome the connection is dropped
 * and the next op starts from the sentinels again, so nothing of an
 * abandoned command (a WATCH, a reply in flight) leaks into the next op.
 */
import type { Redis } from 'ioredis';
import { configError } from '../../base/errors.ts';
import { deadlineSignal } from '../../base/time.ts';
import type { Client, ClientOp, ClientOptions, Completion, NodeAddress, NodeId } from '../system.ts';
import { connectedNode, directConnection, primaryConnection } from './connection.ts';
import { clientMode, type RedisClientMode } from './options.ts';

export const REDIS_WORKLOADS: readonly string[] = ['register', 'set'];

/** How far a write got: nothing sent, the write sent, or the write applied (acknowledged by the primary). */
export interface Progress {
  state: 'none' | 'sent' | 'applied';
}

const NOT_SENT = /Stream isn't writeable/;

const parse = (raw: string | null): unknown => {
  if (raw === null) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
};

const isReplyError = (e: unknown): boolean => (e as Error | undefined)?.name === 'ReplyError';

/** Why an op ended without an answer, in the history's words. */
export type Interruption = 'timeout' | 'connection closed';

/**
 * The completion of an op that did not get its answer: `e` is the error
 * thrown, or why we stopped waiting. Pure, so every path is unit-tested.
 */
export const failureCompletion = (e: unknown, read: boolean, progress: Progress): Completion => {
  const error = typeof e === 'string' ? e : `${(e as Error)?.message ?? String(e)}`.replace(/\s+/g, ' ').slice(0, 200);
  if (progress.state === 'applied') return { type: read ? 'fail' : 'info', error };
  if (isReplyError(e) || (e instanceof Error && NOT_SENT.test(e.message))) return { type: 'fail', error };
  if (read || progress.state === 'none') return { type: 'fail', error };
  return { type: 'info', error };
};

/** WAIT after an applied write, when the preset asks for it. */
const waitForReplicas = async (redis: Redis, mode: RedisClientMode, progress: Progress): Promise<Completion> => {
  progress.state = 'applied';
  const { replicas, timeoutMs } = mode.wait;
  if (replicas === 0) return { type: 'ok' };
  const acked = await redis.wait(replicas, timeoutMs);
  if (acked >= replicas) return { type: 'ok' };
  // On the primary, but not known to be on any replica: it may survive a failover or not.
  return { type: 'info', error: `WAIT: ${acked} of ${replicas} replicas acknowledged within ${timeoutMs} ms` };
};

/** Runs one op on a ready connection; throws when Redis or the connection fails. */
export const runOp = async (
  redis: Redis,
  workload: string,
  op: ClientOp,
  mode: RedisClientMode,
  progress: Progress,
): Promise<Completion> => {
  if (workload === 'register') {
    const key = `faultline:register:${op.key ?? 'r'}`;
    switch (op.f) {
      case 'read':
        return { type: 'ok', value: parse(await redis.get(key)) };
      case 'write':
        progress.state = 'sent';
        await redis.set(key, JSON.stringify(op.value));
        return waitForReplicas(redis, mode, progress);
      case 'cas': {
        if (!Array.isArray(op.value) || op.value.length !== 2)
          throw new TypeError(`cas expects value [from, to], got ${JSON.stringify(op.value)}`);
        const [from, to] = op.value as [unknown, unknown];
        await redis.watch(key);
        const current = await redis.get(key);
        if (current !== (from === null ? null : JSON.stringify(from))) {
          await redis.unwatch();
          return { type: 'fail', error: 'cas-mismatch' };
        }
        progress.state = 'sent';
        const result = await redis.multi().set(key, JSON.stringify(to)).exec();
        // null: a watched key changed between WATCH and EXEC, so nothing was executed.
        if (result === null) return { type: 'fail', error: 'cas-conflict' };
        const failed = result.find(([err]) => err);
        if (failed) throw failed[0];
        return waitForReplicas(redis, mode, progress);
      }
    }
  } else if (workload === 'set') {
    const key = `faultline:set:${op.key ?? 's'}`;
    switch (op.f) {
      case 'add':
        progress.state = 'sent';
        await redis.sadd(key, String(op.value));
        return waitForReplicas(redis, mode, progress);
      case 'read': {
        const members = await redis.smembers(key);
        return { type: 'ok', value: members.map((m) => parse(m)).sort((a, b) => Number(a) - Number(b)) };
      }
    }
  }
  throw new TypeError(`the redis ${workload} client has no operation "${op.f}"`);
};

/** Resolves true once the connection is ready, false if `signal` aborts first. */
const whenReady = (redis: Redis, signal: AbortSignal): Promise<boolean> => {
  if (redis.status === 'ready') return Promise.resolve(true);
  if (redis.status === 'wait') redis.connect().catch(() => {});
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      redis.off('ready', onReady);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onReady = () => done(true);
    const onAbort = () => done(false);
    if (signal.aborted) return done(false);
    redis.on('ready', onReady);
    signal.addEventListener('abort', onAbort, { once: true });
  });
};

/** Rejects with why the op stopped waiting: the deadline, or the connection closing under it. */
const interrupted = (redis: Redis, signal: AbortSignal): { promise: Promise<never>; clear: () => void } => {
  let clear = () => {};
  const promise = new Promise<never>((_, reject) => {
    const onClose = () => reject('connection closed' satisfies Interruption);
    const onAbort = () => reject('timeout' satisfies Interruption);
    clear = () => {
      redis.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    if (signal.aborted) return onAbort();
    redis.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {});
  return { promise, clear };
};

export const openRedisClient = (workload: string, node: NodeAddress, options: ClientOptions): Client => {
  if (!REDIS_WORKLOADS.includes(workload))
    throw configError(`system redis has no client for workload "${workload}"`, {
      hint: `redis workloads: ${REDIS_WORKLOADS.join(', ')}`,
    });
  // A final phase asks for node-local reads (ClientOptions.localReads): the same as readFrom: local.
  const mode = clientMode(
    options.cluster ?? {},
    options.localReads ? { ...options.options, readFrom: 'local' } : options.options,
  );
  const connect = () =>
    mode.local ? directConnection(node, options.timeoutMs) : primaryConnection(options.nodes, node, options.timeoutMs);
  let redis: Redis | undefined;
  const drop = () => {
    redis?.disconnect();
    redis = undefined;
  };

  return {
    async invoke(op, signal) {
      const read = op.f === 'read';
      redis ??= connect();
      const conn = redis;
      const deadline = deadlineSignal(signal, options.timeoutMs);
      let served: NodeId | undefined;
      const progress: Progress = { state: 'none' };
      try {
        if (!(await whenReady(conn, deadline.signal))) {
          drop(); // start again from the sentinels next time
          return { type: 'fail', error: mode.local ? `no connection to ${node.id}` : 'no connection to a primary' };
        }
        served = connectedNode(conn, options.nodes);
        const stop = interrupted(conn, deadline.signal);
        try {
          const completion = await Promise.race([runOp(conn, workload, op, mode, progress), stop.promise]);
          if (completion.type === 'info') drop();
          return { ...completion, ...(served ? { node: served } : {}) };
        } finally {
          stop.clear();
        }
      } catch (e) {
        if (!isReplyError(e)) drop();
        return { ...failureCompletion(e, read, progress), ...(served ? { node: served } : {}) };
      } finally {
        deadline.clear();
      }
    },
    async close() {
      drop();
    },
  };
};
