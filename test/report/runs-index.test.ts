import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listRuns, writeRunsIndex } from '../../src/report/runs-index.ts';
import { writeRunReport } from '../../src/report/write.ts';
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
    const rows = html.match(/<tr class="run">.*?<\/tr>/g) ?? [];
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
    // Written atomically: no temp file left behind.
    expect((await readdir(r)).sort()).toEqual(['README', 'index.html', 'register', 'set-async']);
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
});
