import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/base/ts-node.ts';
import { parseClaimsMarkdown } from '../../src/report/claims-markdown.ts';
import type { ClaimsMatrix } from '../../src/report/job-results.ts';
import { listPresets } from '../../src/run/presets.ts';
import { resolveRunConfig } from '../../src/run/resolve.ts';
import { faultline, tempReports } from '../e2e/helpers.ts';
import { haveChromium } from '../fixtures/browser.ts';
import { withPage } from '../fixtures/open-page.ts';
import { screenshotPath } from '../fixtures/screenshots.ts';

/**
 * `faultline claims` over every replica preset, with short runs, reproduces
 * the table docs/topologies.md includes: every cell's status (held,
 * allowed, ...) is the same; the figures are one run's measurements and are
 * not compared. Three runs at a time (each mostly waits on its nodes; with
 * four beside the suite's other forks a starved cluster once acknowledged
 * no write in its 5 s, leaving a claim with nothing to vouch for).
 */
describe('faultline claims', () => {
  it('over every replica preset reproduces the claims table in docs/topologies.md', async () => {
    const reports = tempReports();
    const r = await faultline([
      'claims',
      '--system',
      'replica',
      '--seeds',
      '1',
      '--time-limit',
      '5s',
      '--quiesce',
      '1s',
      '--parallel',
      '3',
      '--reports-dir',
      reports,
    ]);
    expect(r.exitCode, r.all).toBe(0);
    const [id] = readdirSync(join(reports, 'claims'));
    const dir = join(reports, 'claims', id!);
    const matrix = JSON.parse(readFileSync(join(dir, 'claims.json'), 'utf8')) as ClaimsMatrix;

    const replicaPresets: string[] = [];
    for (const name of listPresets('cluster')) {
      const config = await resolveRunConfig({ cluster: name, nemesis: 'none', seed: 0 });
      if (config.cluster.system === 'replica') replicaPresets.push(config.cluster.name);
    }
    expect(matrix.rows.map((row) => row.cluster).sort()).toEqual(replicaPresets.sort());
    // Every claim a preset declares was judged by some run.
    for (const row of matrix.rows)
      for (const cell of row.cells)
        if (cell.status !== 'not-claimed') expect(cell.status, `${row.cluster} ${cell.claim}`).not.toBe('untested');

    const measured = parseClaimsMarkdown(readFileSync(join(dir, 'claims.md'), 'utf8'));
    const documented = parseClaimsMarkdown(readFileSync(packagePath('docs/topologies.md'), 'utf8'));
    expect(measured).toEqual(documented);

    if (!haveChromium) return;
    await withPage(
      join(dir, 'claims.html'),
      join(reports, '.profile'),
      async (page, problems) => {
        expect(await page.locator('tr.preset').count()).toBe(replicaPresets.length);
        expect(await page.locator('td.cell[data-status="held"]').count()).toBeGreaterThan(10);
        await page.screenshot({ path: screenshotPath('claims-replica-presets'), fullPage: true });
        expect(problems).toEqual([]);
      },
      { width: 1400, height: 1000 },
    );
  }, 1_200_000);
});
