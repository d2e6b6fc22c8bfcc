import { describe, expect, onTestFinished, test } from 'vitest';
import { createDockerBackend } from '../../../src/cluster/docker/backend.ts';
import { cleanupLeftovers, findLeftovers } from '../../../src/cluster/registry.ts';
import { openPostgresClient } from '../../../src/systems/postgres/client.ts';
import { postgresSystem } from '../../../src/systems/postgres/system.ts';
import type { NodeId, OperatorContext } from '../../../src/systems/system.ts';
import { newRunId } from '../../cluster/helpers.ts';
import { dockerMissing, skipWithout } from '../../support/environment.ts';
import { eventually, postgresMissing } from './cluster.ts';

const missing = (): string | undefined => postgresMissing() ?? dockerMissing();

describe.skipIf(skipWithout('postgresql and docker', missing()))('postgres on the docker backend', () => {
  test('a sync cluster in containers: failover after the primary is killed, the old primary rejoins as a standby, pause freezes the instance, down leaves nothing', async () => {
    const runId = newRunId();
    const backend = createDockerBackend({ startTimeoutMs: 120_000 });
    onTestFinished(async () => {
      await backend.down().catch(() => {});
      await cleanupLeftovers({ runId, force: true });
    });
    const nodes = ['n1', 'n2', 'n3'];
    await backend.up(
      {
        runId,
        system: postgresSystem,
        nodes,
        options: { replication: 'sync' },
        workDir: '',
        faults: ['kill', 'pause'],
      },
      AbortSignal.timeout(240_000),
    );
    const signal = () => AbortSignal.timeout(15_000);
    expect(await postgresSystem.leader(backend.addresses(), signal())).toBe('n1');
    const client = openPostgresClient('set', backend.addresses()[1]!, {
      timeoutMs: 3000,
      nodes: backend.addresses(),
      options: {},
    });
    for (let e = 1; e <= 10; e++) expect((await client.invoke({ f: 'add', value: e }, signal())).type).toBe('ok');

    // Pause through the cgroup freezer: the whole instance stops answering.
    await backend.pause('n1');
    expect((await client.invoke({ f: 'add', value: 11 }, signal())).type).toBe('info');
    await backend.resume('n1');

    await backend.kill('n1');
    const steps: string[] = [];
    const ctx: OperatorContext = {
      nodes: backend.addresses(),
      lost: ['n1'],
      running: () => nodes.filter((n: NodeId) => backend.isRunning(n)),
      fence: (n) => backend.kill(n),
      step: (f) => steps.push(f),
      signal: AbortSignal.timeout(60_000),
    };
    await postgresSystem.failover!(ctx);
    expect(steps).toEqual(['fence', 'choose', 'sync-standbys', 'promote', 'repoint', 'streaming']);
    const primary = await postgresSystem.leader(backend.addresses(), signal());
    expect(primary === 'n2' || primary === 'n3').toBe(true);
    expect((await client.invoke({ f: 'add', value: 12 }, signal())).type).toBe('ok');

    await backend.start('n1', AbortSignal.timeout(120_000));
    expect(await postgresSystem.status!(backend.addresses()[0]!, signal())).toMatchObject({ role: 'follower' });
    expect(await postgresSystem.leader(backend.addresses(), signal())).toBe(primary);
    const read = openPostgresClient('set', backend.addresses()[0]!, {
      timeoutMs: 3000,
      nodes: backend.addresses(),
      options: { readFrom: 'local' },
    });
    await eventually('the rejoined n1 has every acknowledged element', async () => {
      const r = await read.invoke({ f: 'read', value: null }, signal());
      const got = new Set(r.value as number[]);
      return r.type === 'ok' && [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12].every((e) => got.has(e));
    });
    await client.close();
    await read.close();
    await backend.down();
    expect(await findLeftovers(runId)).toEqual([]);
  }, 600_000);
});
