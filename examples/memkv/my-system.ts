/**
 * "Your own system": a module that default-exports a faultline System. A
 * cluster preset names it by path (`system: ./my-system.ts`) and faultline
 * runs it exactly as it runs its built-in systems (src/systems/replica is
 * written the same way). This one puts memkv (./server.mjs), a one-node
 * in-memory KV server, under test for the register workload.
 */
import { fileURLToPath } from 'node:url';
import type { ClientOp, Completion, NodeAddress, System } from 'faultline';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));

const url = (node: NodeAddress, key: string, suffix = '') =>
  `http://${node.host}:${node.port}/kv/${encodeURIComponent(key)}${suffix}`;

/** One register operation as HTTP, and its outcome as ok / fail / info. */
const invoke = async (node: NodeAddress, op: ClientOp, signal: AbortSignal): Promise<Completion> => {
  const key = op.key ?? 'k';
  try {
    if (op.f === 'read') {
      const res = await fetch(url(node, key), { signal });
      return { type: 'ok', value: ((await res.json()) as { value: unknown }).value };
    }
    const [from, to] = op.f === 'cas' ? (op.value as [unknown, unknown]) : [undefined, op.value];
    const res = await fetch(url(node, key, op.f === 'cas' ? '/cas' : ''), {
      method: op.f === 'cas' ? 'POST' : 'PUT',
      body: JSON.stringify(op.f === 'cas' ? { from, to } : { value: to }),
      signal,
    });
    if (res.status === 409) return { type: 'fail', error: 'cas mismatch' }; // definitely not applied
    return res.ok ? { type: 'ok' } : { type: 'info', error: `HTTP ${res.status}` };
  } catch (e) {
    // A read changes nothing, so a failed one is `fail`; a write may have happened: `info`.
    return { type: op.f === 'read' ? 'fail' : 'info', error: (e as Error).message };
  }
};

const memkv: System = {
  name: 'memkv',
  workloads: ['register'],
  launch: (ctx) => [
    { name: 'memkv', command: process.execPath, args: [SERVER, '--host', ctx.host, '--port', String(ctx.port)] },
  ],
  async ready(node, signal) {
    while (!signal.aborted) {
      if (
        await fetch(`http://${node.host}:${node.port}/health`, { signal }).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('aborted');
  },
  async openClient(_workload, node) {
    return { invoke: (op, signal) => invoke(node, op, signal), close: async () => {} };
  },
  // One node: it is always the leader.
  leader: async (nodes) => nodes[0]?.id,
};

export default memkv;
