import { onTestFinished } from 'vitest';
import { createLocalBackend, type LocalBackend } from '../../src/cluster/local.ts';
import { cleanupLeftovers } from '../../src/cluster/registry.ts';
import type { Client, ClientOptions, NodeAddress, NodeId, System } from '../../src/systems/system.ts';
import { newRunId } from '../cluster/helpers.ts';

/** A real cluster of `system` on the local backend, torn down (and cleaned up by run id) when the test ends. */
export const upLocalCluster = async (
  system: System,
  options: Record<string, unknown> = {},
  nodes: NodeId[] = ['n1', 'n2', 'n3'],
): Promise<{ backend: LocalBackend; addresses: NodeAddress[]; runId: string }> => {
  const runId = newRunId();
  const backend = createLocalBackend({ stopGraceMs: 2000, startTimeoutMs: 60_000 });
  onTestFinished(async () => {
    await backend.down().catch(() => {});
    await cleanupLeftovers({ runId, force: true });
  });
  await backend.up({ runId, system, nodes, options, workDir: '' }, AbortSignal.timeout(90_000));
  return { backend, addresses: [...backend.addresses()], runId };
};

/** Opens a client of `system` bound to `node`, closed when the test ends. */
export const openClient = async (
  system: System,
  workload: string,
  node: NodeAddress,
  nodes: readonly NodeAddress[],
  extra: Partial<ClientOptions> = {},
): Promise<Client> => {
  const client = await system.openClient(workload, node, { timeoutMs: 2000, nodes, options: {}, ...extra });
  onTestFinished(() => client.close());
  return client;
};

/** Polls `probe` until it returns something, or throws after `timeoutMs`. */
export const eventually = async <T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

export const signal = (): AbortSignal => AbortSignal.timeout(20_000);
