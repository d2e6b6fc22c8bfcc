import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLive } from '../../../src/cluster/process-tree.ts';
import { findLeftovers } from '../../../src/cluster/registry.ts';
import { parseJsonlHistory } from '../../../src/history/jsonl.ts';
import { expectNothingLeft, faultline, readResults, runDirIn, startRun, tempReports } from '../../e2e/helpers.ts';
import { skipWithout } from '../../support/environment.ts';
import { postgresMissing } from './cluster.ts';

const TEST = 'postgres-async-set-leader-kill';

/** A long postgres run in the background, once it has recorded some operations. */
const startLongRun = async (reports: string) => {
  const { child, runId } = await startRun([
    ...['--cluster', 'postgres-async', '--workload', 'set', '--nemesis', 'leader-kill'],
    ...['--time-limit', '5m', '--seed', '3', '--reports-dir', reports],
  ]);
  const dir = runDirIn(reports, TEST);
  for (let i = 0; i < 200; i++) {
    const file = join(dir, 'history.jsonl');
    if (existsSync(file) && parseJsonlHistory(readFileSync(file, 'utf8')).ops.length >= 40) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, runId, dir };
};

describe.skipIf(skipWithout('postgresql', postgresMissing()))('a postgres run leaves nothing behind', () => {
  it('Ctrl-C: the run stops, every server and its children are gone, and the report says interrupted', async () => {
    const reports = tempReports();
    const { child, runId, dir } = await startLongRun(reports);
    const pids = (await findLeftovers(runId)).filter((l) => l.kind === 'process').map((l) => Number(l.id));
    expect(pids.length).toBeGreaterThan(3 * 4); // three postmasters and their children
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.all).toBe(2);
    expect(readResults(dir).interrupted).toBe(true);
    expect(pids.filter(isLive)).toEqual([]);
    await expectNothingLeft(runId);
  }, 180_000);

  it('SIGKILL of the controller: `faultline cleanup` finds the servers and their children, and removes them all', async () => {
    const reports = tempReports();
    const { child, runId } = await startLongRun(reports);
    child.kill('SIGKILL');
    await child;
    const left = await findLeftovers(runId);
    const pids = left.filter((l) => l.kind === 'process').map((l) => Number(l.id));
    const segments = left.filter((l) => l.kind === 'shared memory').map((l) => l.id);
    expect(segments.length).toBeGreaterThanOrEqual(3); // each postmaster's interlock segment
    const postmasters = left.filter((l) => l.kind === 'process' && !l.description.includes('(child of'));
    expect(postmasters.filter((l) => l.description.includes('bin/postgres -D')).length).toBe(3);
    expect(left.some((l) => /\(child of \d+\)/.test(l.description))).toBe(true);
    expect(left.some((l) => l.kind === 'temp dir')).toBe(true); // the data dirs live there

    const cleanup = await faultline(['cleanup']);
    expect(cleanup.exitCode, cleanup.all).toBe(0);
    expect(cleanup.stdout).toContain(runId);
    expect(pids.filter(isLive)).toEqual([]);
    const shm = readFileSync('/proc/sysvipc/shm', 'utf8');
    expect(segments.filter((id) => new RegExp(`^\\s*\\S+\\s+${id}\\s`, 'm').test(shm))).toEqual([]);
    await expectNothingLeft(runId);
  }, 180_000);
});
