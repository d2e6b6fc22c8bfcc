import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../src/base/errors.ts';
import { parseYaml } from '../../src/base/yaml.ts';
import {
  formatSchedule,
  parseSchedule,
  parseScheduleText,
  planFaults,
  planSchedule,
  type Schedule,
  scheduleEvents,
} from '../../src/nemesis/schedule.ts';
import type { Lane } from '../../src/nemesis/spec.ts';

const nodes = ['n1', 'n2', 'n3'];
const five = ['n1', 'n2', 'n3', 'n4', 'n5'];

const mixed: Lane = {
  name: 'mixed',
  interval: 3000,
  duration: 2000,
  jitter: 0,
  faults: [
    { kind: 'kill', target: 'leader' },
    { kind: 'pause', target: 'random' },
    { kind: 'partition', grudge: 'halves' },
  ],
};

const plan = (lanes: Lane[], seed = 1, timeLimitMs = 60_000, on = nodes): Schedule =>
  planSchedule(lanes, { nemesis: 'test', seed, nodes: on, timeLimitMs });

/** Whether two steps are in effect at the same moment. */
const overlap = (a: { atMs: number; healAtMs: number }, b: { atMs: number; healAtMs: number }) =>
  a.atMs < b.healAtMs && b.atMs < a.healAtMs;

describe('planSchedule', () => {
  it('gives the same schedule for the same seed', () => {
    const a = plan([mixed], 42);
    expect(plan([mixed], 42)).toEqual(a);
    expect(a.steps.length).toBeGreaterThan(5);
  });

  it('gives a different mix of faults for a different seed', () => {
    const kinds = (seed: number) =>
      plan([mixed], seed)
        .steps.map((s) => s.fault.kind)
        .join();
    expect(new Set([1, 2, 3, 4, 5].map(kinds)).size).toBeGreaterThan(1);
  });

  it('alternates quiet intervals and faults in one lane, and heals by the time limit', () => {
    const s = plan([mixed], 1, 20_000).steps;
    expect(s[0]!.atMs).toBe(3000);
    for (const [i, step] of s.entries()) {
      expect(step.healAtMs - step.atMs).toBeLessThanOrEqual(2000);
      expect(step.healAtMs).toBeLessThanOrEqual(20_000);
      if (i > 0) expect(step.atMs - s[i - 1]!.healAtMs).toBe(3000);
    }
    expect(s.map((x) => x.id)).toEqual(s.map((_, i) => i + 1));
  });

  it('is empty without faults', () => {
    expect(plan([{ ...mixed, faults: [] }]).steps).toEqual([]);
    expect(plan([]).steps).toEqual([]);
  });

  it('overlaps the faults of different lanes, ordered by start time', () => {
    const partitions: Lane = {
      ...mixed,
      name: 'net',
      interval: 2000,
      duration: 4000,
      faults: [{ kind: 'partition', grudge: 'halves' }],
    };
    const kills: Lane = {
      ...mixed,
      name: 'proc',
      interval: 3000,
      duration: 3000,
      faults: [{ kind: 'kill', target: 'random' }],
    };
    const s = plan([partitions, kills], 7, 30_000).steps;
    expect(new Set(s.map((x) => x.lane))).toEqual(new Set(['net', 'proc']));
    const cross = s.filter((a) => s.some((b) => b.lane !== a.lane && overlap(a, b)));
    expect(cross.length).toBeGreaterThan(0);
    for (let i = 1; i < s.length; i++) expect(s[i]!.atMs).toBeGreaterThanOrEqual(s[i - 1]!.atMs);
  });

  it('keeps one lane where it was when another lane is added', () => {
    const kills: Lane = { ...mixed, name: 'proc', faults: [{ kind: 'kill', target: 'random' }] };
    const other: Lane = { ...mixed, name: 'clock', faults: [{ kind: 'clock', target: 'random', offset: 5000 }] };
    const alone = plan([kills], 9).steps.map(({ id: _, ...s }) => s);
    const together = plan([kills, other], 9)
      .steps.filter((s) => s.lane === 'proc')
      .map(({ id: _, ...s }) => s);
    expect(together).toEqual(alone);
  });

  it('picks the same faults at the same times whatever the node count (only the targets differ)', () => {
    const timing = (on: string[]) =>
      planFaults([mixed], { seed: 4, nodes: on, timeLimitMs: 60_000 }).map((p) => [p.faultIndex, p.atMs, p.healAtMs]);
    expect(timing(five)).toEqual(timing(nodes));
  });

  it('moves intervals and durations by at most the jitter', () => {
    const lane: Lane = { ...mixed, interval: 4000, duration: 3000, jitter: 1000 };
    const s = plan([lane], 3, 120_000).steps;
    const lengths = s.map((x) => x.healAtMs - x.atMs);
    for (const l of lengths) {
      expect(l).toBeGreaterThanOrEqual(2000);
      expect(l).toBeLessThanOrEqual(4000);
    }
    expect(new Set(lengths).size).toBeGreaterThan(3);
    for (let i = 1; i < s.length; i++) {
      const quiet = s[i]!.atMs - s[i - 1]!.healAtMs;
      expect(quiet).toBeGreaterThanOrEqual(3000);
      expect(quiet).toBeLessThanOrEqual(5000);
    }
  });

  it('takes a fault’s own timing over its lane’s', () => {
    const lane: Lane = { ...mixed, faults: [{ kind: 'kill', target: 'random', interval: 1000, duration: 7000 }] };
    const s = plan([lane], 1, 30_000).steps;
    expect(s[0]).toMatchObject({ atMs: 1000, healAtMs: 8000 });
    expect(s[0]!.fault).toEqual({ kind: 'kill', target: expect.any(Array) });
  });

  it('makes every random choice in advance and leaves roles to the run', () => {
    const lane: Lane = {
      ...mixed,
      faults: [
        { kind: 'kill', target: 'random' },
        { kind: 'kill', target: 'minority' },
        { kind: 'pause', target: 'majority' },
        { kind: 'pause', target: 'leader' },
        { kind: 'partition', grudge: 'halves' },
        { kind: 'partition', grudge: 'bridge' },
        { kind: 'partition', grudge: 'isolate-random' },
        { kind: 'partition', grudge: 'isolate-leader' },
        { kind: 'partition', grudge: 'mute', target: 'random' },
        { kind: 'rolling-restart', target: 'all', downtime: 500 },
      ],
    };
    const steps = plan([lane], 5, 600_000, five).steps;
    const faults = steps.map((s) => s.fault);
    for (const f of faults) {
      if (f.kind === 'partition') {
        if (typeof f.grudge === 'object') expect(f.label).toMatch(/^(halves|bridge)/);
        else expect(f.grudge === 'isolate' || f.grudge === 'mute').toBe(true);
        if (f.grudge === 'isolate' && f.target !== 'leader') expect(f.target).toHaveLength(1);
      } else if ('target' in f && f.target !== 'leader') {
        expect(Array.isArray(f.target)).toBe(true);
      }
    }
    const sizes = (kind: string) =>
      faults
        .filter((f) => f.kind === kind && Array.isArray(f.target))
        .map((f) => (f as { target: string[] }).target.length);
    expect(new Set(sizes('kill'))).toEqual(new Set([1, 2])); // random and a minority of 5
    expect(sizes('pause').every((n) => n === 3)).toBe(true); // a majority of 5
    expect(faults.some((f) => f.kind === 'pause' && f.target === 'leader')).toBe(true);
    const roll = faults.find((f) => f.kind === 'rolling-restart') as { target: string[] };
    expect([...roll.target].sort()).toEqual(five);
  });
});

describe('schedule files', () => {
  const chaos: Lane[] = [
    {
      ...mixed,
      name: 'proc',
      faults: [
        { kind: 'kill', target: 'random' },
        { kind: 'rolling-restart', target: 'all', downtime: 300 },
      ],
    },
    {
      ...mixed,
      name: 'net',
      interval: 2000,
      faults: [
        { kind: 'partition', grudge: 'bridge' },
        { kind: 'partition', grudge: 'deaf', target: 'leader' },
      ],
    },
    {
      ...mixed,
      name: 'time',
      faults: [
        { kind: 'clock', target: 'random', offset: -1500 },
        { kind: 'clock-strobe', target: 'random', offset: 2000, period: 50 },
        { kind: 'clock-drift', target: 'random', rate: -0.25, every: 100 },
      ],
    },
    { ...mixed, name: 'links', faults: [{ kind: 'shape', target: 'all', delay: 20, jitter: 5, loss: 0.05 }] },
  ];

  it('round-trips through the YAML format: the same steps in the same order', () => {
    const original = plan(chaos, 11, 40_000);
    expect(original.steps.length).toBeGreaterThan(8);
    const text = formatSchedule(original);
    expect(text).toContain('faultline: schedule');
    expect(parseScheduleText(text)).toEqual(original);
  });

  it('replays steps in start order whatever the file order, heals first at equal times', () => {
    const text = [
      'faultline: schedule',
      'version: 1',
      'nodes: [n1, n2, n3]',
      'timeLimitMs: 10000',
      'steps:',
      '  - { id: 2, atMs: 3000, healAtMs: 5000, fault: { kind: pause, target: [n2] } }',
      '  - { id: 1, atMs: 1000, healAtMs: 3000, fault: { kind: kill, target: [n1] } }',
    ].join('\n');
    const s = parseScheduleText(text);
    expect(s.steps.map((x) => x.id)).toEqual([1, 2]);
    expect(scheduleEvents(s).map((e) => `${e.action} ${e.step.id}`)).toEqual([
      'start 1',
      'heal 1',
      'start 2',
      'heal 2',
    ]);
  });

  it('names the file, key and line of a bad step', () => {
    const text = [
      'faultline: schedule',
      'version: 1',
      'nodes: [n1, n2, n3]',
      'timeLimitMs: 10000',
      'steps:',
      '  - id: 1',
      '    atMs: 1000',
      '    healAtMs: 12000',
      '    fault: { kind: kill, target: [n1] }',
    ].join('\n');
    const src = parseYaml(text, 'bad.yaml');
    let error: unknown;
    try {
      parseSchedule(src.data, { file: 'bad.yaml', lineOf: src.lineOf });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FaultlineError);
    expect((error as FaultlineError).message).toBe(
      "step 1 heals at 12000 ms, after the schedule's time limit 10000 ms",
    );
    expect((error as FaultlineError).path).toBe('steps[0].healAtMs');
    expect((error as FaultlineError).line).toBe(8);

    const unknownKind = text.replace('kind: kill', 'kind: explode').replace('12000', '2000');
    const src2 = parseYaml(unknownKind, 'bad.yaml');
    expect(() => parseSchedule(src2.data, { file: 'bad.yaml', lineOf: src2.lineOf })).toThrow(FaultlineError);
  });
});
