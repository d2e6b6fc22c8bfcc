/**
 * `system: replica` — faultline's reference replicated KV server
 * (src/replica/) as a system under test: how to launch a node, how to find
 * the leader, how to skew a node's clock, and the workload clients.
 */
import { request } from 'undici';
import { deadlineSignal, sleep } from '../../base/time.ts';
import { packagePath, tsNodeArgs } from '../../base/ts-node.ts';
import type { NodeAddress, NodeId, NodeStatus, System } from '../system.ts';
import { openReplicaClient, REPLICA_WORKLOADS } from './client.ts';
import { replicaFlags } from './options.ts';

const MAIN = packagePath('src/replica/main.ts');
const ADMIN_TIMEOUT_MS = 1000;

const url = (node: NodeAddress, path: string) => `http://${node.host}:${node.port}${path}`;

/** One admin call with its own timeout, also cancelled by `signal`. Rejects on a non-2xx answer. */
const admin = async (
  node: NodeAddress,
  method: 'GET' | 'POST',
  path: string,
  signal: AbortSignal,
  body?: Record<string, unknown>,
  timeoutMs = ADMIN_TIMEOUT_MS,
): Promise<Record<string, unknown>> => {
  const deadline = deadlineSignal(signal, timeoutMs);
  let json: Record<string, unknown>;
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url(node, path), {
      method,
      signal: deadline.signal,
      ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    json = (await res.body.json()) as Record<string, unknown>;
  } finally {
    deadline.clear();
  }
  if (res.statusCode >= 300)
    throw new Error(`${node.id} ${method} ${path}: HTTP ${res.statusCode} ${JSON.stringify(json)}`);
  return json;
};

const toStatus = (id: NodeId, s: Record<string, unknown>): NodeStatus => ({
  ...s,
  id,
  role: typeof s.role === 'string' ? s.role : 'unknown',
  ...(typeof s.term === 'number' ? { term: s.term } : {}),
  leader: typeof s.leader === 'string' ? s.leader : null,
});

export const replicaSystem: System = {
  name: 'replica',
  workloads: REPLICA_WORKLOADS,

  validateOptions(options, nodeCount) {
    replicaFlags(options, nodeCount);
  },

  launch(ctx) {
    const peers = Object.entries(ctx.peers)
      .map(([id, ports]) => `${id}=${ports.main}`)
      .join(',');
    return [
      {
        name: 'replica',
        command: process.execPath,
        args: [
          ...tsNodeArgs(MAIN),
          '--id',
          ctx.id,
          '--host',
          ctx.host,
          '--port',
          String(ctx.port),
          '--data-dir',
          ctx.dataDir,
          '--peers',
          peers,
          ...replicaFlags(ctx.options, ctx.nodes.length),
        ],
      },
    ];
  },

  async ready(node, signal) {
    for (;;) {
      if (signal.aborted) throw signal.reason ?? new Error(`${node.id}: gave up waiting for /admin/status`);
      try {
        await admin(node, 'GET', '/admin/status', signal, undefined, 500);
        return;
      } catch {
        await sleep(100, signal);
      }
    }
  },

  async openClient(workload, node, options) {
    return openReplicaClient(workload, node, options);
  },

  /** The node that claims leadership in the highest term, among those that answer. */
  async leader(nodes, signal) {
    const statuses = await Promise.all(
      nodes.map((n) => admin(n, 'GET', '/admin/status', signal, undefined, 500).catch(() => undefined)),
    );
    let best: { id: NodeId; term: number } | undefined;
    statuses.forEach((s, i) => {
      const id = nodes[i]!.id;
      if (s?.role !== 'leader' || s.leader !== id || typeof s.term !== 'number') return;
      if (!best || s.term > best.term) best = { id, term: s.term };
    });
    return best?.id;
  },

  async status(node, signal) {
    return toStatus(node.id, await admin(node, 'GET', '/admin/status', signal));
  },

  async setClock(node, offsetMs, signal) {
    await admin(node, 'POST', '/admin/clock', signal, { offsetMs });
  },
};
