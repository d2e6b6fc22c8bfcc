import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CampaignResults } from '../../src/report/job-results.ts';
import { expectNothingLeft, faultline, tempReports } from '../e2e/helpers.ts';

/**
 * A campaign of 6 runs, once whole and once as 2 shards on "two machines"
 * (two reports folders), merged: the same runs, seeds and verdicts. One
 * cluster (a user's preset) claims no stale reads while replicating
 * asynchronously, so its runs fail: the campaign exits 1, as `run` would.
 */
const STRICT_ASYNC = `name: strict-async
description: Async replication (followers a second behind) that wrongly claims no stale reads.
system: replica
nodes: 3
options:
  topology: single-leader
  replication: async
  replicationDelayMs: 1000
  reads: any
claims:
  staleReads: none
  convergence: true
`;

const CAMPAIGN = `name: nightly
seed: 11
timeLimit: 3s
quiesce: 1s
rate: 200
runs: 3
clusters: [single-leader-sync, ./strict-async.yaml]
workloads: [register]
nemeses: [none]
`;

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as CampaignResults;
/** What must agree between a sharded and an unsharded campaign. */
const essence = (c: CampaignResults) =>
  c.runs.map((r) => ({
    index: r.index,
    test: r.test,
    seed: r.seed,
    status: r.status,
    valid: r.valid,
    claims: r.claims.map((x) => [x.name, x.held]),
  }));

describe('faultline campaign', () => {
  it('2 shards merged give the same results as the unsharded campaign', async () => {
    const work = tempReports();
    await mkdir(work, { recursive: true });
    await writeFile(join(work, 'strict-async.yaml'), STRICT_ASYNC);
    await writeFile(join(work, 'nightly.yaml'), CAMPAIGN);
    const whole = join(work, 'whole');
    const [machine1, machine2] = [join(work, 'm1'), join(work, 'm2')];
    const campaign = (...args: string[]) => faultline(['campaign', join(work, 'nightly.yaml'), ...args]);
    // Three invocations side by side, as three CI jobs would run.
    const [all, s1, s2] = await Promise.all([
      campaign('--reports-dir', whole, '--id', 'n1'),
      campaign('--reports-dir', machine1, '--shard', '1/2', '--id', 'n1'),
      campaign('--reports-dir', machine2, '--shard', '2/2', '--id', 'n1'),
    ]);
    for (const r of [all, s1, s2]) {
      expect(r.exitCode, r.all).toBe(1);
      expect(r.all).toMatch(
        /replay with:\n {2}npx faultline run --cluster \S*strict-async(\.yaml)? --workload register/,
      );
    }
    expect(s1.all).toMatch(/3 of 6 runs, shard 1\/2, seed 11/);
    expect(s1.all).toContain('shard-1-of-2.json');

    const merged = join(work, 'merged');
    const m = await faultline(['campaign', 'merge', machine1, machine2, '--reports-dir', merged]);
    expect(m.exitCode, m.all).toBe(1);
    const unsharded = read(join(whole, 'campaigns', 'nightly', 'n1', 'campaign.json'));
    const joined = read(join(merged, 'campaigns', 'nightly', 'n1', 'campaign.json'));
    expect(unsharded.runs).toHaveLength(6);
    expect(essence(joined)).toEqual(essence(unsharded));
    expect(joined.tests).toEqual(unsharded.tests);
    expect(joined).toMatchObject({ shards: 2, matrixHash: unsharded.matrixHash, valid: false, exitCode: 1 });
    expect(unsharded.tests.map((t) => [t.test, t.pass, t.fail])).toEqual([
      ['single-leader-sync-register-none', 3, 0],
      ['strict-async-register-none', 0, 3],
    ]);
    // Seeds: paired across clusters, different per repetition.
    const seeds = (test: string) => unsharded.runs.filter((r) => r.test === test).map((r) => r.seed);
    expect(seeds('strict-async-register-none')).toEqual(seeds('single-leader-sync-register-none'));
    expect(new Set(seeds('strict-async-register-none')).size).toBe(3);

    // The merged folder is whole: its runs were copied over, with their reports; one JUnit file.
    for (const r of joined.runs) {
      expect(readFileSync(join(merged, r.dir!, 'results.json'), 'utf8')).toContain(r.runId!);
      await expectNothingLeft(r.runId!);
    }
    const junit = readFileSync(join(merged, 'campaigns', 'nightly', 'n1', 'junit.xml'), 'utf8');
    // A test case per run × claim; the three strict-async runs fail their staleReads claim.
    expect(junit.match(/<testcase /g)).toHaveLength(joined.runs.reduce((n, r) => n + r.claims.length, 0));
    expect(junit.match(/<failure /g)).toHaveLength(3);
    expect(readFileSync(join(merged, 'campaigns', 'nightly', 'n1', 'campaign.html'), 'utf8')).toContain('merged from');
    expect(readFileSync(join(merged, 'index.html'), 'utf8')).toContain('strict-async-register-none');
  }, 900_000);
});
