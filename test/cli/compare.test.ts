import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompareResults } from '../../src/report/job-results.ts';
import { expectNothingLeft, faultline, readResults, tempReports } from '../e2e/helpers.ts';
import { haveChromium } from '../fixtures/browser.ts';
import { withPage } from '../fixtures/open-page.ts';
import { screenshotPath } from '../fixtures/screenshots.ts';

/**
 * The compare the issue names, run as a user would: sync and async
 * replication under leader kills, 5 seeds of 20 s each. Async loses
 * acknowledged writes (an interval above zero), sync loses none, both keep
 * their claims (exit 0), and the page draws in chromium. Four runs go at once
 * (--parallel 4): two seeds' sync and async runs side by side.
 */
describe('faultline compare', () => {
  it('single-leader-sync vs single-leader-async under leader-kill: async loses writes, sync none', async () => {
    const reports = tempReports();
    const r = await faultline([
      'compare',
      '--cluster',
      'single-leader-sync,single-leader-async',
      '--workload',
      'set',
      '--nemesis',
      'leader-kill',
      '--runs',
      '5',
      '--time-limit',
      '20s',
      '--seed',
      '9',
      '--parallel',
      '4',
      '--reports-dir',
      reports,
    ]);
    expect(r.exitCode, r.all).toBe(0);
    // Live progress: each run's start and end, with runs done / total and time left.
    expect(r.all).toMatch(/run 10\/10 PASS: single-leader-\w+ × set × leader-kill seed \d+/);
    expect(r.all).toMatch(/\[compare \d+\/10 · ~\d+(m \d+)?s left\]/);
    expect(r.all).not.toContain('replay:');

    const dirs = (existsSync(join(reports, 'compare')) ? [join(reports, 'compare')] : []).flatMap((d) =>
      readdirSync(d).map((x) => join(d, x)),
    );
    expect(dirs).toHaveLength(1);
    const compare = JSON.parse(readFileSync(join(dirs[0]!, 'compare.json'), 'utf8')) as CompareResults;
    expect(compare.seeds).toHaveLength(5);
    const [sync, async] = compare.clusters;
    expect(sync!.cluster).toBe('single-leader-sync');
    expect(async!.cluster).toBe('single-leader-async');
    // Paired: the same seeds, in the same order, for both.
    expect(sync!.runs.map((x) => x.seed)).toEqual(compare.seeds);
    expect(async!.runs.map((x) => x.seed)).toEqual(compare.seeds);

    expect(sync!.lost.total).toBe(0);
    expect(sync!.lost.acked).toBeGreaterThan(500);
    expect(sync!.valid).toBe(true);
    expect(async!.valid).toBe(true);
    expect(async!.lost.total).toBeGreaterThan(0);
    expect(async!.lost.ci95![0], JSON.stringify(async!.lost)).toBeGreaterThan(0);
    const kills = async!.perFault.find((k) => k.f === 'kill');
    expect(kills!.faults).toBeGreaterThanOrEqual(10);
    expect(kills!.lost).toBeGreaterThan(0);
    const lostDiff = compare.differences.find((d) => d.metric === 'lost' && d.cluster === 'single-leader-async');
    expect(lostDiff!.n).toBe(5);
    expect(lostDiff!.ci95![0]).toBeGreaterThan(0);

    // Every run is a normal run folder, cleaned up after.
    for (const run of [...sync!.runs, ...async!.runs]) {
      const results = readResults(join(reports, run.dir!));
      expect(results.seed).toBe(run.seed);
      expect(existsSync(join(reports, run.dir!, 'report.html'))).toBe(true);
      await expectNothingLeft(results.runId);
    }
    expect(readFileSync(join(reports, 'index.html'), 'utf8')).toContain('Compares');

    if (!haveChromium) return;
    await withPage(join(dirs[0]!, 'compare.html'), join(reports, '.profile'), async (page, problems) => {
      expect(await page.locator('#verdict .word').textContent()).toBe('PASS');
      expect(await page.locator('svg.compare-chart circle.run-dot').count()).toBe(10);
      expect(await page.locator('svg.compare-chart line.mean').count()).toBe(2);
      // Each dot links to its run's report, which exists.
      const href = await page.locator('svg.compare-chart a').first().getAttribute('href');
      expect(existsSync(join(dirs[0]!, href!))).toBe(true);
      await page.screenshot({ path: screenshotPath('compare-sync-vs-async'), fullPage: true });
      expect(problems).toEqual([]);
    });
  }, 900_000);
});
