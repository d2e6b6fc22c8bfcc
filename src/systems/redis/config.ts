/**
 * The two configuration files of a Redis-with-Sentinel node, written once
 * into its data dir by a setup step: `redis.conf` and `sentinel.conf`.
 * Both must be files and writable: Sentinel rewrites its own file as it
 * learns the current primary, replicas and other sentinels, and sends
 * `CONFIG REWRITE` to the Redis servers it reconfigures, so a node
 * restarted after a failover comes back with what it was last told.
 *
 * The first node starts as the primary; every other node starts as its
 * replica. Each node's sentinel starts watching the first node and finds
 * the replicas and the other sentinels itself (INFO and hello messages):
 * that is why Redis with Sentinel needs `peerAddressing: 'direct'`.
 */
import { createHash } from 'node:crypto';
import type { LaunchContext } from '../system.ts';
import { MASTER_NAME, type ResolvedRedisOptions } from './options.ts';

export const REDIS_CONF = 'redis.conf';
export const SENTINEL_CONF = 'sentinel.conf';

/** "host:port" → [host, port]. */
const split = (hostPort: string): [string, string] => {
  const i = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, i), hostPort.slice(i + 1)];
};

/** The address of the first node's Redis, as this node reaches it. */
export const initialPrimary = (ctx: LaunchContext): [string, string] => {
  const first = ctx.nodes[0]!;
  return first === ctx.id ? [ctx.host, String(ctx.ports.redis)] : split(ctx.peers[first]!.redis!);
};

/**
 * Both programs keep their environment readable in /proc/<pid>/environ,
 * where `faultline cleanup` finds the run markers: by default Redis writes
 * its process title over that memory.
 */
const KEEP_ENVIRON = 'set-proc-title no';

const lines = (...ls: (string | false)[]): string => `${ls.filter((l) => l !== false).join('\n')}\n`;

export const redisConf = (ctx: LaunchContext, o: ResolvedRedisOptions): string => {
  const [primaryHost, primaryPort] = initialPrimary(ctx);
  return lines(
    `bind ${ctx.host}`,
    `port ${ctx.ports.redis}`,
    KEEP_ENVIRON,
    'protected-mode no',
    `dir ${ctx.dataDir}`,
    `replica-announce-ip ${ctx.host}`,
    `appendonly ${o.appendonly ? 'yes' : 'no'}`,
    `appendfsync ${o.appendfsync}`,
    // No RDB snapshots on a timer: persistence is the append-only file or nothing, as the preset says.
    'save ""',
    // A replica that (re)joins resyncs at once, instead of the primary waiting 5 s for others to join it.
    'repl-diskless-sync-delay 0',
    ctx.id !== ctx.nodes[0] && `replicaof ${primaryHost} ${primaryPort}`,
  );
};

/** A sentinel's id (40 hex digits), fixed per run and node so that every sentinel's file can name the others. */
export const sentinelId = (runId: string, node: string): string =>
  createHash('sha1').update(`faultline/${runId}/${node}`).digest('hex');

/** This node's way to reach node `id`'s named port. */
const addressOf = (ctx: LaunchContext, id: string, port: 'redis' | 'sentinel'): string =>
  id === ctx.id ? `${ctx.host} ${ctx.ports[port]}` : split(ctx.peers[id]![port]!).join(' ');

/**
 * Besides what to watch, each sentinel's file lists the replicas and the
 * other sentinels, as a configuration tool that knows the topology would
 * write it. Left to discovery, a sentinel learns replicas from the
 * primary's INFO only every 10 s, and one that does not know them yet
 * aborts a failover ("no good slave"): a fault early in a run would test
 * nothing. Discovery still runs and keeps the lists current.
 */
export const sentinelConf = (ctx: LaunchContext, o: ResolvedRedisOptions): string => {
  const [primaryHost, primaryPort] = initialPrimary(ctx);
  const others = ctx.nodes.filter((id) => id !== ctx.id);
  return lines(
    `bind ${ctx.host}`,
    `port ${ctx.ports.sentinel}`,
    KEEP_ENVIRON,
    'protected-mode no',
    `dir ${ctx.dataDir}`,
    `sentinel announce-ip ${ctx.host}`,
    `sentinel monitor ${MASTER_NAME} ${primaryHost} ${primaryPort} ${o.quorum}`,
    `sentinel down-after-milliseconds ${MASTER_NAME} ${o.downAfterMs}`,
    `sentinel failover-timeout ${MASTER_NAME} ${o.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    `sentinel myid ${sentinelId(ctx.runId, ctx.id)}`,
    ...ctx.nodes.slice(1).map((id) => `sentinel known-replica ${MASTER_NAME} ${addressOf(ctx, id, 'redis')}`),
    ...others.map(
      (id) => `sentinel known-sentinel ${MASTER_NAME} ${addressOf(ctx, id, 'sentinel')} ${sentinelId(ctx.runId, id)}`,
    ),
  );
};
