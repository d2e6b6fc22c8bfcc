import { describe, expect, it } from 'vitest';
import { findLeftovers } from '../../../src/cluster/registry.ts';
import { expectNothingLeft, faultline, readResults, runDirIn, tempReports } from '../../e2e/helpers.ts';
import { binaryMissing, skipWithout } from '../../support/environment.ts';
import { faultsIn, killMidRun } from '../runs.ts';

const missing = binaryMissing('etcd', 'etcd-server');

/** `faultline run` against etcd on the local backend: short, so the suite stays quick on two cores. */
const run = async (workload: string, nemesis: string, seed: number) => {
  const reports = tempReports();
  const r = await faultline([
    'run',
    ...['--cluster', 'etcd', '--workload', workload, '--nemesis', nemesis],
    ...['--time-limit', '9s', '--seed', String(seed), '--reports-dir', reports],
  ]);
  const dir = runDirIn(reports, `etcd-${workload}-${nemesis}`);
  return { r, dir, results: readResults(dir) };
};

const claim = (results: ReturnType<typeof readResults>, name: string) => results.claims.find((c) => c.name === name);

describe.skipIf(skipWithout('etcd', missing))('faultline run --cluster etcd (local backend)', () => {
  for (const nemesis of ['leader-kill', 'pause-leader']) {
    it(`register under ${nemesis}: linearizable`, async () => {
      const { r, dir, results } = await run('register', nemesis, 11);
      expect(r.exitCode, r.all).toBe(0);
      expect(claim(results, 'linearizable')).toMatchObject({ held: true });
      expect(faultsIn(dir, nemesis === 'leader-kill' ? 'start-kill' : 'start-pause')).toBeGreaterThanOrEqual(1);
      await expectNothingLeft(results.runId);
    }, 90_000);
  }

  it('set under leader-kill: no acknowledged write lost, every member converges', async () => {
    const { r, results } = await run('set', 'leader-kill', 12);
    expect(r.exitCode, r.all).toBe(0);
    expect(claim(results, 'lostWrites')).toMatchObject({ held: true, detail: expect.stringMatching(/^0 of \d+/) });
    expect(claim(results, 'convergence')).toMatchObject({ held: true });
  }, 90_000);

  it('a SIGKILLed controller leaves etcd members that `faultline cleanup` finds and removes', async () => {
    const runId = await killMidRun(['--cluster', 'etcd', '--workload', 'register', '--nemesis', 'none']);
    const left = await findLeftovers(runId);
    expect(left.filter((l) => l.kind === 'process').length).toBe(3);
    const cleanup = await faultline(['cleanup', '--run-id', runId]);
    expect(cleanup.exitCode, cleanup.all).toBe(0);
    await expectNothingLeft(runId);
  }, 90_000);
});
