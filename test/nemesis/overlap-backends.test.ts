import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/base/time.ts';
import { clockOffsetOf } from '../fixtures/toy-system.ts';
import { skipWithout } from '../support/environment.ts';
import {
  type BackendKind,
  backendMissing,
  expectedHearing,
  expectHearing,
  measureHearing,
  toyCluster,
} from './helpers.ts';

/**
 * Overlapping faults on the backends that cut links with iptables — the
 * local backend for a system that finds its peers itself (as root), and
 * docker — with clock faults through libfaketime (the toy system offers no
 * clock control here): a kill, a partition, a clock strobe and a drift in
 * effect at once as measured on the nodes, healed one by one, and nothing
 * left after healing everything.
 */
const three = ['n1', 'n2', 'n3'];
const cutN2N3 = { n2: ['n3'], n3: ['n2'] };
const KINDS: BackendKind[] = ['local-direct', 'docker'];

const addressOf = (c: Awaited<ReturnType<typeof toyCluster>>, n: string) =>
  c.backend.addresses().find((a) => a.id === n)!;

describe.each(KINDS)('overlapping faults on the %s backend', (kind) => {
  it.skipIf(skipWithout(`${kind} backend`, backendMissing(kind)))(
    'a kill, a partition, a strobe and a drift at once; healed one by one; nothing left after healing all',
    async () => {
      const c = await toyCluster(kind, three, { clock: false, faults: ['kill', 'partition', 'clock'] });
      const { backend, nemesis } = c;
      await expectHearing(c, expectedHearing({}, three));

      const kill = await nemesis.inject({ kind: 'kill', target: ['n1'] });
      await nemesis.inject({ kind: 'partition', grudge: cutN2N3 });
      await nemesis.inject({ kind: 'clock-strobe', target: ['n3'], offset: 5000, period: 200 });
      await nemesis.inject({ kind: 'clock-drift', target: ['n2'], rate: 0.5, every: 100 });

      // All four in effect at once.
      expect(backend.isRunning('n1')).toBe(false);
      expect([...(await measureHearing(c))]).toEqual([]); // n1 is dead, n2 and n3 cannot hear each other
      const samples: number[] = [];
      for (let i = 0; i < 15; i++) {
        samples.push(await clockOffsetOf(addressOf(c, 'n3')));
        await sleep(70);
      }
      expect(samples.some((s) => Math.abs(s) < 1000)).toBe(true); // the true time …
      expect(samples.some((s) => Math.abs(s - 5000) < 1000)).toBe(true); // … and 5 s ahead, in turn
      const drift1 = await clockOffsetOf(addressOf(c, 'n2'));
      await sleep(1000);
      const drift2 = await clockOffsetOf(addressOf(c, 'n2'));
      expect(drift2 - drift1).toBeGreaterThan(250); // ~500 ms per second
      expect(drift2 - drift1).toBeLessThan(1500);

      // Healing the kill leaves the partition and the clocks.
      await nemesis.heal(kill!);
      expect(backend.isRunning('n1')).toBe(true);
      await expectHearing(c, expectedHearing(cutN2N3, three));
      expect(await clockOffsetOf(addressOf(c, 'n2'))).toBeGreaterThan(drift2 - 200);

      await nemesis.healAll();
      expect(nemesis.state.snapshot()).toEqual({ down: [], paused: [], grudge: {}, clocks: {}, shapedLinks: 0 });
      await expectHearing(c, expectedHearing({}, three));
      for (const n of three) {
        expect(backend.isRunning(n)).toBe(true);
        expect(Math.abs(await clockOffsetOf(addressOf(c, n)))).toBeLessThan(500);
      }
    },
    300_000,
  );
});
