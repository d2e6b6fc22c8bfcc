import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonlHistory } from '../../src/history/jsonl.ts';
import type { Op } from '../../src/history/op.ts';
import type { AppliedStep } from '../../src/nemesis/follow.ts';
import { parseScheduleText } from '../../src/nemesis/schedule.ts';
import { faultline, readResults, runDirIn, tempReports } from '../e2e/helpers.ts';

/**
 * A run's schedule file replays the same steps in the same order: a run
 * composed from two presets (overlapping faults), then `--schedule` with
 * its schedule.yaml, both on real replica clusters through the CLI.
 */
const nemesisStarts = (dir: string): Op[] =>
  parseJsonlHistory(readFileSync(join(dir, 'history.jsonl'), 'utf8')).ops.filter(
    (o) => o.process === 'nemesis' && o.type === 'invoke' && o.f.startsWith('start-'),
  );

const common = ['--cluster', 'single-leader-sync', '--workload', 'register', '--quiesce', '500ms', '--seed', '5'];

describe('schedule files', () => {
  it('a run’s schedule.yaml replays the same steps in order, with what each did recorded', async () => {
    const reports = tempReports();
    const first = await faultline([
      'run',
      ...common,
      '--nemesis',
      'kill-random+partition-halves',
      '--time-limit',
      '8s',
      '--reports-dir',
      reports,
      '--test',
      'planned',
    ]);
    expect(first.exitCode, first.all).toBe(0);
    const dir = runDirIn(reports, 'planned');
    const plan = parseScheduleText(readFileSync(join(dir, 'schedule.yaml'), 'utf8'));
    expect(plan.steps.length).toBeGreaterThanOrEqual(2);
    // The history header carries the same plan.
    const header = parseJsonlHistory(readFileSync(join(dir, 'history.jsonl'), 'utf8')).header as unknown as {
      config: { schedule: unknown };
    };
    expect(header.config.schedule).toEqual(plan);

    const replay = await faultline([
      'run',
      ...common,
      '--schedule',
      join(dir, 'schedule.yaml'),
      '--reports-dir',
      reports,
      '--test',
      'replayed',
    ]);
    expect(replay.exitCode, replay.all).toBe(0);
    const again = runDirIn(reports, 'replayed');
    expect(parseScheduleText(readFileSync(join(again, 'schedule.yaml'), 'utf8'))).toEqual(plan);
    expect(readResults(again).replay).toContain(`--schedule ${join(dir, 'schedule.yaml')}`);

    // The same steps, started in the same order, with the same faults on the same nodes.
    const starts = (d: string) => nemesisStarts(d).map((o) => [o.f, o.value]);
    expect(starts(again)).toEqual(starts(dir));
    expect(nemesisStarts(again).map((o) => (o.value as { step: number }).step)).toEqual(plan.steps.map((s) => s.id));

    // What each step did, and when: planned, took effect, healed.
    const applied = JSON.parse(readFileSync(join(again, 'schedule-applied.json'), 'utf8')) as AppliedStep[];
    expect(applied.map((a) => a.id)).toEqual(plan.steps.map((s) => s.id));
    for (const a of applied) {
      expect(a.did).toBeDefined();
      expect(a.tookEffectAtMs!).toBeGreaterThanOrEqual(a.plannedAtMs);
      expect(a.healedAtMs!).toBeGreaterThanOrEqual(a.plannedHealAtMs);
      expect(a.error).toBeUndefined();
    }
    const kill = applied.find((a) => a.kind === 'kill')!;
    const planned = plan.steps.find((s) => s.id === kill.id)!.fault as { target: string[] };
    expect(kill.did).toEqual({ targets: planned.target });
  }, 180_000);
});
