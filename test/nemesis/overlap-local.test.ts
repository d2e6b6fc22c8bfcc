import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/base/time.ts';
import { faultWindows } from '../../src/history/faults.ts';
import { followSchedule } from '../../src/nemesis/follow.ts';
import { parseScheduleText, type Schedule } from '../../src/nemesis/schedule.ts';
import { addressOf, isAlive, procState } from '../cluster/helpers.ts';
import { canReach } from '../fixtures/toy-system.ts';
import {
  clockLog,
  clockNow,
  expectedHearing,
  expectHearing,
  GOSSIP_MS,
  gossipCluster,
  measureHearing,
} from './helpers.ts';

/**
 * Overlapping faults on a real cluster (toy nodes, local backend): both in
 * effect at once as measured on the nodes, each healed on its own, and
 * nothing left in place after healing.
 */
const three = ['n1', 'n2', 'n3'];

/** A process's state once a signal had time to land (polls up to 2 s for `want`). */
const settledState = async (pid: number, want: string): Promise<string | undefined> => {
  for (let i = 0; i < 200 && procState(pid) !== want; i++) await sleep(10);
  return procState(pid);
};
const cutN2N3 = { n2: ['n3'], n3: ['n2'] };

describe('overlapping faults on the local backend', () => {
  it('a killed node and a partition between the two others are in effect at the same time, per a schedule', async () => {
    const cluster = await gossipCluster(three);
    const { backend, nemesis, recorder } = cluster;
    const schedule: Schedule = parseScheduleText(
      [
        'faultline: schedule',
        'version: 1',
        'nodes: [n1, n2, n3]',
        'timeLimitMs: 9000',
        'steps:',
        '  - { id: 1, atMs: 300, healAtMs: 7000, fault: { kind: kill, target: [n1] } }',
        '  - { id: 2, atMs: 600, healAtMs: 6000, fault: { kind: partition, grudge: { n2: [n3], n3: [n2] } } }',
      ].join('\n'),
    );
    const pid1 = backend.pids().n1!;
    const began = performance.now();
    const stop = new AbortController();
    const following = followSchedule(schedule, nemesis, { stop: stop.signal, nowMs: () => performance.now() - began });

    // Inside the overlap (0.6 s – 6 s): measure from 1 s on.
    await sleep(1000);
    expect(backend.isRunning('n1')).toBe(false);
    expect(isAlive(pid1)).toBe(false);
    const during = await measureHearing(cluster);
    expect(performance.now() - began).toBeLessThan(6000); // still inside the overlap when measured
    expect([...during]).toEqual([]); // n1 is dead, n2 and n3 cannot hear each other

    const applied = await following;
    expect(applied.map((s) => [s.id, s.kind, s.did])).toEqual([
      [1, 'kill', { targets: ['n1'] }],
      [2, 'partition', { grudge: cutN2N3, description: 'explicit grudge' }],
    ]);
    for (const s of applied) {
      expect(s.tookEffectAtMs).toBeGreaterThanOrEqual(s.plannedAtMs);
      expect(s.healedAtMs).toBeGreaterThanOrEqual(s.plannedHealAtMs);
    }
    // The history agrees: two windows that overlap, each closed by its own stop.
    const windows = faultWindows(recorder.ops);
    expect(windows.map((w) => w.f)).toEqual(['kill', 'partition']);
    const [kill, cut] = windows;
    expect(kill!.start < cut!.end && cut!.start < kill!.end).toBe(true);
    expect(cut!.end).toBeLessThan(kill!.end);

    expect(backend.isRunning('n1')).toBe(true);
    await expectHearing(cluster, expectedHearing({}, three));
  }, 90_000);

  it('two faults of one kind on different targets heal one at a time; partitions add up and heal one by one', async () => {
    const cluster = await gossipCluster(three);
    const { backend, nemesis } = cluster;
    const k1 = await nemesis.inject({ kind: 'kill', target: ['n1'] });
    const k2 = await nemesis.inject({ kind: 'kill', target: ['n2'] });
    expect([backend.isRunning('n1'), backend.isRunning('n2')]).toEqual([false, false]);
    await nemesis.heal(k1!);
    expect([backend.isRunning('n1'), backend.isRunning('n2')]).toEqual([true, false]);
    await nemesis.heal(k2!);
    expect(backend.isRunning('n2')).toBe(true);

    const p1 = await nemesis.inject({ kind: 'partition', grudge: 'isolate', target: ['n1'] });
    const p2 = await nemesis.inject({ kind: 'partition', grudge: cutN2N3 });
    await expectHearing(cluster, new Set()); // the union: nobody hears anybody
    await nemesis.heal(p1!); // n1 back with both; n2 and n3 still cut
    await expectHearing(cluster, expectedHearing(cutN2N3, three));
    await nemesis.heal(p2!);
    await expectHearing(cluster, expectedHearing({}, three));
  }, 90_000);

  it('a node held down by a kill stays down through a rolling restart; a paused node comes back paused after a kill', async () => {
    const cluster = await gossipCluster(three);
    const { backend, nemesis } = cluster;
    const held = await nemesis.inject({ kind: 'kill', target: ['n1'] });
    const pid2 = backend.pids().n2!;
    const roll = await nemesis.inject({ kind: 'rolling-restart', target: ['n1', 'n2'], downtime: 200 });
    // Wait for the roll to reach n2 and bring it back (a new process).
    for (let i = 0; i < 100 && (backend.pids().n2 === pid2 || !backend.isRunning('n2')); i++) await sleep(100);
    expect(backend.isRunning('n2')).toBe(true);
    expect(backend.pids().n2).not.toBe(pid2);
    expect(backend.isRunning('n1')).toBe(false); // the roll did not bring back what the kill holds
    await nemesis.heal(roll!);
    expect(backend.isRunning('n1')).toBe(false);
    await nemesis.heal(held!);
    expect(backend.isRunning('n1')).toBe(true);

    const paused = await nemesis.inject({ kind: 'pause', target: ['n3'] });
    const killed = await nemesis.inject({ kind: 'kill', target: ['n3'] });
    await nemesis.heal(killed!);
    expect(backend.isRunning('n3')).toBe(true);
    expect(await settledState(backend.pids().n3!, 'T')).toBe('T'); // restarted, and still paused as the pause says
    await nemesis.heal(paused!);
    expect(await settledState(backend.pids().n3!, 'S')).not.toBe('T');
  }, 90_000);

  it('clock faults on one node add up; a strobe flips, a drift grows; healing restores the true time', async () => {
    const cluster = await gossipCluster(three);
    const { backend, nemesis } = cluster;
    const bump = await nemesis.inject({ kind: 'clock', target: ['n1'], offset: 10_000 });
    const strobe = await nemesis.inject({ kind: 'clock-strobe', target: ['n1'], offset: 3000, period: 100 });
    expect(await clockNow(backend, 'n1')).toBe(13_000);
    await sleep(1200);
    await nemesis.heal(strobe!);
    expect(await clockNow(backend, 'n1')).toBe(10_000); // the bump stays
    const flips = (await clockLog(backend, 'n1')).map((e) => e.offsetMs);
    // 10 s, then 13 s and 10 s alternating: the strobe flipped on top of the bump.
    expect(flips[0]).toBe(10_000);
    const strobing = flips.slice(1, -1);
    expect(strobing.length).toBeGreaterThanOrEqual(4);
    strobing.forEach((v, i) => {
      expect(v).toBe(i % 2 === 0 ? 13_000 : 10_000);
    });
    await nemesis.heal(bump!);
    expect(await clockNow(backend, 'n1')).toBe(0);

    const drift = await nemesis.inject({ kind: 'clock-drift', target: ['n2'], rate: 0.5, every: 100 });
    await sleep(1500);
    await nemesis.heal(drift!);
    const steps = (await clockLog(backend, 'n2')).map((e) => e.offsetMs);
    expect(steps.at(-1)).toBe(0);
    const growing = steps.slice(0, -1);
    expect(growing.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < growing.length; i++) expect(growing[i]!).toBeGreaterThan(growing[i - 1]!);
    expect(growing.at(-1)!).toBeGreaterThanOrEqual(400); // ~0.5 s per second for over a second
  }, 60_000);

  it('healing everything leaves nothing in place: every node up and running, links open and unshaped, clocks true', async () => {
    const cluster = await gossipCluster(three);
    const { backend, nemesis } = cluster;
    await nemesis.inject({ kind: 'kill', target: ['n1'] });
    await nemesis.inject({ kind: 'pause', target: ['n2'] });
    await nemesis.inject({ kind: 'clock', target: ['n3'], offset: -5000 });
    await nemesis.inject({ kind: 'partition', grudge: 'isolate', target: ['n3'] });
    await nemesis.inject({ kind: 'shape', target: ['n3'], delay: 3000 });
    await nemesis.inject({ kind: 'rolling-restart', target: ['n2', 'n3'], downtime: 100 });
    expect(nemesis.active).toHaveLength(6);

    await nemesis.healAll();
    expect(nemesis.active).toHaveLength(0);
    expect(nemesis.state.snapshot()).toEqual({ down: [], paused: [], grudge: {}, clocks: {}, shapedLinks: 0 });
    for (const n of three) {
      expect(backend.isRunning(n)).toBe(true);
      expect(await settledState(backend.pids()[n]!, 'S')).not.toBe('T');
      expect(await clockNow(backend, n)).toBe(0);
    }
    await expectHearing(cluster, expectedHearing({}, three));
    // No 3 s delay left on n3's links: a peer call answers well inside it.
    expect(await canReach(addressOf(backend, 'n1'), 'n3', 2000)).toBe(true);
    expect(GOSSIP_MS).toBeGreaterThan(0);
  }, 90_000);
});
