import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RECENT_RUNS } from '../../src/report/index-page.ts';
import { INDEX_CACHE, listRuns, writeRunsIndex } from '../../src/report/runs-index.ts';
import { writeRunReport } from '../../src/report/write.ts';
import { generateReportsFolder, testName } from '../fixtures/reports-folder.ts';
import { generateSetRun, HOSTILE, resultsFor } from '../fixtures/set-run.ts';

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

const makeRoot = async () => {
  root = await mkdtemp(join(tmpdir(), 'faultline-runs-index-'));
  return root;
};

const writeRun = async (dir: string, results: unknown, report = true) => {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.json'), JSON.stringify(results));
  if (report) await writeFile(join(dir, 'report.html'), '<!DOCTYPE html>');
};

const recentRows = (html: string) =>
  (html.slice(html.indexOf('id="recent"')).match(/<tr class="run"[^>]*>[\s\S]*?<\/tr>/g) ?? []) as string[];
const testRows = (html: string) => (html.match(/<tr class="test"[^>]*>[\s\S]*?<\/tr>/g) ?? []) as string[];

describe('runs index', () => {
  it('lists every finished run newest first and skips folders without valid results', async () => {
    const r = await makeRoot();
    const history = generateSetRun();
    await writeRun(
      join(r, 'set-async', '2024-01-02T10-00-00'),
      resultsFor(history, { startedAt: '2024-01-02T10:00:00.000Z', test: 'set-async', seed: 42 }),
    );
    await writeRun(
      join(r, 'set-async', '2024-01-01T10-00-00'),
      resultsFor(history, { startedAt: '2024-01-01T10:00:00.000Z', test: 'set-async', valid: true }),
    );
    await writeRun(
      join(r, 'register', '2024-01-03T10-00-00'),
      resultsFor(history, {
        startedAt: '2024-01-03T10:00:00.000Z',
        test: `register${HOSTILE}`,
        valid: 'unknown',
        checkers: {},
      }),
      false,
    );
    // Broken or unfinished runs: no results.json, invalid JSON, no verdict, an array, a stray file.
    await mkdir(join(r, 'set-async', 'still-running'), { recursive: true });
    await writeFile(join(r, 'set-async', 'still-running', 'history.jsonl'), '{}\n');
    await mkdir(join(r, 'set-async', 'torn'), { recursive: true });
    await writeFile(join(r, 'set-async', 'torn', 'results.json'), '{"valid": tr');
    await writeRun(join(r, 'set-async', 'no-verdict'), { test: 'x' });
    await writeRun(join(r, 'set-async', 'array'), [1, 2]);
    await writeFile(join(r, 'set-async', 'notes.txt'), 'stray');
    await writeFile(join(r, 'README'), 'stray');

    await writeRunsIndex(r);
    const html = await readFile(join(r, 'index.html'), 'utf8');
    const rows = recentRows(html);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('2024-01-03T10:00:00.000Z');
    expect(rows[0]).toContain('UNKNOWN');
    expect(rows[0]).toContain('no report yet');
    expect(rows[1]).toContain('<a href="set-async/2024-01-02T10-00-00/report.html">report</a>');
    expect(rows[1]).toMatch(/FAIL.*<td class="num">1 \/ \d+<\/td>/);
    expect(rows[1]).toContain('>42<');
    expect(rows[2]).toContain('PASS');
    expect(html).toContain('3 runs: 1 pass, 1 fail, 1 unknown');
    expect(html).not.toContain('<img');
    expect(html).toContain('register&lt;/script&gt;');
    // One row per test, the failing one first, each with its verdict trend.
    const tests = testRows(html);
    expect(tests).toHaveLength(2);
    expect(tests[0]).toContain('data-verdict="fail"');
    expect(tests[0]).toMatch(
      /<svg class="spark verdicts"[^>]*>(<a [^>]*><rect class="(pass|fail)"[^>]*>[\s\S]*?<\/a>){2}<\/svg>/,
    );
    // Written atomically: no temp file left behind; the cache and the tests' pages sit beside the runs,
    // and a test's folder holds nothing but its runs.
    expect((await readdir(r)).sort()).toEqual([INDEX_CACHE, 'README', 'index.html', 'register', 'set-async', 'tests']);
    expect((await readdir(join(r, 'tests'))).sort()).toEqual(['register.html', 'set-async.html']);
    expect(await readFile(join(r, 'tests', 'set-async.html'), 'utf8')).toContain('2024-01-01T10:00:00.000Z');
    expect((await readdir(join(r, 'set-async'))).filter((f) => !f.includes('T10-00-00'))).toEqual([
      'array',
      'no-verdict',
      'notes.txt',
      'still-running',
      'torn',
    ]);
  });

  it('writes an index for an empty or missing reports root', async () => {
    const r = await makeRoot();
    await writeRunsIndex(r);
    expect(await readFile(join(r, 'index.html'), 'utf8')).toContain('No finished runs yet');
    expect(await listRuns(join(r, 'does-not-exist'))).toEqual([]);
  });

  it('lists a run written by writeRunReport with a link to its report', async () => {
    const r = await makeRoot();
    const dir = join(r, 'set', '2024-05-05T00-00-00');
    await mkdir(dir, { recursive: true });
    const history = generateSetRun();
    const results = resultsFor(history);
    await writeFile(join(dir, 'results.json'), JSON.stringify(results));
    const written = await writeRunReport(dir, { results, history, config: {}, logs: {} });
    expect(written).toEqual({ html: join(dir, 'report.html'), junit: join(dir, 'junit.xml') });
    expect(await readFile(written.junit, 'utf8')).toContain('<testsuite ');
    const runs = await listRuns(r);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ test: results.test, hasReport: true, lost: 1, valid: false });
  });

  it('flags a claim that held before and fails now, first; a claim that never held is not flagged', async () => {
    const r = await makeRoot();
    const regress = testName(4); // a single-leader-sync test: lostWrites none
    const always = testName(2);
    await generateReportsFolder(r, { tests: 6, nights: 4, regress, alwaysFailing: [always] });
    await writeRunsIndex(r);
    const html = await readFile(join(r, 'index.html'), 'utf8');
    const box = html.slice(
      html.indexOf('id="regressions"'),
      html.indexOf('</section>', html.indexOf('id="regressions"')),
    );
    expect(box).toContain('Held before, failing now (1)');
    expect(box).toContain(`data-test="${regress}" data-claim="lostWrites"`);
    expect(box).toContain('held at campaign nightly/20260103');
    expect(box).toContain('fails at campaign nightly/20260104');
    expect(box).not.toContain(always);
    const tests = testRows(html);
    expect(tests[0]).toContain(`data-name="${regress}"`);
    expect(tests[0]).toContain('data-regression="true"');
    expect(tests[1]).toContain(`data-name="${always}"`);
    expect(tests[1]).toContain('data-regression="false"');
    // Four nights, four points per trend.
    expect(tests[0]!.match(/<rect /g)).toHaveLength(4);
    expect(tests[0]!.match(/class="(pass|fail)"/g)!.map((m) => m.slice(7, -1))).toEqual([
      'pass',
      'pass',
      'pass',
      'fail',
    ]);
    expect(html).toContain('href="campaigns/nightly/20260104/campaign.html"');
  });

  it('handles thousands of runs: one row per test, the latest runs, a page per test, and a cache that sees changes', async () => {
    const r = await makeRoot();
    const { runs } = await generateReportsFolder(r, { tests: 60, nights: 50 });
    expect(runs).toBe(3000);
    await writeRunsIndex(r);
    const html = await readFile(join(r, 'index.html'), 'utf8');
    expect(html).toContain('3000 runs:');
    expect(testRows(html)).toHaveLength(60);
    expect(recentRows(html)).toHaveLength(RECENT_RUNS);
    expect(html).toContain(`The latest ${RECENT_RUNS} of 3000 runs`);
    // Trends keep the last 30 nights.
    expect(testRows(html)[0]!.match(/<rect /g)).toHaveLength(30);
    expect(html.length).toBeLessThan(3_000_000);
    const page = await readFile(join(r, 'tests', `${testName(7)}.html`), 'utf8');
    expect(page.match(/<tr class="run"/g)).toHaveLength(50);

    // The cache: a changed results.json is read again, an unchanged one is not.
    const cache = JSON.parse(await readFile(join(r, INDEX_CACHE), 'utf8')) as { runs: Record<string, unknown> };
    expect(Object.keys(cache.runs)).toHaveLength(3000);
    const latest = (await listRuns(r))[0]!;
    const file = join(r, latest.dir, 'results.json');
    const changed = { ...JSON.parse(await readFile(file, 'utf8')), valid: 'unknown', test: 'changed-name' };
    await writeFile(file, JSON.stringify(changed));
    await writeRunsIndex(r);
    expect(await readFile(join(r, 'index.html'), 'utf8')).toContain('changed-name');
  }, 120_000);
});
