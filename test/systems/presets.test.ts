import { describe, expect, test } from 'vitest';
import { resolveRunConfig } from '../../src/run/resolve.ts';
import { binaryMissing, rootMissing, skipWithout } from '../support/environment.ts';

// Resolving checks the binaries a system needs; without them it refuses (tested below), so skip the rest.
const noEtcd = skipWithout('etcd', binaryMissing('etcd', 'etcd-server'));
const noRedis = skipWithout(
  'redis with sentinel',
  binaryMissing('redis-server', 'redis-server') ?? binaryMissing('redis-sentinel', 'redis-sentinel'),
);

describe('etcd and redis presets', () => {
  test.skipIf(noEtcd)(
    'etcd claims what the jepsen.io analysis of etcd 3.4.3 found; etcd-serializable allows stale reads',
    async () => {
      const etcd = await resolveRunConfig({ cluster: 'etcd', workload: 'register', nemesis: 'leader-kill' });
      expect(etcd.cluster).toMatchObject({
        system: 'etcd',
        nodes: 3,
        claims: { linearizable: true, lostWrites: 'none', staleReads: 'none', convergence: true },
      });
      const serializable = await resolveRunConfig({
        cluster: 'etcd-serializable',
        workload: 'register',
        nemesis: 'none',
      });
      expect(serializable.cluster).toMatchObject({
        options: { reads: 'serializable' },
        claims: { linearizable: false, staleReads: 'allowed', lostWrites: 'none' },
      });
      expect((await resolveRunConfig({ cluster: 'etcd', workload: 'set', nodes: 5 })).nodes).toHaveLength(5);
    },
  );

  test.skipIf(noRedis)(
    'redis presets claim only convergence, need a long quiesce, and the WAIT preset waits for one replica',
    async () => {
      const plain = await resolveRunConfig({ cluster: 'redis-sentinel', workload: 'set', nemesis: 'leader-kill' });
      expect(plain.cluster.claims).toEqual({
        linearizable: false,
        lostWrites: 'allowed',
        staleReads: 'allowed',
        convergence: true,
      });
      expect(plain.quiesceMs).toBe(15_000); // the preset's, for Sentinel's 8 s before it demotes an old primary
      expect((await resolveRunConfig({ cluster: 'redis-sentinel', quiesce: '2s' })).quiesceMs).toBe(2000);
      const wait = await resolveRunConfig({ cluster: 'redis-sentinel-wait', workload: 'register' });
      expect(wait.cluster.options).toMatchObject({ wait: 1 });
      expect(wait.cluster.claims).toEqual(plain.cluster.claims);
    },
  );

  test.skipIf(noRedis)('a bad option in a preset is refused before anything starts, naming the key', async () => {
    await expect(
      resolveRunConfig({ cluster: 'redis-sentinel', workload: 'counter', nemesis: 'none' }),
    ).rejects.toMatchObject({ code: 'FL_ERR_CONFIG', message: expect.stringContaining('has no "counter" client') });
    await expect(resolveRunConfig({ cluster: 'redis-sentinel', nodes: 2 })).rejects.toMatchObject({
      code: 'FL_ERR_CONFIG',
      message: expect.stringContaining('needs at least 3 nodes'),
    });
  });

  test.skipIf(noEtcd)(
    'partitions of etcd on the local backend need root (iptables), or are refused naming the alternative',
    async () => {
      const resolving = resolveRunConfig({
        cluster: 'etcd',
        workload: 'register',
        nemesis: 'partition-halves',
        backend: 'local',
      });
      if (rootMissing()) {
        await expect(resolving).rejects.toMatchObject({
          code: 'FL_ERR_UNSUPPORTED',
          message: expect.stringContaining('--backend docker'),
        });
      } else {
        await expect(resolving).resolves.toMatchObject({ backend: 'local' });
      }
    },
  );

  test.skipIf(noEtcd || noRedis)(
    'clock faults are refused before the run: libfaketime reaches neither etcd (Go) nor Redis (jemalloc hangs)',
    async () => {
      for (const cluster of ['etcd', 'redis-sentinel']) {
        await expect(resolveRunConfig({ cluster, workload: 'register', nemesis: 'clock-skew' })).rejects.toMatchObject({
          code: 'FL_ERR_UNSUPPORTED',
          message: expect.stringContaining('cannot inject clock faults'),
        });
      }
    },
  );

  test('a system whose binary is missing is refused, naming the Debian package', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(resolveRunConfig({ cluster: 'etcd', workload: 'register', nemesis: 'none' })).rejects.toMatchObject({
        code: 'FL_ERR_UNSUPPORTED',
        message: 'system etcd needs etcd, which is not installed',
        hint: 'install the Debian package: apt-get install etcd-server',
      });
      await expect(
        resolveRunConfig({ cluster: 'redis-sentinel', workload: 'set', nemesis: 'none' }),
      ).rejects.toMatchObject({
        hint: 'install the Debian package: apt-get install redis-server',
      });
    } finally {
      process.env.PATH = path;
    }
  });
});
