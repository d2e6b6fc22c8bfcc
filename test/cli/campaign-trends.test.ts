import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { faultline, tempReports } from '../e2e/helpers.ts';
import { haveChromium } from '../fixtures/browser.ts';
import { withPage } from '../fixtures/open-page.ts';
import { screenshotPath } from '../fixtures/screenshots.ts';

/**
 * Three nights of a campaign into one reports folder. The user's preset
 * claims it allows stale reads on nights 1 and 2 and (after a careless edit)
 * claims none on night 3: the index shows each test's trend over the three
 * campaigns and flags the claim that held before and fails now, first.
 */
const preset = (staleReads: 'allowed' | 'none') => `name: edited
system: replica
nodes: 3
options:
  topology: single-leader
  replication: async
  replicationDelayMs: 1000
  reads: any
claims:
  staleReads: ${staleReads}
  convergence: true
`;

const CAMPAIGN = `name: nightly
timeLimit: 3s
quiesce: 1s
rate: 200
clusters: [./edited.yaml, single-leader-sync]
workloads: [register]
nemeses: [none]
`;

describe('nightly campaigns in the index', () => {
  it('show trends over 3 campaigns and flag a claim that starts failing', async () => {
    const work = tempReports();
    const reports = join(work, 'reports');
    await writeFile(join(work, 'nightly.yaml'), CAMPAIGN);
    for (const [night, claim] of [
      [1, 'allowed'],
      [2, 'allowed'],
      [3, 'none'],
    ] as const) {
      await writeFile(join(work, 'edited.yaml'), preset(claim));
      const r = await faultline([
        'campaign',
        join(work, 'nightly.yaml'),
        '--seed',
        String(night),
        '--id',
        `night${night}`,
        '--reports-dir',
        reports,
      ]);
      expect(r.exitCode, r.all).toBe(night === 3 ? 1 : 0);
    }
    const html = readFileSync(join(reports, 'index.html'), 'utf8');
    const box = html.slice(
      html.indexOf('id="regressions"'),
      html.indexOf('</section>', html.indexOf('id="regressions"')),
    );
    expect(box).toContain('Held before, failing now (1)');
    expect(box).toContain('data-test="edited-register-none" data-claim="staleReads"');
    expect(box).toContain('held at campaign nightly/night2');
    expect(box).toContain('fails at campaign nightly/night3');
    const rows = html.match(/<tr class="test"[^>]*>[\s\S]*?<\/tr>/g) ?? [];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('data-name="edited-register-none"');
    // One point per night: three verdict squares, linking to each night's run.
    expect(rows[0]!.match(/<rect class="(pass|fail)"/g)).toEqual([
      '<rect class="pass"',
      '<rect class="pass"',
      '<rect class="fail"',
    ]);
    expect(rows[1]!.match(/<rect class="pass"/g)).toHaveLength(3);
    // Stale reads and throughput trend lines have a dot per night.
    expect(rows[0]!.match(/<circle class="dot"/g)!.length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('href="campaigns/nightly/night3/campaign.html"');

    if (!haveChromium) return;
    await withPage(join(reports, 'index.html'), join(work, 'profile'), async (page, problems) => {
      expect(await page.locator('#regressions').isVisible()).toBe(true);
      await page.selectOption('select[name="verdict"]', 'regression');
      expect(await page.locator('tr.test:not(.hidden)').count()).toBe(1);
      await page.selectOption('select[name="verdict"]', '');
      await page.screenshot({ path: screenshotPath('runs-index-three-nights'), fullPage: true });
      expect(problems).toEqual([]);
    });
  }, 900_000);
});
