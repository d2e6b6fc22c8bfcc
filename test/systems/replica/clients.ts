import { onTestFinished } from 'vitest';
import { replicaSystem } from '../../../src/systems/replica/system.ts';
import type { Client, ClientOptions, NodeAddress } from '../../../src/systems/system.ts';
import type { TestCluster } from '../../replica/harness.ts';

/** A test cluster's nodes as the system's clients address them. */
export const addresses = (c: TestCluster): NodeAddress[] =>
  c.nodes.map((n) => ({ id: n.id, host: '127.0.0.1', port: n.port, ports: { main: n.port } }));

/** The replica system's client for `workload`, bound to node `id`, closed when the test ends. */
export const open = async (
  c: TestCluster,
  workload: string,
  id: string,
  extra: Partial<ClientOptions> = {},
): Promise<Client> => {
  const nodes = addresses(c);
  const client = await replicaSystem.openClient(workload, nodes.find((n) => n.id === id)!, {
    timeoutMs: 2000,
    nodes,
    options: {},
    ...extra,
  });
  onTestFinished(() => client.close());
  return client;
};

export const signal = () => AbortSignal.timeout(10_000);
