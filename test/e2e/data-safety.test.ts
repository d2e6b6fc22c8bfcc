import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatHistoryLine, HISTORY_FORMAT_VERSION } from '../../src/history/jsonl.ts';
import { resolveRunConfig } from '../../src/run/resolve.ts';
import { expectNothingLeft, faultline, startRun, tempReports } from './helpers.ts';

/**
 * Data safety through the real CLI: malformed histories are refused with
 * their file and line (exit 3, no stack trace), files faultline did not
 * write are never replaced, untrusted names never reach the terminal raw,
 * and a double Ctrl-C never leaves a half-written result.
 */

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at /);

/** A stored run folder at `dir` holding a small register history whose header names the test `test`. */
const storedRun = async (dir: string, test: string) => {
  mkdirSync(dir, { recursive: true });
  const config = await resolveRunConfig({ seed: 3, nemesis: 'none', reportsDir: dir });
  const header = {
    faultline: 'history' as const,
    version: HISTORY_FORMAT_VERSION,
    runId: 'r1',
    test,
    seed: 3,
    startedAt: new Date(0).toISOString(),
    nodes: config.nodes,
    config: { ...config, test },
  };
  const ops = [
    { index: 0, time: 0, type: 'invoke', process: 0, f: 'write', key: 'k0', value: 1 },
    { index: 1, time: 1e6, type: 'ok', process: 0, f: 'write', key: 'k0', value: 1 },
    { index: 2, time: 2e6, type: 'invoke', process: 1, f: 'read', key: 'k0', value: null },
    { index: 3, time: 3e6, type: 'ok', process: 1, f: 'read', key: 'k0', value: 1 },
  ] as const;
  writeFileSync(join(dir, 'history.jsonl'), [header, ...ops].map((o) => formatHistoryLine(o as never)).join(''));
};

describe('malformed histories', () => {
  const cases: [string, string, RegExp][] = [
    ['empty.jsonl', '', /empty\.jsonl: the history has no client operations: there is nothing to check/],
    [
      'header-only.jsonl',
      `${JSON.stringify({ faultline: 'history', version: 1 })}\n`,
      /header-only\.jsonl: the history has no client operations/,
    ],
    [
      'orphan.jsonl',
      `${JSON.stringify({ index: 0, time: 1, type: 'ok', process: 0, f: 'write', value: 1 })}\n`,
      /orphan\.jsonl:1: op 0: an ok completion of process 0 without an invocation/,
    ],
    [
      'dupes.jsonl',
      `${JSON.stringify({ index: 0, time: 1, type: 'invoke', process: 0, f: 'write', value: 1 })}\n${JSON.stringify({ index: 0, time: 2, type: 'ok', process: 0, f: 'write', value: 1 })}\n`,
      /dupes\.jsonl:2: op index 0 appears twice/,
    ],
    [
      'deep.jsonl',
      `{"index":0,"time":0,"type":"invoke","process":0,"f":"write","value":${'['.repeat(10_000)}${']'.repeat(10_000)}}\n`,
      /deep\.jsonl:1: a value nested deeper than 200 levels/,
    ],
    [
      'deep.edn',
      `[{:type :invoke, :f :write, :process 0, :value ${'['.repeat(10_000)}${']'.repeat(10_000)}}]\n`,
      /deep\.edn:1: values nested deeper than 200 levels/,
    ],
  ];
  it('are refused with exit 3, naming the file and line, without a stack trace', async () => {
    const dir = tempReports();
    for (const [name, text, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const r = await faultline(['check', '--history', file]);
      expect(r.exitCode, name).toBe(3);
      expect(r.stderr, name).toMatch(message);
      noStackTrace(r.all ?? '');
    }
  });
});

describe('files faultline does not own', () => {
  it('`check DIR` keeps an index.html beside the run that faultline did not write', async () => {
    const home = tempReports();
    writeFileSync(join(home, 'index.html'), '<p>my own page</p>');
    const dir = join(home, 'runs', 'r1');
    await storedRun(dir, 'copied');
    const r = await faultline(['check', dir]);
    // A history without results.json is a killed run's: it is analysed, and unknown (exit 2).
    expect(r.exitCode, r.all).toBe(2);
    expect(readFileSync(join(home, 'index.html'), 'utf8')).toBe('<p>my own page</p>');
    expect(existsSync(join(dir, 'results.json'))).toBe(true);
  });

  it('a test name with terminal escapes from a stored history is printed escaped', async () => {
    const home = tempReports();
    const dir = join(home, 't', 'r1');
    await storedRun(dir, 'x\x1b[2J\x1b[32mPASS\x1b[0m');
    const r = await faultline(['check', dir]);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toContain('x\\x1b[2J\\x1b[32mPASS\\x1b[0m');
  });
});

describe('a second Ctrl-C', () => {
  it('never leaves a 0-byte or half-written results.json or report.html', async () => {
    const reports = tempReports();
    const { child, runId } = await startRun([
      '--nemesis',
      'none',
      '--time-limit',
      '5m',
      '--seed',
      '9',
      '--reports-dir',
      reports,
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    await child;
    // The test's folder: beside it are the runs index (index.html) and its data file.
    const test = readdirSync(reports, { withFileTypes: true }).find((d) => d.isDirectory())!.name;
    const dir = join(reports, test, readdirSync(join(reports, test))[0]!);
    for (const name of readdirSync(dir)) expect(name.endsWith('.tmp'), name).toBe(false);
    const results = join(dir, 'results.json');
    if (existsSync(results)) expect(() => JSON.parse(readFileSync(results, 'utf8'))).not.toThrow();
    const report = join(dir, 'report.html');
    if (existsSync(report)) expect(readFileSync(report, 'utf8').trimEnd()).toMatch(/<\/html>$/);
    await faultline(['cleanup', '--run-id', runId, '--force']);
    await expectNothingLeft(runId);
  });
});
