import { describe, expect, test } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import type { Backend, Grudge } from '../../src/cluster/backend.ts';
import { grudgeOf, halves, isolate, ringGrudge } from '../../src/nemesis/partition.ts';
import { createToySystem, datagramArrives, httpGet } from '../fixtures/toy-system.ts';
import { dockerMissing, rootMissing, skipWithout } from '../support/environment.ts';
import { expectLinks, upDocker, upLocal } from './connectivity.ts';

/**
 * Every partition kind, measured from the nodes: for each ordered pair,
 * whether a datagram gets through (one direction) and whether a TCP
 * request does (both), compared with what the grudge says — then heal,
 * and everything is open again. On docker (rules in each container's
 * namespace) and on the local backend for a system that finds its peers
 * itself (rules between per-node loopback addresses).
 */

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

const partitionKinds = (): [string, Grudge][] => {
  const rng = createRandom(7);
  return [
    ['halves', grudgeOf(halves(NODES, rng))],
    ['isolate one node', grudgeOf(isolate('n2', NODES))],
    ['majorities ring', ringGrudge(NODES, rng)],
    ['explicit grudge', { n1: ['n2', 'n3'], n4: ['n5'], n5: ['n4'] }],
    ['one-way', { n1: ['n2'] }],
  ];
};

const checkEveryKind = async (backend: Backend) => {
  const nodes = backend.addresses();
  await expectLinks(nodes, {}, 'before any partition');
  for (const [kind, grudge] of partitionKinds()) {
    await backend.partition(grudge);
    await expectLinks(nodes, grudge, kind);
    await backend.heal();
    await expectLinks(nodes, {}, `after healing ${kind}`);
  }
};

const checkLoss = async (backend: Backend) => {
  const [n1, n2] = backend.addresses();
  await backend.shape([{ from: 'n1', to: 'n2' }], { loss: 1 });
  expect(await datagramArrives(n1!, n2!, 800)).toBe(false);
  expect(await datagramArrives(n2!, n1!)).toBe(true); // the other direction is not shaped
  await backend.shape([{ from: 'n1', to: 'n2' }], { loss: 0.5 });
  // One datagram per probe: about half arrive (P(outside 10..50 of 60) < 1e-6).
  let arrived = 0;
  await Promise.all(
    Array.from({ length: 60 }, async (_, i) => {
      const nonce = `loss-${i}`;
      await httpGet(n1!, `/udp/n2?nonce=${nonce}&count=1`, { method: 'POST' });
      if ((await httpGet(n2!, `/udp-seen?nonce=${nonce}&waitMs=1000`, { timeoutMs: 5000 })).body === '1') arrived++;
    }),
  );
  expect(arrived).toBeGreaterThanOrEqual(10);
  expect(arrived).toBeLessThanOrEqual(50);
  await backend.heal();
  expect(await datagramArrives(n1!, n2!)).toBe(true);
};

describe.skipIf(skipWithout('docker', dockerMissing()) || skipWithout('root', rootMissing()))(
  'docker backend: partitions and loss as iptables rules in each node namespace',
  () => {
    test('every partition kind cuts exactly the grudge, and heal restores every link', async () => {
      const { backend } = await upDocker(createToySystem(), NODES);
      await checkEveryKind(backend);
    }, 180_000);

    test('loss drops that fraction of one direction; heal restores it', async () => {
      const { backend } = await upDocker(createToySystem(), ['n1', 'n2']);
      await checkLoss(backend);
    }, 120_000);

    test('a node restarted during a partition comes back still cut off', async () => {
      const { backend } = await upDocker(createToySystem(), ['n1', 'n2', 'n3']);
      const grudge = grudgeOf(isolate('n1', ['n1', 'n2', 'n3']));
      await backend.partition(grudge);
      await backend.kill('n1');
      await backend.start('n1', AbortSignal.timeout(60_000));
      await expectLinks(backend.addresses(), grudge, 'after restarting n1');
      await backend.heal();
      await expectLinks(backend.addresses(), {}, 'healed');
    }, 120_000);
  },
);

describe.skipIf(skipWithout('root', rootMissing()))(
  'local backend, direct-addressing system: per-node loopback addresses and iptables rules',
  () => {
    test('each node listens on its own 127.x address, distinct per run', async () => {
      const a = await upLocal(createToySystem({ direct: true }), ['n1', 'n2']);
      const b = await upLocal(createToySystem({ direct: true }), ['n1', 'n2']);
      const hosts = [...a.backend.addresses(), ...b.backend.addresses()].map((x) => x.host);
      for (const h of hosts) expect(h).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect(new Set(hosts).size).toBe(4);
      expect(hosts[0]).not.toBe('127.0.0.1');
    });

    test('every partition kind cuts exactly the grudge, and heal restores every link', async () => {
      const { backend } = await upLocal(createToySystem({ direct: true }), NODES);
      await checkEveryKind(backend);
    }, 180_000);

    test('loss drops that fraction of one direction; heal restores it', async () => {
      const { backend } = await upLocal(createToySystem({ direct: true }), ['n1', 'n2']);
      await checkLoss(backend);
    }, 120_000);

    test('the controller keeps reaching every node during a partition (only node-to-node links are cut)', async () => {
      const { backend } = await upLocal(createToySystem({ direct: true }), ['n1', 'n2', 'n3']);
      await backend.partition(grudgeOf(isolate('n1', ['n1', 'n2', 'n3'])));
      for (const n of backend.addresses()) expect((await httpGet(n, '/ping')).body).toBe(`pong ${n.id}`);
    });
  },
);
