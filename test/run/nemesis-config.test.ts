import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/base/ts-node.ts';
import { formatSchedule } from '../../src/nemesis/schedule.ts';
import { resolveRunConfig } from '../../src/run/resolve.ts';
import { rejection } from '../support/rejection.ts';

/** The nemesis side of a run's config: composition, lanes, --schedule, and refusals before anything starts. */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-nemesis-'));
  dirs.push(dir);
  return dir;
};
const write = (dir: string, name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('nemesis composition', () => {
  it('joins presets by name with + into lanes whose faults overlap', async () => {
    const reportsDir = tempDir();
    const config = await resolveRunConfig({
      nemesis: 'leader-kill+partition-halves',
      seed: 5,
      timeLimit: '30s',
      reportsDir,
    });
    expect(config.nemesis.name).toBe('leader-kill+partition-halves');
    expect(config.nemesis.lanes.map((l) => l.name)).toEqual(['leader-kill', 'partition-halves']);
    expect(config.test).toBe('single-leader-sync-register-leader-kill+partition-halves');
    const steps = config.schedule!.steps;
    expect(new Set(steps.map((s) => s.lane))).toEqual(new Set(['leader-kill', 'partition-halves']));
    const kill = steps.find((s) => s.fault.kind === 'kill')!;
    expect(steps.some((s) => s.fault.kind === 'partition' && s.atMs < kill.healAtMs && kill.atMs < s.healAtMs)).toBe(
      true,
    );
    // The same seed, the same plan.
    const again = await resolveRunConfig({
      nemesis: 'leader-kill+partition-halves',
      seed: 5,
      timeLimit: '30s',
      reportsDir,
    });
    expect(again.schedule).toEqual(config.schedule);
  });

  it('composes named and inline lanes in YAML, and points a bad fault at its own file and line', async () => {
    const dir = tempDir();
    write(dir, 'cut-n7.yaml', 'name: cut-n7\nfaults:\n  - kind: partition\n    grudge: { n1: [n7] }\n');
    const both = write(
      dir,
      'both.yaml',
      [
        'name: both',
        'compose:',
        '  - kill-random',
        '  - name: slow',
        '    interval: 2s',
        '    duration: 3s',
        '    jitter: 1s',
        '    faults:',
        '      - { kind: clock-drift, rate: 0.2 }',
      ].join('\n'),
    );
    const config = await resolveRunConfig({ nemesis: both, seed: 1, reportsDir: dir });
    expect(config.nemesis.lanes.map((l) => [l.name, l.interval, l.duration, l.jitter])).toEqual([
      ['kill-random', 4000, 4000, 0],
      ['slow', 2000, 3000, 1000],
    ]);
    const bad = write(dir, 'bad.yaml', 'name: bad\ncompose:\n  - kill-random\n  - ./cut-n7.yaml\n');
    const e = await rejection(resolveRunConfig({ nemesis: bad, reportsDir: dir }));
    expect(e.file).toBe(join(dir, 'cut-n7.yaml'));
    expect(e.line).toBe(4);
    expect(e.message).toBe('grudge names node n7, but the cluster has 3 nodes (n1, n2, n3)');
  });

  it('refuses a cycle, an empty name and an unknown part', async () => {
    const dir = tempDir();
    write(dir, 'a.yaml', 'name: a\ncompose: [./b.yaml]\n');
    write(dir, 'b.yaml', 'name: b\ncompose: [./a.yaml]\n');
    const cycle = await rejection(resolveRunConfig({ nemesis: join(dir, 'a.yaml'), reportsDir: dir }));
    expect(cycle.message).toMatch(/compose each other in a cycle/);
    const empty = await rejection(resolveRunConfig({ nemesis: 'leader-kill+', reportsDir: dir }));
    expect(empty.path).toBe('--nemesis');
    const unknown = await rejection(resolveRunConfig({ nemesis: 'leader-kill+nope', reportsDir: dir }));
    expect(unknown.message).toBe('unknown nemesis preset "nope"');
  });

  it('refuses a majorities ring on 3 nodes, and takes it on 5', async () => {
    const dir = tempDir();
    const e = await rejection(resolveRunConfig({ nemesis: 'majorities-ring', reportsDir: dir }));
    expect(e.message).toMatch(/a majorities ring needs at least 4 nodes/);
    expect(e.hint).toBe('use --nodes 5');
    expect(e.file).toBe(packagePath('nemeses/majorities-ring.yaml'));
    const ok = await resolveRunConfig({ nemesis: 'majorities-ring', nodes: '5', seed: 2, reportsDir: dir });
    expect(ok.schedule!.steps[0]!.fault).toMatchObject({ kind: 'partition', label: 'majorities ring' });
  });

  it('refuses link and clock faults a backend cannot inject for a system, before anything starts', async () => {
    const dir = tempDir();
    // A system that finds its peers itself, has no clock control of its own, and reads the clock without libc.
    write(
      dir,
      'self-peers.ts',
      [
        'export default {',
        "  name: 'self-peers',",
        "  workloads: ['register'],",
        "  abilities: { peerAddressing: 'direct', libfaketime: false },",
        '  launch: () => [],',
        '  ready: async () => {},',
        '  openClient: async () => { throw new Error("unused"); },',
        '  leader: async () => undefined,',
        '};',
      ].join('\n'),
    );
    const cluster = write(dir, 'cluster.yaml', 'name: self\nsystem: ./self-peers.ts\nnodes: 3\n');
    const latency = await rejection(resolveRunConfig({ cluster, nemesis: 'latency', reportsDir: dir }));
    expect(latency.code).toBe('FL_ERR_UNSUPPORTED');
    expect(latency.message).toMatch(/cannot inject delay faults here: system self-peers finds its peers itself/);
    expect(latency.line).toBeGreaterThan(0);
    expect(latency.file).toBe(packagePath('nemeses/latency.yaml'));
    const chaos = await rejection(resolveRunConfig({ cluster, nemesis: 'chaos', reportsDir: dir }));
    expect(chaos.code).toBe('FL_ERR_UNSUPPORTED');
    expect(chaos.file).toBe(packagePath('nemeses/chaos.yaml'));
    const strobe = await rejection(resolveRunConfig({ cluster, nemesis: 'clock-strobe', reportsDir: dir }));
    expect(strobe.message).toMatch(
      /cannot inject clock faults here: system self-peers has no clock control of its own/,
    );
    // What it can do is accepted.
    await resolveRunConfig({ cluster, nemesis: 'rolling-restart+pause-majority', reportsDir: dir });
  });
});

describe('--schedule', () => {
  const planned = async (dir: string) => {
    const config = await resolveRunConfig({ nemesis: 'mixed', seed: 9, timeLimit: '20s', reportsDir: dir });
    return { config, file: write(dir, 'plan.yaml', formatSchedule(config.schedule!)) };
  };

  it('replays a schedule file as it is, with its time limit unless one is given', async () => {
    const dir = tempDir();
    const { config, file } = await planned(dir);
    const replay = await resolveRunConfig({ schedule: file, seed: 9, reportsDir: dir });
    expect(replay.schedule).toEqual(config.schedule);
    expect(replay.scheduleFile).toBe(file);
    expect(replay.timeLimitMs).toBe(20_000);
    expect(replay.nemesis.name).toBe('mixed');
    expect((await resolveRunConfig({ schedule: file, timeLimit: '25s', reportsDir: dir })).timeLimitMs).toBe(25_000);
    // From a run file, relative to it.
    const runFile = write(dir, 'run.yaml', 'schedule: plan.yaml\nseed: 9\n');
    expect((await resolveRunConfig({ config: runFile, reportsDir: dir })).schedule).toEqual(config.schedule);
  });

  it('refuses a missing file, a nemesis as well, another node count, and a time limit the steps outlast', async () => {
    const dir = tempDir();
    const { file } = await planned(dir);
    const missing = await rejection(resolveRunConfig({ schedule: join(dir, 'nope.yaml'), reportsDir: dir }));
    expect(missing.message).toMatch(/schedule file not found/);
    const both = await rejection(resolveRunConfig({ schedule: file, nemesis: 'none', reportsDir: dir }));
    expect(both.path).toBe('--schedule');
    const nodes = await rejection(resolveRunConfig({ schedule: file, nodes: '5', reportsDir: dir }));
    expect(nodes.hint).toBe('replay with --nodes 3');
    const runFile = write(dir, 'both.yaml', 'nemesis: chaos\nschedule: plan.yaml\n');
    const twice = await rejection(resolveRunConfig({ config: runFile, reportsDir: dir }));
    expect(twice.describe()).toBe(
      `${runFile}:2: schedule: a run file gives a schedule or a nemesis, not both\nHint: the schedule replays its own faults; remove nemesis (or schedule)`,
    );
    const short = await rejection(resolveRunConfig({ schedule: file, timeLimit: '5s', reportsDir: dir }));
    expect(short.path).toBe('--time-limit');
    expect(short.message).toMatch(/after the time limit 5s/);
  });
});
