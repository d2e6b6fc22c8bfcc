import { describe, expect, it } from 'vitest';
import { findLeftovers } from '../../../src/cluster/registry.ts';
import { expectNothingLeft, faultline, readResults, runDirIn, tempReports } from '../../e2e/helpers.ts';
import { binaryMissing, skipWithout } from '../../support/environment.ts';
import { faultsIn, killMidRun } from '../runs.ts';

const missing = binaryMissing('redis-server', 'redis-server') ?? binaryMissing('redis-sentinel', 'redis-sentinel');

const run = async (cluster: string, workload: string, nemesis: string, seed: number) => {
  const reports = tempReports();
  const r = await faultline([
    'run',
    ...['--cluster', cluster, '--workload', workload, '--nemesis', nemesis],
    // A shorter quiesce than the preset's 15 s still leaves Sentinel its 8 s to demote the old primary.
    ...['--time-limit', '9s', '--quiesce', '12s', '--seed', String(seed), '--reports-dir', reports],
  ]);
  const dir = runDirIn(reports, `${cluster}-${workload}-${nemesis}`);
  return { r, dir, results: readResults(dir) };
};

const claim = (results: ReturnType<typeof readResults>, name: string) => results.claims.find((c) => c.name === name);

describe.skipIf(skipWithout('redis with sentinel', missing))(
  'faultline run --cluster redis-sentinel (local backend)',
  () => {
    for (const cluster of ['redis-sentinel', 'redis-sentinel-wait']) {
      it(`${cluster}: set under leader-kill, losses reported as allowed, nodes converge after Sentinel demotes the old primary`, async () => {
        const { r, dir, results } = await run(cluster, 'set', 'leader-kill', 21);
        expect(r.exitCode, r.all).toBe(0);
        expect(faultsIn(dir, 'start-kill')).toBeGreaterThanOrEqual(1);
        expect(claim(results, 'lostWrites')).toMatchObject({
          held: true,
          detail: expect.stringMatching(/acknowledged writes lost \(allowed by this topology\)$/),
        });
        expect(claim(results, 'convergence')).toMatchObject({ held: true });
        await expectNothingLeft(results.runId);
      }, 120_000);
    }

    it('a SIGKILLed controller leaves both processes of every node, which `faultline cleanup` finds and removes', async () => {
      const runId = await killMidRun(['--cluster', 'redis-sentinel', '--workload', 'set', '--nemesis', 'none']);
      const left = await findLeftovers(runId);
      expect(left.filter((l) => l.kind === 'process').length).toBe(6); // redis-server + redis-sentinel, three nodes
      const cleanup = await faultline(['cleanup', '--run-id', runId]);
      expect(cleanup.exitCode, cleanup.all).toBe(0);
      await expectNothingLeft(runId);
    }, 90_000);
  },
);
