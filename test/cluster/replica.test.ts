import { describe, expect, onTestFinished, test } from 'vitest';
import { sleep } from '../../src/base/time.ts';
import { createLocalBackend } from '../../src/cluster/local.ts';
import { cleanupLeftovers, findLeftovers } from '../../src/cluster/registry.ts';
import { replicaSystem } from '../../src/systems/replica/system.ts';
import type { NodeAddress, NodeId } from '../../src/systems/system.ts';
import { isAlive, newRunId } from './helpers.ts';

/** Polls the system until some node (other than `not`) claims leadership. */
const waitForLeader = async (nodes: readonly NodeAddress[], not?: NodeId): Promise<NodeId> => {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const leader = await replicaSystem.leader(nodes, AbortSignal.timeout(2000));
    if (leader && leader !== not) return leader;
    await sleep(100);
  }
  throw new Error(`no leader${not ? ` other than ${not}` : ''} within 15 s`);
};

describe('local backend with the replica', () => {
  test('3 replicas elect a leader through the proxies; kill it, another is elected; restart it; down leaves nothing', async () => {
    const runId = newRunId();
    onTestFinished(() => cleanupLeftovers({ runId: runId, force: true }).then(() => {}));
    const backend = createLocalBackend({ stopGraceMs: 2000 });
    onTestFinished(() => backend.down().catch(() => {}));
    await backend.up(
      {
        runId,
        system: replicaSystem,
        nodes: ['n1', 'n2', 'n3'],
        options: { topology: 'single-leader', replication: 'sync' },
        workDir: '',
      },
      AbortSignal.timeout(30_000),
    );
    const nodes = backend.addresses();
    const pids = Object.values(backend.pids());

    const first = await waitForLeader(nodes);
    // Elections need node-to-node traffic, which only flows through the link proxies.
    const counters = backend.linkCounters();
    expect(Object.values(counters).some((c) => c.forward.bytes > 0 && c.reverse.bytes > 0)).toBe(true);

    await backend.kill(first);
    expect(backend.isRunning(first)).toBe(false);
    const second = await waitForLeader(
      nodes.filter((n) => n.id !== first),
      first,
    );
    expect(second).not.toBe(first);

    await backend.start(first, AbortSignal.timeout(20_000));
    expect(backend.isRunning(first)).toBe(true);
    const status = await replicaSystem.status!(nodes.find((n) => n.id === first)!, AbortSignal.timeout(2000));
    expect(status.id).toBe(first);

    const allPids = [...pids, ...Object.values(backend.pids())];
    await backend.down();
    for (const pid of allPids) expect(isAlive(pid!)).toBe(false);
    expect(await findLeftovers(runId)).toEqual([]);
  });
});
