import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ShrinkReport } from '../../src/jobs/shrink.ts';
import { parseScheduleText } from '../../src/nemesis/schedule.ts';
import { expectNothingLeft, faultline, readResults, runDirIn, tempReports } from '../e2e/helpers.ts';

/**
 * `faultline shrink` end to end through the CLI, on real replica clusters:
 * a run of single-leader-unsafe-failover under chaos (several overlapping
 * faults) violates linearizability; shrink reduces its schedule to at most
 * two steps that still do, and reports how often that reproduces. The
 * budget is kept small (CI runs the whole suite in 20 minutes on 2 cores).
 */
const failingRun = async (reports: string): Promise<string> => {
  // Split brain under these faults is near certain, but not guaranteed: a few seeds.
  for (const seed of [4, 2, 1]) {
    const test = `unsafe-chaos-${seed}`;
    const r = await faultline([
      'run',
      '--cluster',
      'single-leader-unsafe-failover',
      '--workload',
      'register',
      '--nemesis',
      'chaos',
      '--time-limit',
      '10s',
      '--quiesce',
      '1s',
      '--seed',
      String(seed),
      '--reports-dir',
      reports,
      '--test',
      test,
    ]);
    expect(r.exitCode, r.all).toBe(0); // the topology does not claim linearizability: the run passes
    const dir = runDirIn(reports, test);
    if (readResults(dir).checkers.linearizable?.valid === false) return dir;
  }
  throw new Error('no seed gave a non-linearizable history under chaos');
};

describe('faultline shrink', () => {
  it('reduces a non-linearizable chaos run to at most two fault steps, with its reproduction rate and replay command', async () => {
    const reports = tempReports();
    const dir = await failingRun(reports);
    const original = parseScheduleText(readFileSync(join(dir, 'schedule.yaml'), 'utf8'));
    expect(original.steps.length).toBeGreaterThan(2);
    // The runs's steps overlapped: chaos runs its lanes at once.
    const s = original.steps;
    expect(s.some((a) => s.some((b) => a !== b && a.atMs < b.healAtMs && b.atMs < a.healAtMs))).toBe(true);

    const r = await faultline([
      'shrink',
      dir,
      '--claim',
      'linearizable',
      '--attempts',
      '2',
      '--confirm',
      '2',
      '--budget',
      '100s',
      '--check-timeout',
      '20s',
    ]);
    expect([0, 2], r.all).toContain(r.exitCode);
    expect(r.stderr).toMatch(/^candidate 1: /m); // progress as it goes
    expect(r.stdout).toMatch(/reproduction: fails \d of \d attempts?/);

    const out = join(dir, 'shrink');
    const report = JSON.parse(readFileSync(join(out, 'shrink.json'), 'utf8')) as ShrinkReport;
    expect(report.target).toEqual(['linearizable']);
    expect(report.minimal.steps).toBeLessThanOrEqual(2);
    expect(report.minimal.timeLimitMs).toBeLessThanOrEqual(original.timeLimitMs);
    expect(report.search.candidates).toBeGreaterThan(0);
    expect(report.search.elapsedMs).toBeLessThan(100_000 + 60_000); // the budget bounds it (plus the attempt in flight)
    expect(report.reproduction.attempts).toBeGreaterThan(0);
    expect(r.stdout).toContain(`fails ${report.reproduction.failed} of ${report.reproduction.attempts}`);

    // The minimal schedule: a file that parses, with the kept steps of the original.
    const minimal = parseScheduleText(readFileSync(join(out, 'schedule.yaml'), 'utf8'));
    expect(minimal.steps.length).toBe(report.minimal.steps);
    for (const step of minimal.steps) expect(original.steps.map((x) => x.id)).toContain(step.id);
    expect(report.replay).toContain(`--schedule ${join(out, 'schedule.yaml')}`);
    expect(report.replay).toContain(`--seed ${original.seed}`);

    // The minimal run's own report folder: a run of that schedule that violated linearizability.
    expect(report.minimalRun).toBeDefined();
    const minimalRun = join(out, report.minimalRun!);
    expect(existsSync(join(minimalRun, 'report.html'))).toBe(true);
    const results = readResults(minimalRun);
    expect(results.checkers.linearizable?.valid).toBe(false);
    const ran = parseScheduleText(readFileSync(join(minimalRun, 'schedule.yaml'), 'utf8'));
    expect(ran.steps).toEqual(minimal.steps);

    // Every attempt cleaned up after itself.
    const runIds = [...report.candidates.flatMap((c) => c.attempts), ...report.confirmations].flatMap((a) =>
      a.runId ? [a.runId] : [],
    );
    expect(runIds.length).toBe(report.search.attempts);
    for (const id of runIds) await expectNothingLeft(id);

    // Ctrl-C during a search keeps the best schedule found so far, and writes it out.
    const outInterrupted = join(dir, 'shrink-interrupted');
    const child = faultline(['shrink', dir, '--claim', 'linearizable', '--attempts', '1', '--out', outInterrupted]);
    let progress = '';
    const kept = await new Promise<boolean>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        progress += chunk.toString();
        if (/^ {2}kept: /m.test(progress)) resolve(true);
        else if ((progress.match(/^candidate /gm) ?? []).length >= 2) resolve(false);
      });
      void child.then(() => reject(new Error(`shrink ended before it could be interrupted:\n${progress}`)));
    });
    child.kill('SIGINT');
    const stopped = await child;
    expect(stopped.stderr).toContain('stopping the search; keeping the best schedule so far');
    expect([0, 2]).toContain(stopped.exitCode);
    const partial = JSON.parse(readFileSync(join(outInterrupted, 'shrink.json'), 'utf8')) as ShrinkReport;
    expect(partial.search.stoppedBy).toBe('interrupt');
    expect(partial.confirmations).toEqual([]);
    expect(partial.reproduction.during).toBe('search');
    if (kept) expect(partial.minimal.steps).toBeLessThan(original.steps.length);
    expect(parseScheduleText(readFileSync(join(outInterrupted, 'schedule.yaml'), 'utf8')).steps).toHaveLength(
      partial.minimal.steps,
    );
    for (const a of partial.candidates.flatMap((c) => c.attempts)) if (a.runId) await expectNothingLeft(a.runId);
  }, 480_000);

  it('refuses a run that did not fail (exit 3), naming what it could shrink instead', async () => {
    const reports = tempReports();
    const run = await faultline([
      'run',
      '--cluster',
      'single-leader-sync',
      '--nemesis',
      'none',
      '--time-limit',
      '3s',
      '--quiesce',
      '500ms',
      '--reports-dir',
      reports,
      '--test',
      'passing',
      '--seed',
      '3',
    ]);
    expect(run.exitCode, run.all).toBe(0);
    const dir = runDirIn(reports, 'passing');

    const r = await faultline(['shrink', dir]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('the run did not fail: every claim of single-leader-sync held');
    const named = await faultline(['shrink', dir, '--claim', 'linearizable']);
    expect(named.exitCode).toBe(3);
    expect(named.stderr).toContain('did not violate linearizable');
    expect(existsSync(join(dir, 'shrink'))).toBe(false); // nothing started, nothing written

    const unknown = await faultline(['shrink', dir, '--claim', 'fast']);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toContain('unknown claim "fast"');
    const notARun = await faultline(['shrink', reports]);
    expect(notARun.exitCode).toBe(3);
    expect(notARun.stderr).toContain('no history.jsonl');
  }, 120_000);
});
