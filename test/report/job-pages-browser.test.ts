import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignExitCode, summariseTests } from '../../src/jobs/campaign.ts';
import { summariseCluster } from '../../src/jobs/compare.ts';
import { CI_METHOD, pairedDifference } from '../../src/jobs/stats.ts';
import { renderCampaignJunit } from '../../src/report/campaign-junit.ts';
import { renderCampaignPage } from '../../src/report/campaign-page.ts';
import { renderClaimsPage } from '../../src/report/claims-page.ts';
import { renderComparePage } from '../../src/report/compare-page.ts';
import type {
  CampaignResults,
  CampaignRun,
  ClaimsMatrix,
  CompareResults,
  CompareRun,
} from '../../src/report/job-results.ts';
import { writeRunsIndex } from '../../src/report/runs-index.ts';
import { resolveRunConfig } from '../../src/run/resolve.ts';
import { haveChromium, launchBrowser } from '../fixtures/browser.ts';
import { generateReportsFolder, testName } from '../fixtures/reports-folder.ts';
import { screenshotPath } from '../fixtures/screenshots.ts';
import { HOSTILE } from '../fixtures/set-run.ts';

/**
 * The job pages and the morning view in chromium: they draw, hostile values
 * from the system under test stay text, no script from the data runs, no
 * console error, no network request; the index's filters work over
 * thousands of runs. Screenshots go to .vitest-reports/screenshots/.
 */

const compareRun = (seed: number, lost: number): CompareRun => ({
  seed,
  runId: `r${seed}`,
  dir: `t/r${seed}`,
  valid: true,
  acked: 400,
  lost,
  share: lost / 400,
  lostPerFault: [{ f: 'kill', faults: 2, lost }],
  staleReads: lost,
  maxStaleMs: 120,
  linearizable: null,
  availabilityInside: 0.6,
  availabilityOutside: 0.99,
  throughput: 90,
  latencyP50Ms: 3,
  latencyP99Ms: 40,
  replay: `npx faultline run --seed ${seed} ${HOSTILE}`,
});

const compareResults = async (): Promise<CompareResults> => {
  const seeds = [11, 12, 13, 14, 15];
  const sync = summariseCluster(
    'single-leader-sync',
    await resolveRunConfig({ cluster: 'single-leader-sync', workload: 'set', seed: 1 }),
    seeds.map((s) => compareRun(s, 0)),
  );
  const asyncRuns = seeds.map((s, i) => compareRun(s, [12, 30, 7, 21, 16][i]!));
  asyncRuns[2] = { ...asyncRuns[2]!, valid: 'unknown', error: `node said ${HOSTILE}` };
  const async = summariseCluster(
    'single-leader-async',
    await resolveRunConfig({ cluster: 'single-leader-async', workload: 'set', seed: 1 }),
    asyncRuns,
  );
  const d = pairedDifference(
    sync.runs.map((r) => r.lost ?? undefined),
    async.runs.map((r) => r.lost ?? undefined),
  );
  return {
    faultline: 'compare',
    version: 1,
    id: 'c1',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 100_000,
    valid: 'unknown',
    interrupted: false,
    workload: 'set',
    nemesis: 'leader-kill',
    backend: 'local',
    timeLimitMs: 20_000,
    seed: 7,
    seeds,
    ci: CI_METHOD,
    clusters: [sync, async],
    differences: [{ baseline: 'single-leader-sync', cluster: 'single-leader-async', metric: 'lost', ...d }],
  };
};

const claimsMatrix = (): ClaimsMatrix => ({
  faultline: 'claims',
  version: 1,
  id: 'm1',
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1,
  valid: false,
  interrupted: false,
  backend: 'local',
  timeLimitMs: 10_000,
  seeds: [1, 2],
  columns: ['linearizable', 'lostWrites', 'availability'],
  rows: [
    {
      cluster: 'single-leader-sync',
      description: 'One leader',
      system: 'replica',
      claims: { linearizable: true, lostWrites: 'none' },
      valid: false,
      cells: [
        {
          claim: 'linearizable',
          expected: true,
          status: 'held',
          figure: '2 of 2 histories linearizable',
          count: 0,
          shownBy: 'a/b',
          runs: [],
        },
        {
          claim: 'lostWrites',
          expected: 'none',
          status: 'violated',
          figure: `1 lost; node said ${HOSTILE}`,
          count: 1,
          shownBy: 'a/c',
          runs: [{ dir: 'a/c', workload: 'set', nemesis: 'kill-all', seed: 1, held: false, detail: HOSTILE }],
        },
      ],
      availability: { inside: 0.4, outside: 1 },
      runs: [{ dir: 'a/c', workload: 'set', nemesis: 'kill-all', seed: 1, valid: false }],
    },
  ],
});

const campaignResults = (): CampaignResults => {
  const runs: CampaignRun[] = Array.from({ length: 6 }, (_, i) => ({
    index: i,
    test: `t${i % 2}`,
    cluster: `c${i % 2}`,
    workload: 'set',
    nemesis: 'leader-kill',
    seed: 100 + i,
    status: i === 5 ? 'error' : 'done',
    valid: i === 3 ? false : i === 5 ? 'unknown' : true,
    runId: i === 5 ? null : `r${i}`,
    dir: i === 5 ? null : `t${i % 2}/r${i}`,
    claims:
      i === 5
        ? []
        : [
            { name: 'lostWrites', expected: 'none', held: i !== 3, detail: i === 3 ? `3 lost ${HOSTILE}` : '0 lost' },
            { name: 'linearizable', expected: true, held: 'untested', detail: 'no checker' },
          ],
    lost: i === 3 ? 3 : 0,
    acked: 100,
    staleReads: null,
    throughput: 50,
    durationMs: 1000,
    ...(i === 5 ? { error: `node would not start: ${HOSTILE}` } : {}),
    replay: `npx faultline run --seed ${100 + i}`,
  }));
  return {
    faultline: 'campaign',
    version: 1,
    name: 'nightly',
    id: 'n1',
    file: 'nightly.yaml',
    seed: 1,
    matrixHash: 'x',
    matrixSize: 6,
    shards: 2,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 6000,
    budgetMs: null,
    valid: false,
    interrupted: false,
    exitCode: campaignExitCode(runs),
    runs,
    tests: summariseTests(runs),
  };
};

describe.skipIf(!haveChromium)('job pages in chromium', () => {
  let work: string;
  let profile: string;
  let context: BrowserContext;
  const problems: string[] = [];
  const requests: string[] = [];

  const open = async (file: string): Promise<Page> => {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${file}: console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${file}: ${String(e)}`));
    page.on('dialog', (d) => {
      problems.push(`${file}: dialog ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return page;
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'faultline-job-pages-'));
    profile = await mkdtemp(join(tmpdir(), 'faultline-chromium-profile-'));
    await writeFile(join(work, 'compare.html'), renderComparePage(await compareResults(), { reportsRoot: '../..' }));
    await writeFile(join(work, 'claims.html'), renderClaimsPage(claimsMatrix(), { reportsRoot: '../..' }));
    await writeFile(join(work, 'campaign.html'), renderCampaignPage(campaignResults(), { reportsRoot: '../../..' }));
    context = await launchBrowser(profile, { width: 1280, height: 1000 });
    await context.route('**/*', (route) =>
      route.request().url().startsWith('file:') ? route.continue() : route.abort(),
    );
  });

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('compare.html draws a dot per run, the means with intervals, and the paired difference', async () => {
    const page = await open(join(work, 'compare.html'));
    expect(await page.locator('svg.compare-chart circle.run-dot').count()).toBe(10);
    expect(await page.locator('svg.compare-chart line.mean').count()).toBe(2);
    expect(await page.locator('svg.compare-chart line.whisker').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('svg.compare-chart polyline.pair').count()).toBe(5);
    const async = page.locator('table.figures tr[data-cluster="single-leader-async"]');
    expect(await async.textContent()).toMatch(/86 \/ 2000/);
    expect(await page.locator('table.differences').textContent()).toMatch(
      /single-leader-async − single-leader-sync.*yes/,
    );
    expect(await page.locator('#verdict .word').textContent()).toBe('UNKNOWN');
    expect(await page.locator('#runs').textContent()).toContain(`node said ${HOSTILE}`);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await page.screenshot({ path: screenshotPath('compare-synthetic'), fullPage: true });
    await page.close();
  });

  it('claims.html shows each cell with its status, figure and run, hostile text as text', async () => {
    const page = await open(join(work, 'claims.html'));
    const cells = page.locator('tr.preset td.cell');
    expect(await cells.count()).toBe(2);
    expect(await cells.nth(0).getAttribute('data-status')).toBe('held');
    expect(await cells.nth(1).getAttribute('data-status')).toBe('violated');
    expect(await cells.nth(1).locator('.figure').textContent()).toBe(`1 lost; node said ${HOSTILE}`);
    expect(await cells.nth(1).locator('a').getAttribute('href')).toBe('../../a/c/report.html');
    expect(await page.evaluate('document.querySelectorAll("img").length')).toBe(0);
    await page.screenshot({ path: screenshotPath('claims-synthetic'), fullPage: true });
    await page.close();
  });

  it('campaign.html lists the failing runs with replay commands first, then the matrix', async () => {
    const page = await open(join(work, 'campaign.html'));
    expect(await page.locator('#verdict .word').textContent()).toBe('FAIL');
    expect(await page.locator('#failing tr.failing').count()).toBe(2);
    expect(await page.locator('#failing').textContent()).toContain(`3 lost ${HOSTILE}`);
    expect(await page.locator('#failing pre.replay').first().textContent()).toBe('npx faultline run --seed 103');
    expect(await page.locator('table.matrix tr.test').count()).toBe(2);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    const junit = renderCampaignJunit(campaignResults());
    const parsed = await page.evaluate(`(() => {
      const doc = new DOMParser().parseFromString(${JSON.stringify(junit)}, 'application/xml');
      return {
        errors: doc.getElementsByTagName('parsererror').length,
        suites: doc.getElementsByTagName('testsuite').length,
        testcases: doc.getElementsByTagName('testcase').length,
        failures: doc.getElementsByTagName('failure').length,
        errorsCases: doc.getElementsByTagName('error').length,
        skipped: doc.getElementsByTagName('skipped').length,
      };
    })()`);
    // 5 runs × 2 claims + 1 run that could not run.
    expect(parsed).toEqual({ errors: 0, suites: 2, testcases: 11, failures: 1, errorsCases: 1, skipped: 5 });
    await page.close();
  });

  it('the morning view over thousands of runs: regression first, filters by cluster, nemesis and verdict', async () => {
    const root = join(work, 'reports');
    const regress = testName(4);
    await generateReportsFolder(root, { tests: 60, nights: 40, regress });
    await writeRunsIndex(root);
    const page = await open(join(root, 'index.html'));
    expect(await page.locator('#regressions li.regression').count()).toBe(1);
    expect(await page.locator('#regressions').textContent()).toContain(regress);
    expect(await page.locator('tr.test').first().getAttribute('data-name')).toBe(regress);
    const visible = () => page.locator('tr.test:not(.hidden)').count();
    expect(await visible()).toBe(60);
    await page.selectOption('select[name="cluster"]', 'single-leader-async');
    expect(await visible()).toBe(15);
    expect(await page.locator('#shown').textContent()).toBe('15 of 60 tests shown');
    await page.selectOption('select[name="nemesis"]', 'partition-halves');
    const both = await visible();
    expect(both).toBeGreaterThan(0);
    expect(both).toBeLessThan(15);
    for (const row of await page.locator('tr.test:not(.hidden)').all()) {
      expect(await row.getAttribute('data-cluster')).toBe('single-leader-async');
      expect(await row.getAttribute('data-nemesis')).toBe('partition-halves');
    }
    expect(page.url()).toContain('#cluster=single-leader-async&nemesis=partition-halves');
    await page.selectOption('select[name="cluster"]', '');
    await page.selectOption('select[name="nemesis"]', '');
    await page.selectOption('select[name="verdict"]', 'regression');
    expect(await visible()).toBe(1);
    await page.selectOption('select[name="verdict"]', '');
    await page.screenshot({ path: screenshotPath('runs-index-3000-runs') });
    await page.close();
  }, 120_000);

  it('raised no console error, ran no dialog and made no network request', () => {
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
  });
});
