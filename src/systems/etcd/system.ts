/**
 * `system: etcd` — etcd 3.4 (Debian `etcd-server`) as a system under test.
 *
 * Each node is one `etcd` member with two named ports, `client` (the v3
 * API and its JSON gateway) and `peer` (raft). The members find each other
 * from `--initial-cluster`, built from every member's peer URL; after that
 * they advertise their own addresses, so a partition must cut addresses,
 * not per-pair proxies (`peerAddressing: 'direct'`). The member's data
 * lives in `<dataDir>/etcd` (etcd wants a 0700 directory it creates itself)
 * and survives kill and restart; a restarted member ignores the
 * `--initial-*` flags and rejoins from its WAL.
 *
 * Leader: every member's /v3/maintenance/status names the leader it
 * follows; the answer of the highest raft term wins.
 */
import { deadlineSignal, sleep } from '../../base/time.ts';
import type { LaunchContext, NodeAddress, NodeId, NodeStatus, System } from '../system.ts';
import { ETCD_WORKLOADS, openEtcdClient } from './client.ts';
import { type MemberStatus, memberNames, memberStatus } from './gateway.ts';
import { DEFAULT_ELECTION_TIMEOUT_MS, DEFAULT_HEARTBEAT_MS, etcdOptions } from './options.ts';

const ADMIN_TIMEOUT_MS = 1000;

const peerUrl = (hostPort: string) => `http://${hostPort}`;

/** The etcd command line for one member. */
export const etcdArgs = (ctx: LaunchContext): string[] => {
  const o = etcdOptions(ctx.options);
  const own = `${ctx.host}:${ctx.ports.peer}`;
  const cluster = ctx.nodes.map((id) => `${id}=${peerUrl(id === ctx.id ? own : ctx.peers[id]!.peer!)}`).join(',');
  const client = `http://${ctx.host}:${ctx.ports.client}`;
  return [
    '--name',
    ctx.id,
    '--data-dir',
    `${ctx.dataDir}/etcd`,
    '--listen-client-urls',
    client,
    '--advertise-client-urls',
    client,
    '--listen-peer-urls',
    peerUrl(own),
    '--initial-advertise-peer-urls',
    peerUrl(own),
    '--initial-cluster',
    cluster,
    '--initial-cluster-state',
    'new',
    // Members of another run (a reused port) cannot join this cluster by mistake.
    '--initial-cluster-token',
    `faultline-${ctx.runId}`,
    '--heartbeat-interval',
    String(o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS),
    '--election-timeout',
    String(o.electionTimeoutMs ?? DEFAULT_ELECTION_TIMEOUT_MS),
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
  ];
};

/** A member's status, or undefined when it does not answer in time. */
const statusOf = async (node: NodeAddress, signal: AbortSignal): Promise<MemberStatus | undefined> => {
  const deadline = deadlineSignal(signal, ADMIN_TIMEOUT_MS);
  try {
    return await memberStatus({ host: node.host, port: node.port }, deadline.signal);
  } catch {
    return undefined;
  } finally {
    deadline.clear();
  }
};

export const etcdSystem: System = {
  name: 'etcd',
  workloads: ETCD_WORKLOADS,
  ports: ['client', 'peer'],
  // A Go binary reads the clock through the vDSO, past libfaketime: clock faults are refused, not faked.
  abilities: {
    peerAddressing: 'direct',
    libfaketime: {
      unsupported: 'etcd is a Go program and reads the clock without libc, where libfaketime cannot reach',
    },
  },
  requires: [{ command: 'etcd', package: 'etcd-server' }],

  validateOptions(options) {
    etcdOptions(options);
  },

  launch(ctx) {
    return [{ name: 'etcd', command: 'etcd', args: etcdArgs(ctx) }];
  },

  /** Ready once the member answers and knows a leader (it can serve linearizable requests). */
  async ready(node, signal) {
    for (;;) {
      if (signal.aborted) throw signal.reason ?? new Error(`${node.id}: gave up waiting for etcd`);
      const s = await statusOf(node, signal);
      if (s?.leaderId) return;
      await sleep(100, signal);
    }
  },

  async openClient(workload, node, options) {
    return openEtcdClient(workload, node, options);
  },

  /**
   * The member every answering member of the highest raft term names as
   * leader. A member cut off from the rest may still believe in an old
   * leader of a lower term; the majority's newer term wins.
   */
  async leader(nodes, signal) {
    const statuses = await Promise.all(nodes.map((n) => statusOf(n, signal)));
    const byMember = new Map<string, NodeId>();
    statuses.forEach((s, i) => {
      if (s) byMember.set(s.memberId, nodes[i]!.id);
    });
    let best: MemberStatus | undefined;
    for (const s of statuses) {
      if (s?.leaderId && (!best || s.raftTerm > best.raftTerm)) best = s;
    }
    return best?.leaderId ? byMember.get(best.leaderId) : undefined;
  },

  async status(node, signal): Promise<NodeStatus> {
    const deadline = deadlineSignal(signal, ADMIN_TIMEOUT_MS);
    const endpoint = { host: node.host, port: node.port };
    let s: MemberStatus;
    let names: Map<string, string> | undefined;
    try {
      s = await memberStatus(endpoint, deadline.signal);
      if (s.leaderId) names = await memberNames(endpoint, deadline.signal).catch(() => undefined);
    } finally {
      deadline.clear();
    }
    return {
      id: node.id,
      role: s.leaderId === s.memberId ? 'leader' : s.leaderId ? 'follower' : 'candidate',
      term: s.raftTerm,
      leader: s.leaderId ? (names?.get(s.leaderId) ?? null) : null,
      memberId: s.memberId,
      raftIndex: s.raftIndex,
    };
  },
};
