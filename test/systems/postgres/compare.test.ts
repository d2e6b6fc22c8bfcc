import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonlHistory } from '../../../src/history/jsonl.ts';
import { expectNothingLeft, faultline, readResults, runDirIn, tempReports } from '../../e2e/helpers.ts';
import { skipWithout } from '../../support/environment.ts';
import { postgresMissing } from './cluster.ts';

/**
 * Done means (issue 8): sync and async PostgreSQL under the same seeds, so
 * the same faults, with faultline as the failover operator. Each run as a
 * user would: the CLI, the presets, the claims — and nothing left behind.
 * The two presets of a seed run side by side to keep the suite short.
 */
const run = async (cluster: string, nemesis: string, seed: number) => {
  const reports = tempReports();
  const r = await faultline(
    ['run', '--cluster', cluster, '--workload', 'set', '--nemesis', nemesis, '--seed', String(seed)].concat([
      '--time-limit',
      '12s',
      '--reports-dir',
      reports,
    ]),
  );
  const dir = runDirIn(reports, `${cluster}-set-${nemesis}`);
  const results = readResults(dir);
  await expectNothingLeft(results.runId);
  const set = results.checkers.set as unknown as { lost: number; acked: number };
  const { ops } = parseJsonlHistory(readFileSync(join(dir, 'history.jsonl'), 'utf8'));
  const nemesisOps = ops.filter((o) => o.process === 'nemesis').map((o) => o.f);
  // For a failure message: what the operator did, and what each node's last read saw.
  const events = ops
    .filter((o) => o.process === 'nemesis' && o.type === 'info')
    .map((o) => `${o.f} ${JSON.stringify(o.value)}`);
  const lastReads: Record<string, number> = {};
  for (const o of ops)
    if (o.f === 'read' && o.type === 'ok' && Array.isArray(o.value)) lastReads[o.node ?? '?'] = o.value.length;
  const output = `${r.all}\nnemesis:\n  ${events.join('\n  ')}\nelements in each node's last read: ${JSON.stringify(lastReads)}`;
  return { exitCode: r.exitCode, output, results, set, nemesisOps };
};

const pair = (nemesis: string, seed: number) =>
  Promise.all([run('postgres-sync', nemesis, seed), run('postgres-async', nemesis, seed)]);

describe.skipIf(skipWithout('postgresql', postgresMissing()))('sync vs async PostgreSQL, same seeds', () => {
  it('isolate-leader: the cut-off async primary acknowledges commits its standbys never get, lost at failover; sync loses none', async () => {
    const lostAsync: number[] = [];
    for (const seed of [1, 2]) {
      const [sync, async] = await pair('isolate-leader', seed);
      for (const r of [sync, async]) {
        expect(r.exitCode, r.output).toBe(0); // each keeps its own claims
        expect(r.set.acked).toBeGreaterThan(100);
        expect(r.nemesisOps).toEqual(
          expect.arrayContaining(['fence', 'choose', 'sync-standbys', 'promote', 'repoint']),
        );
        // The operator fenced before promoting: one primary acknowledging at a time, measured by timeline.
        expect(r.results.claims.find((c) => c.name === 'splitBrain')).toMatchObject({ expected: 'none', held: true });
        expect(r.results.claims.find((c) => c.name === 'fencing')).toMatchObject({ expected: true, held: true });
      }
      expect(sync.set.lost).toBe(0);
      expect(sync.results.claims.find((c) => c.name === 'lostWrites')).toMatchObject({ expected: 'none', held: true });
      expect(async.results.claims.find((c) => c.name === 'lostWrites')).toMatchObject({
        expected: 'allowed',
        held: true,
      });
      lostAsync.push(async.set.lost);
    }
    expect(
      lostAsync.some((n) => n > 0),
      `async lost ${lostAsync.join(', ')}`,
    ).toBe(true);
  }, 600_000);

  it('leader-kill: the killed primary is replaced and rejoins as a standby; sync loses no acknowledged commit', async () => {
    const [sync, async] = await pair('leader-kill', 1);
    for (const r of [sync, async]) {
      expect(r.exitCode, r.output).toBe(0);
      expect(r.nemesisOps).toEqual(expect.arrayContaining(['start-kill', 'fence', 'promote', 'repoint', 'stop-kill']));
      expect(r.results.claims.find((c) => c.name === 'convergence')).toMatchObject({ held: true });
    }
    expect(sync.set.lost).toBe(0);
    expect(sync.results.claims.find((c) => c.name === 'lostWrites')).toMatchObject({ expected: 'none', held: true });
  }, 600_000);
});
