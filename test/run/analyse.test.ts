import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHistoryLine, HISTORY_FORMAT_VERSION } from '../../src/history/jsonl.ts';
import type { Op, OpDraft } from '../../src/history/op.ts';
import { analyseRun, checkRunDir } from '../../src/run/analyse.ts';
import { resolveRunConfig } from '../../src/run/resolve.ts';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

// Served by n1 in term 1, as the replica's leader reports it: split-brain and fencing need who acknowledged a write.
const build = (drafts: OpDraft[]): Op[] =>
  drafts.map((d, i) => ({ node: 'n1', ...(d.type === 'ok' ? { term: 1 } : {}), ...d, index: i, time: i * 1_000_000 }));

// Process 0 writes 1 then 2 (both acknowledged); process 1 then reads 1: a stale read.
const staleRead = build([
  { type: 'invoke', process: 0, f: 'write', key: 'k0', value: 1 },
  { type: 'ok', process: 0, f: 'write', key: 'k0', value: 1 },
  { type: 'invoke', process: 0, f: 'write', key: 'k0', value: 2 },
  { type: 'ok', process: 0, f: 'write', key: 'k0', value: 2 },
  { type: 'invoke', process: 1, f: 'read', key: 'k0', value: null },
  { type: 'ok', process: 1, f: 'read', key: 'k0', value: 1 },
]);

const setup = async () => {
  root = mkdtempSync(join(tmpdir(), 'faultline-test-'));
  const config = await resolveRunConfig({ seed: 11, reportsDir: root });
  const dir = join(root, config.test, 'run-1');
  mkdirSync(dir, { recursive: true });
  const facts = {
    config,
    runId: 'run-1',
    startedAt: new Date(0).toISOString(),
    durationMs: 10,
    interrupted: false,
    incidents: [],
  };
  return { config, dir, facts };
};

describe('analyseRun', () => {
  it('fails a sync preset on a non-linearizable register history, exit 1, and draws the failure in the report', async () => {
    const { dir, facts } = await setup();
    const { results, exitCode } = await analyseRun(dir, staleRead, facts);
    expect(exitCode).toBe(1);
    expect(results.valid).toBe(false);
    expect(results.claims[0]).toMatchObject({ name: 'linearizable', held: false });
    expect(results.replay).toContain('--seed 11');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('Where linearizability fails (key k0)');
    expect(html).toContain('class="fl-lin"');
    expect(html).not.toContain('class="fl-lin-title"'); // the run report gives the section its own heading
    expect(results.checkers.linearizable?.summary).toMatch(/^not linearizable on key k0; 3 operations/);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<failure');
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).valid).toBe(false);
  });

  it('does not vouch for stale reads when no read succeeded: unknown, exit 2', async () => {
    const { dir, facts } = await setup();
    const { results, exitCode } = await analyseRun(dir, staleRead.slice(0, 4), facts);
    expect(exitCode).toBe(2);
    expect(results.claims.find((c) => c.name === 'staleReads')).toMatchObject({
      held: 'unknown',
      detail: 'no read succeeded: nothing to vouch for',
    });
  });

  it('passes the same history when the read returns the latest write', async () => {
    const { dir, facts } = await setup();
    const fresh = staleRead.map((o, i) => (i === staleRead.length - 1 ? { ...o, value: 2 } : o));
    const { results, exitCode } = await analyseRun(dir, fresh, facts);
    expect(results.claims.filter((c) => c.held !== true && c.held !== 'untested')).toEqual([]);
    expect(exitCode).toBe(0);
    expect(results.valid).toBe(true);
  });

  it('an interrupted run cannot vouch for its claims: unknown, exit 2', async () => {
    const { dir, facts } = await setup();
    const { results, exitCode } = await analyseRun(dir, staleRead.slice(0, 4), { ...facts, interrupted: true });
    expect(results.valid).toBe('unknown');
    expect(exitCode).toBe(2);
  });

  it('re-analyses a stored run from its history header alone', async () => {
    const { config, dir } = await setup();
    const header = {
      faultline: 'history' as const,
      version: HISTORY_FORMAT_VERSION,
      runId: 'run-1',
      test: config.test,
      seed: 11,
      startedAt: new Date(0).toISOString(),
      nodes: config.nodes,
      config,
    };
    writeFileSync(join(dir, 'history.jsonl'), [header, ...staleRead].map(formatHistoryLine).join(''));
    const { results, exitCode } = await checkRunDir(dir);
    expect(exitCode).toBe(1);
    expect(results.interrupted).toBe(true); // no results.json: the run never finished
    expect(results.checkers.linearizable?.valid).toBe(false);
  });
});
