import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import type { Grudge } from '../../src/cluster/backend.ts';
import { choosePartition } from '../../src/nemesis/partition.ts';
import type { FaultSpec } from '../../src/nemesis/spec.ts';
import { skipWithout } from '../support/environment.ts';
import { type BackendKind, backendMissing, expectedHearing, expectHearing, toyCluster } from './helpers.ts';

/**
 * Every partition kind against connectivity measured on the nodes, on each
 * backend: the local backend's link proxies (toy nodes gossip heartbeats on
 * held-open streams), the local backend's loopback addresses and iptables
 * for systems that find their peers themselves (as root), and docker
 * (iptables in each container's namespace) — the last two with UDP
 * datagrams, which need no answer (see helpers.ts). Who hears whom is
 * checked while the partition is in place, then again after it heals.
 */
const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
type Partition = Extract<FaultSpec, { kind: 'partition' }>;

const hearsFrom = (heard: Set<string>, a: string) =>
  [...heard].filter((p) => p.startsWith(`${a}<`)).map((p) => p.slice(3));
const heardBy = (heard: Set<string>, b: string) =>
  [...heard].filter((p) => p.endsWith(`<${b}`)).map((p) => p.slice(0, 2));

const KINDS: BackendKind[] = ['local', 'local-direct', 'docker'];

describe.each(KINDS)('partition kinds, measured on the %s backend', (kind) => {
  it.skipIf(skipWithout(`${kind} backend`, backendMissing(kind)))(
    'cuts exactly what each kind says, one-way ones in one direction only, and heals back to a full mesh',
    async () => {
      const cluster = await toyCluster(kind, five, { faults: ['partition'] });
      const { nemesis } = cluster;
      const full = expectedHearing({}, five);
      await expectHearing(cluster, full);

      const kinds: { fault: Partition; check: (g: Grudge, heard: Set<string>) => void }[] = [
        {
          fault: { kind: 'partition', grudge: 'halves' },
          check: (_g, heard) => {
            const sizes = five.map((n) => hearsFrom(heard, n).length).sort();
            expect(sizes).toEqual([1, 1, 2, 2, 2]); // a side of 2 and a side of 3
          },
        },
        {
          fault: { kind: 'partition', grudge: 'bridge' },
          check: (_g, heard) => {
            const bridges = five.filter((n) => hearsFrom(heard, n).length === 4 && heardBy(heard, n).length === 4);
            expect(bridges).toHaveLength(1);
            const others = five.filter((n) => n !== bridges[0]);
            for (const n of others) expect(hearsFrom(heard, n)).toHaveLength(2); // its side's other node and the bridge
          },
        },
        {
          fault: { kind: 'partition', grudge: 'majorities-ring' },
          check: (_g, heard) => {
            for (const n of five) {
              expect(hearsFrom(heard, n)).toHaveLength(2);
              // symmetric: the neighbours hear it back
              for (const m of hearsFrom(heard, n)) expect(heard.has(`${m}<${n}`)).toBe(true);
            }
          },
        },
        {
          fault: { kind: 'partition', grudge: 'isolate', target: 'random' },
          check: (_g, heard) => {
            const alone = five.filter((n) => hearsFrom(heard, n).length === 0);
            expect(alone).toHaveLength(1);
            expect(heardBy(heard, alone[0]!)).toEqual([]);
          },
        },
        {
          fault: { kind: 'partition', grudge: 'mute', target: 'random' },
          check: (g, heard) => {
            const mute = five.find((n) => !(n in g))!; // the one node that drops nothing
            expect(hearsFrom(heard, mute).sort()).toEqual(five.filter((n) => n !== mute));
            expect(heardBy(heard, mute)).toEqual([]);
          },
        },
        {
          fault: { kind: 'partition', grudge: 'deaf', target: 'random' },
          check: (g, heard) => {
            const deaf = Object.keys(g)[0]!;
            expect(hearsFrom(heard, deaf)).toEqual([]);
            expect(heardBy(heard, deaf).sort()).toEqual(five.filter((n) => n !== deaf));
          },
        },
      ];

      const rng = createRandom(5);
      for (const { fault, check } of kinds) {
        const active = await nemesis.inject(choosePartition(fault, five, rng));
        const grudge = active!.value.grudge as Grudge;
        const expected = expectedHearing(grudge, five);
        await expectHearing(cluster, expected);
        check(grudge, expected);
        await nemesis.heal(active!);
        await expectHearing(cluster, full);
      }
    },
    300_000,
  );
});
