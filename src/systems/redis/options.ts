/**
 * Options of `system: redis` (Redis with Sentinel), in the cluster preset:
 *
 *   appendonly: true           # the append-only file (persistence); false: in memory only
 *   appendfsync: everysec      # always | everysec | no
 *   quorum: 2                  # sentinels that must agree the primary is down (default: a majority)
 *   downAfterMs: 1000          # sentinel down-after-milliseconds
 *   failoverTimeoutMs: 3000    # sentinel failover-timeout
 *   wait: 0                    # clients issue WAIT <wait> <waitTimeoutMs> after each write (0: no WAIT)
 *   waitTimeoutMs: 1000
 *
 * `wait` is a client behaviour that a preset fixes (passed to clients as
 * ClientOptions.cluster); a workload may set it too. A write whose WAIT
 * returns fewer replicas than asked is on the primary but not known to be
 * anywhere else: it completes as `info`.
 */
import { configError } from '../../base/errors.ts';
import { type OptionValues, pickOptions, readOptions } from '../options.ts';

export const REDIS_OPTIONS = {
  appendonly: { kind: 'bool' },
  appendfsync: { kind: 'enum', values: ['always', 'everysec', 'no'] },
  quorum: { kind: 'int', min: 1 },
  downAfterMs: { kind: 'ms', min: 1 },
  failoverTimeoutMs: { kind: 'ms', min: 1 },
  wait: { kind: 'int', min: 0 },
  waitTimeoutMs: { kind: 'ms', min: 0 },
} as const;

export const REDIS_CLIENT_OPTIONS = {
  wait: REDIS_OPTIONS.wait,
  waitTimeoutMs: REDIS_OPTIONS.waitTimeoutMs,
  readFrom: { kind: 'enum', values: ['leader', 'local'] },
} as const;

export type RedisOptions = OptionValues<typeof REDIS_OPTIONS>;

/** What the sentinels call the replicated set they watch. */
export const MASTER_NAME = 'faultline';

export interface ResolvedRedisOptions {
  appendonly: boolean;
  appendfsync: 'always' | 'everysec' | 'no';
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
}

/** The preset's options with defaults, checked against the node count; FL_ERR_CONFIG naming `options.<key>`. */
export const redisOptions = (options: Readonly<Record<string, unknown>>, nodeCount: number): ResolvedRedisOptions => {
  const o = readOptions('system redis', REDIS_OPTIONS, options);
  if (nodeCount < 3) {
    throw configError(
      `Redis with Sentinel needs at least 3 nodes (a primary, replicas, a sentinel each); got ${nodeCount}`,
      {
        path: 'nodes',
        hint: 'set nodes: 3',
      },
    );
  }
  const quorum = o.quorum ?? Math.floor(nodeCount / 2) + 1;
  if (quorum > nodeCount) {
    throw configError(`options.quorum: ${quorum} is more than the ${nodeCount} sentinels`, { path: 'options.quorum' });
  }
  if (o.wait !== undefined && o.wait > nodeCount - 1) {
    throw configError(`options.wait: ${o.wait} replicas asked, but ${nodeCount} nodes have ${nodeCount - 1} replicas`, {
      path: 'options.wait',
    });
  }
  return {
    appendonly: o.appendonly ?? true,
    appendfsync: o.appendfsync ?? 'everysec',
    quorum,
    downAfterMs: o.downAfterMs ?? 1000,
    failoverTimeoutMs: o.failoverTimeoutMs ?? 3000,
  };
};

/** What a client does after each write: WAIT for `replicas` (0: nothing), and where it reads. */
export interface RedisClientMode {
  wait: { replicas: number; timeoutMs: number };
  local: boolean;
}

export const clientMode = (
  cluster: Readonly<Record<string, unknown>>,
  workload: Readonly<Record<string, unknown>>,
): RedisClientMode => {
  const c = pickOptions(
    'system redis',
    { wait: REDIS_OPTIONS.wait, waitTimeoutMs: REDIS_OPTIONS.waitTimeoutMs },
    cluster,
  );
  const w = pickOptions('the redis client', REDIS_CLIENT_OPTIONS, workload);
  return {
    wait: { replicas: w.wait ?? c.wait ?? 0, timeoutMs: w.waitTimeoutMs ?? c.waitTimeoutMs ?? 1000 },
    local: w.readFrom === 'local',
  };
};
