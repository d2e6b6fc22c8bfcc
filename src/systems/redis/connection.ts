/**
 * ioredis connections, configured so that faultline knows what happened to
 * every command:
 *
 * - no offline queue: a command given while the connection is not ready is
 *   refused at once ("Stream isn't writeable"), so it certainly was not
 *   sent; the client waits for readiness itself, up to the op's deadline;
 * - no automatic resending after a reconnect: a command that was in flight
 *   when the connection dropped may have been applied, and is never sent a
 *   second time behind faultline's back;
 * - reconnect quickly and forever (the op deadline bounds each op);
 * - the sentinel connector asks the sentinels for the primary and checks
 *   the role of what it reached; it asks again whenever the connection
 *   breaks, and after a READONLY answer (a primary demoted under it).
 */
import { Redis } from 'ioredis';
import { deadlineSignal } from '../../base/time.ts';
import type { NodeAddress, NodeId } from '../system.ts';
import { MASTER_NAME } from './options.ts';

const RECONNECT_MS = 100;

const common = (connectTimeoutMs: number) => ({
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: null,
  retryStrategy: () => RECONNECT_MS,
  connectTimeout: connectTimeoutMs,
  // A READONLY answer means we talk to a demoted primary: reconnect (through the sentinels), never resend.
  reconnectOnError: (e: Error) => (e.message.startsWith('READONLY') ? (1 as const) : false),
  lazyConnect: true,
});

/** The node whose Redis listens at host:port, if any. */
export const nodeAt = (nodes: readonly NodeAddress[], host: string | undefined, port: number | undefined) =>
  nodes.find((n) => n.host === host && n.ports.redis === port)?.id;

/** The node a connection currently talks to (undefined while disconnected). */
export const connectedNode = (redis: Redis, nodes: readonly NodeAddress[]): NodeId | undefined => {
  const s = redis.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  return nodeAt(nodes, s?.remoteAddress, s?.remotePort);
};

/** A connection that follows the primary through the sentinels, asking `first`'s sentinel first. */
export const primaryConnection = (nodes: readonly NodeAddress[], first: NodeAddress, timeoutMs: number): Redis => {
  const ordered = [first, ...nodes.filter((n) => n.id !== first.id)];
  const redis = new Redis({
    ...common(Math.min(timeoutMs, 1000)),
    name: MASTER_NAME,
    role: 'master',
    sentinels: ordered.map((n) => ({ host: n.host, port: n.ports.sentinel! })),
    sentinelRetryStrategy: () => RECONNECT_MS,
    sentinelCommandTimeout: Math.min(timeoutMs, 1000),
    // ioredis's default: follow a switch when the connection breaks or a demoted primary answers READONLY.
    // (Its failoverDetector subscriptions also work, but log unhandled errors whenever a sentinel dies.)
    failoverDetector: false,
    // Only the sentinels faultline started; none learned from the others' lists.
    updateSentinels: false,
  });
  redis.on('error', () => {}); // reported per command; an unhandled 'error' event would crash the controller
  return redis;
};

/** A connection to one node's Redis, whatever its role (final reads, status). */
export const directConnection = (node: NodeAddress, timeoutMs: number): Redis => {
  const redis = new Redis({ ...common(Math.min(timeoutMs, 1000)), host: node.host, port: node.ports.redis! });
  redis.on('error', () => {});
  return redis;
};

/**
 * One command on a fresh connection to host:port, for admin questions
 * (SENTINEL, ROLE, PING); rejects on any error or after `timeoutMs`.
 */
export const askOnce = async (
  host: string,
  port: number,
  command: readonly [string, ...(string | number)[]],
  signal: AbortSignal,
  timeoutMs = 1000,
): Promise<unknown> => {
  const redis = new Redis({
    host,
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
  });
  redis.on('error', () => {});
  const deadline = deadlineSignal(signal, timeoutMs);
  try {
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
      if (deadline.signal.aborted) fail();
      deadline.signal.addEventListener('abort', fail, { once: true });
    });
    const [name, ...args] = command;
    return await Promise.race([redis.connect().then(() => redis.call(name, ...args)), aborted]);
  } finally {
    deadline.clear();
    redis.disconnect();
  }
};
