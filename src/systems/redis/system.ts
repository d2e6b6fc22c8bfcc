/**
 * `system: redis` — Redis 7.0 with Sentinel (Debian `redis-server`,
 * `redis-sentinel`) as a system under test.
 *
 * Each node runs two processes beside each other: `redis-server` (port
 * `redis`) and `redis-sentinel` (port `sentinel`). The first node starts
 * as the primary and the others as its replicas; the sentinels agree by a
 * quorum that the primary is down and elect one of themselves to promote
 * a replica (see config.ts). A kill or pause of a node takes both of its
 * processes, as a machine failure would.
 *
 * Leader: the primary the sentinels name (`SENTINEL
 * get-master-addr-by-name`), by majority of those that answer. A node's
 * status is its Redis's own ROLE, so two nodes that both call themselves
 * primary — the old one cut off, the new one promoted — show up as two
 * leaders when a partition heals.
 */
import { sleep } from '../../base/time.ts';
import type { LaunchContext, NodeAddress, NodeId, NodeStatus, System } from '../system.ts';
import { openRedisClient, REDIS_WORKLOADS } from './client.ts';
import { REDIS_CONF, redisConf, SENTINEL_CONF, sentinelConf } from './config.ts';
import { askOnce, nodeAt } from './connection.ts';
import { MASTER_NAME, redisOptions } from './options.ts';

const ADMIN_TIMEOUT_MS = 1000;

const file = (ctx: LaunchContext, name: string) => `${ctx.dataDir}/${name}`;

/** The primary's address that this node's sentinel names, as a node id. */
const primaryPerSentinel = async (
  node: NodeAddress,
  nodes: readonly NodeAddress[],
  signal: AbortSignal,
): Promise<NodeId | undefined> => {
  const answer = await askOnce(
    node.host,
    node.ports.sentinel!,
    ['SENTINEL', 'get-master-addr-by-name', MASTER_NAME],
    signal,
    ADMIN_TIMEOUT_MS,
  ).catch(() => undefined);
  if (!Array.isArray(answer) || answer.length !== 2) return undefined;
  return nodeAt(nodes, String(answer[0]), Number(answer[1]));
};

export const redisSystem: System = {
  name: 'redis',
  workloads: REDIS_WORKLOADS,
  ports: ['redis', 'sentinel'],
  // Debian's Redis is linked with jemalloc, which hangs at start under libfaketime (libfaketime issue #130):
  // clock faults are refused before the run instead.
  abilities: {
    peerAddressing: 'direct',
    libfaketime: { unsupported: "Debian's redis-server (linked with jemalloc) hangs at start under libfaketime" },
  },
  requires: [
    { command: 'redis-server', package: 'redis-server' },
    { command: 'redis-sentinel', package: 'redis-sentinel' },
  ],

  validateOptions(options, nodeCount) {
    redisOptions(options, nodeCount);
  },

  /** Writes both configuration files into the data dir (they must be writable files: Sentinel rewrites its own). */
  setup(ctx) {
    const o = redisOptions(ctx.options, ctx.nodes.length);
    return [
      {
        name: 'config',
        command: '/bin/sh',
        args: [
          '-c',
          'printf %s "$1" > "$2" && printf %s "$3" > "$4"',
          'sh',
          redisConf(ctx, o),
          file(ctx, REDIS_CONF),
          sentinelConf(ctx, o),
          file(ctx, SENTINEL_CONF),
        ],
      },
    ];
  },

  /**
   * Both processes from their files. The bind address and port are also
   * given as flags: they win over the file, which a restart may find
   * rewritten, and follow a port the backend had to move.
   */
  launch(ctx) {
    const listen = (port: number) => ['--bind', ctx.host, '--port', String(port)];
    return [
      { name: 'redis', command: 'redis-server', args: [file(ctx, REDIS_CONF), ...listen(ctx.ports.redis!)] },
      {
        name: 'sentinel',
        command: 'redis-sentinel',
        args: [file(ctx, SENTINEL_CONF), ...listen(ctx.ports.sentinel!)],
      },
    ];
  },

  /** Ready when Redis answers PING and the node's sentinel can reach a quorum (SENTINEL CKQUORUM). */
  async ready(node, signal) {
    for (;;) {
      if (signal.aborted) throw signal.reason ?? new Error(`${node.id}: gave up waiting for redis`);
      const ask = (port: number, command: readonly [string, ...string[]]) =>
        askOnce(node.host, port, command, signal).catch(() => undefined);
      if ((await ask(node.ports.redis!, ['PING'])) === 'PONG') {
        const quorum = await ask(node.ports.sentinel!, ['SENTINEL', 'CKQUORUM', MASTER_NAME]);
        if (typeof quorum === 'string' && quorum.startsWith('OK')) return;
      }
      await sleep(200, signal);
    }
  },

  async openClient(workload, node, options) {
    return openRedisClient(workload, node, options);
  },

  /** The primary most of the answering sentinels name. */
  async leader(nodes, signal) {
    const answers = await Promise.all(nodes.map((n) => primaryPerSentinel(n, nodes, signal)));
    const votes = new Map<NodeId, number>();
    for (const a of answers) if (a) votes.set(a, (votes.get(a) ?? 0) + 1);
    let best: [NodeId, number] | undefined;
    for (const entry of votes) if (!best || entry[1] > best[1]) best = entry;
    return best?.[0];
  },

  /** The node's Redis's own view (ROLE): `leader` when it acts as a primary. */
  async status(node, signal): Promise<NodeStatus> {
    const role = (await askOnce(node.host, node.ports.redis!, ['ROLE'], signal, ADMIN_TIMEOUT_MS)) as unknown[];
    if (role[0] === 'master') {
      return { id: node.id, role: 'leader', leader: node.id, replicationOffset: Number(role[1]) };
    }
    // ['slave', host, port, state, offset]
    return {
      id: node.id,
      role: 'follower',
      leader: null,
      primaryAddress: `${String(role[1])}:${String(role[2])}`,
      linkState: String(role[3]),
      replicationOffset: Number(role[4]),
    };
  },
};
