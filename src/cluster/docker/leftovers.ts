import type { Leftover } from '../leftovers.ts';
import { isControllerAlive, LABEL_RUN, provenByLabels } from '../markers.ts';
import { connectEngine, engineUnavailable, tolerate } from './engine.ts';

/**
 * What docker runs left behind: containers and networks whose labels carry
 * a run id *and* that run's token (markers.ts). Anything else — a
 * container or network without faultline's labels, or with a forged run
 * id — is never listed, so never removed.
 */
export const findDockerLeftovers = async (runId: string | undefined): Promise<Leftover[]> => {
  if (await engineUnavailable(3000)) return []; // no engine: nothing of ours can be running there
  const engine = await connectEngine();
  const filters = { label: [runId === undefined ? LABEL_RUN : `${LABEL_RUN}=${runId}`] };
  const found: Leftover[] = [];
  for (const c of await engine.listContainers({ all: true, filters })) {
    const proven = provenByLabels(c.Labels);
    if (!proven) continue;
    found.push({
      kind: 'container',
      id: c.Id,
      runId: proven.runId,
      description: `${(c.Names[0] ?? c.Id).replace(/^\//, '')} (${c.State})`,
      controllerAlive: await isControllerAlive(proven.controller),
    });
  }
  for (const n of await engine.listNetworks({ filters })) {
    const proven = provenByLabels(n.Labels);
    if (!proven) continue;
    found.push({
      kind: 'network',
      id: n.Id,
      runId: proven.runId,
      description: `${n.Name} (${n.IPAM?.Config?.[0]?.Subnet ?? 'no subnet'})`,
      controllerAlive: await isControllerAlive(proven.controller),
    });
  }
  return found;
};

/** Removes containers (with their anonymous volumes), then networks, that findDockerLeftovers returned. */
export const removeDockerLeftovers = async (items: readonly Leftover[]): Promise<void> => {
  const containers = items.filter((l) => l.kind === 'container');
  const networks = items.filter((l) => l.kind === 'network');
  if (containers.length === 0 && networks.length === 0) return;
  const engine = await connectEngine();
  await Promise.all(containers.map((c) => tolerate(engine.getContainer(c.id).remove({ force: true, v: true }))));
  for (const n of networks) await tolerate(engine.getNetwork(n.id).remove());
};
