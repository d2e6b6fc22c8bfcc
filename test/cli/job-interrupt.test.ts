import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { CampaignResults } from '../../src/report/job-results.ts';
import { BIN, expectNothingLeft, faultline, tempReports } from '../e2e/helpers.ts';

/**
 * A job cut short: Ctrl-C stops the run in progress (it heals, tears down
 * and reports as interrupted), skips the rest, still writes the job's
 * results, leaves nothing running, and exits 2 — it could not vouch for
 * every claim. A time budget too small for a run skips it before it starts.
 */
const CAMPAIGN = (extra = '') => `name: short
timeLimit: 6s
quiesce: 1s
runs: 3
clusters: [single-leader-sync]
workloads: [set]
nemeses: [none]
${extra}`;

const read = (reports: string, id: string) =>
  JSON.parse(readFileSync(join(reports, 'campaigns', 'short', id, 'campaign.json'), 'utf8')) as CampaignResults;

describe('a job cut short', () => {
  it('Ctrl-C: the current run reports as interrupted, the rest are skipped, nothing is left, exit 2', async () => {
    const reports = tempReports();
    const file = join(reports, 'short.yaml');
    await writeFile(file, CAMPAIGN());
    const child = execa(process.execPath, [BIN, 'campaign', file, '--id', 'c1', '--reports-dir', reports], {
      reject: false,
      all: true,
      env: { FORCE_COLOR: '0' },
    });
    let out = '';
    await new Promise<void>((resolve) => {
      child.all!.on('data', (c: Buffer) => {
        out += c.toString();
        // Interrupt a few seconds into the first run (its run phase lasts 6 s).
        if (/run 1\/3: [\s\S]*writing /.test(out)) setTimeout(resolve, 3000);
      });
      void child.then(() => resolve());
    });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toContain('SIGINT: interrupting');
    const c = read(reports, 'c1');
    expect(c.interrupted).toBe(true);
    expect(c.runs.map((x) => x.status)).toEqual(['done', 'skipped', 'skipped']);
    expect(c.runs[0]!.valid).toBe('unknown');
    expect(c.runs[1]!.error).toBe('skipped: interrupted');
    await expectNothingLeft(c.runs[0]!.runId!);
    const results = JSON.parse(readFileSync(join(reports, c.runs[0]!.dir!, 'results.json'), 'utf8'));
    expect(results.interrupted).toBe(true);
  }, 120_000);

  it('a budget too small for a run skips it before it starts, exit 2', async () => {
    const reports = tempReports();
    const file = join(reports, 'short.yaml');
    await writeFile(file, CAMPAIGN('budget: 2s\n'));
    const r = await faultline(['campaign', file, '--id', 'c2', '--reports-dir', reports]);
    expect(r.exitCode, r.all).toBe(2);
    const c = read(reports, 'c2');
    expect(c.runs.map((x) => x.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(c.runs[0]!.error).toBe('skipped: the time budget of 2 s was spent');
    expect(c.budgetMs).toBe(2000);
  }, 60_000);
});
