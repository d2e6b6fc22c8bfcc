import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLeftovers } from '../../../src/cluster/registry.ts';
import { expectNothingLeft, faultline, readResults, runDirIn, tempReports } from '../../e2e/helpers.ts';
import { binaryMissing, dockerMissing, rootMissing, skipWithout } from '../../support/environment.ts';
import { faultsIn, killMidRun, seedCovering } from '../runs.ts';

const missing = binaryMissing('etcd', 'etcd-server');
/** Kill the leader, pause the leader, partition halves: one short run exercises all three. */
const FAULTS = join(import.meta.dirname, 'faults.yaml');
const TIME_LIMIT_MS = 15_000;

/** `faultline run --cluster etcd` with the three faults, as a user would run it. */
const run = async (workload: string, backend: 'local' | 'docker') => {
  const reports = tempReports();
  const seed = await seedCovering(FAULTS, TIME_LIMIT_MS);
  const r = await faultline([
    'run',
    ...['--cluster', 'etcd', '--workload', workload, '--nemesis', FAULTS, '--backend', backend],
    ...['--time-limit', `${TIME_LIMIT_MS}ms`, '--seed', String(seed), '--reports-dir', reports],
  ]);
  const dir = runDirIn(reports, `etcd-${workload}-etcd-faults`);
  const results = readResults(dir);
  // Every fault was injected. (Two members may both call themselves leader when a partition heals:
  // the cut-off one in an older term, which can no longer commit. Linearizability is the claim.)
  for (const f of ['start-kill', 'start-pause', 'start-partition'])
    expect(faultsIn(dir, f), f).toBeGreaterThanOrEqual(1);
  await expectNothingLeft(results.runId);
  return { r, results };
};

const claim = (results: ReturnType<typeof readResults>, name: string) => results.claims.find((c) => c.name === name);

describe.skipIf(skipWithout('etcd', missing))(
  'faultline run --cluster etcd under leader kill, leader pause, halves',
  () => {
    describe.skipIf(skipWithout('root (local partitions of etcd)', rootMissing()))('local backend', () => {
      it('register: linearizable, no stale reads', async () => {
        const { r, results } = await run('register', 'local');
        expect(r.exitCode, r.all).toBe(0);
        expect(claim(results, 'linearizable')).toMatchObject({ held: true, detail: 'the history is linearizable' });
        expect(claim(results, 'staleReads')).toMatchObject({ held: true });
      }, 120_000);

      it('set: no acknowledged write lost, every member converges', async () => {
        const { r, results } = await run('set', 'local');
        expect(r.exitCode, r.all).toBe(0);
        expect(claim(results, 'lostWrites')).toMatchObject({ held: true, detail: expect.stringMatching(/^0 of \d+/) });
        expect(claim(results, 'convergence')).toMatchObject({ held: true });
      }, 120_000);
    });

    describe.skipIf(skipWithout('docker', dockerMissing()))('docker backend', () => {
      it('register: linearizable', async () => {
        const { r, results } = await run('register', 'docker');
        expect(r.exitCode, r.all).toBe(0);
        expect(claim(results, 'linearizable')).toMatchObject({ held: true });
      }, 180_000);
    });

    it('a SIGKILLed controller leaves etcd members that `faultline cleanup` finds and removes', async () => {
      const runId = await killMidRun(['--cluster', 'etcd', '--workload', 'register', '--nemesis', 'none']);
      const left = await findLeftovers(runId);
      expect(left.filter((l) => l.kind === 'process').length).toBe(3);
      const cleanup = await faultline(['cleanup', '--run-id', runId]);
      expect(cleanup.exitCode, cleanup.all).toBe(0);
      await expectNothingLeft(runId);
    }, 90_000);
  },
);
