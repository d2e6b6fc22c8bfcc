import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionCheckerResult } from '../../src/checker/session.ts';
import type { SplitBrainCheckerResult } from '../../src/checker/split-brain.ts';
import type { StalenessCheckerResult } from '../../src/checker/staleness.ts';
import { expectNothingLeft, faultline, readResults, runDirIn, tempReports } from '../e2e/helpers.ts';

/**
 * The new claims on real runs of the reference replica, as a user runs
 * them (the CLI, local processes): session guarantees under follower
 * reads, a stale-read bound that a quorum holds and R = W = 1 does not,
 * split brain and fencing under unsafe failover, a bank's total.
 */
const run = async (args: string[], test: string, seed = 4) => {
  const reports = tempReports();
  const r = await faultline(['run', '--seed', String(seed), '--time-limit', '8s', '--reports-dir', reports, ...args]);
  const dir = runDirIn(reports, test);
  const results = readResults(dir);
  await expectNothingLeft(results.runId);
  const claim = (name: string) => results.claims.find((c) => c.name === name);
  return { exitCode: r.exitCode, output: r.all, results, claim, reports };
};

/** A run file whose cluster is `preset` with its claims replaced. */
const withClaims = (reports: string, preset: string, claims: Record<string, unknown>, rest: string): string => {
  const file = join(reports, `${preset}.run.yaml`);
  const base = {
    'leaderless-quorum': 'topology: leaderless, conflicts: version-vectors, r: 2, w: 2, antiEntropyMs: 500',
    'leaderless-sloppy':
      'topology: leaderless, conflicts: version-vectors, r: 1, w: 1, readRepair: false, antiEntropyMs: 1000',
    'single-leader-unsafe-failover':
      'topology: single-leader, replication: async, replicationDelayMs: 100, failover: unsafe',
  }[preset];
  writeFileSync(
    file,
    [
      'cluster:',
      `  name: ${preset}`,
      '  system: replica',
      '  nodes: 3',
      `  options: { ${base} }`,
      `  claims: ${JSON.stringify(claims)}`,
      rest,
    ].join('\n'),
  );
  return file;
};

describe('session guarantees on the replica', () => {
  it('async follower reads violate read-your-writes and monotonic reads; ryw reads keep read-your-writes', async () => {
    // Side by side: both runs mostly wait on their nodes.
    const [any, ryw] = await Promise.all([
      run(
        ['--cluster', 'single-leader-async', '--workload', 'session', '--nemesis', 'none'],
        'single-leader-async-session-none',
      ),
      // Even if a starved machine holds an election and an async write is lost, its writer's reads
      // fail (ryw-write-lost) rather than return without it: the claim holds either way.
      run(
        ['--cluster', 'single-leader-async-ryw', '--workload', 'session', '--nemesis', 'none'],
        'single-leader-async-ryw-session-none',
      ),
    ]);
    expect(any.exitCode, any.output).toBe(0); // measured, not claimed
    const session = any.results.checkers.session as SessionCheckerResult;
    expect(session.guarantees.readYourWrites.violations).toBeGreaterThan(0);
    expect(session.guarantees.monotonicReads.violations).toBeGreaterThan(0);
    expect(session.violations.find((v) => v.guarantee === 'readYourWrites')?.node).toMatch(/^n\d$/);
    expect(any.claim('readYourWrites')).toMatchObject({ expected: false, held: true });

    expect(ryw.exitCode, ryw.output).toBe(0);
    expect(ryw.claim('readYourWrites')).toMatchObject({ expected: true, held: true });
    expect((ryw.results.checkers.session as SessionCheckerResult).reads).toBeGreaterThan(100);
  }, 120_000);
});

describe('a stale-read bound', () => {
  it('R + W > N holds "at most 100 ms behind" under a partition; R = W = 1 does not', async () => {
    const bound = { staleReads: { maxMs: 100 }, convergence: true };
    const rest = 'workload: conflicts\nnemesis: partition-halves\nrate: 200';
    const quorumReports = tempReports();
    const sloppyReports = tempReports();
    const [quorum, sloppy] = await Promise.all([
      run(
        ['-c', withClaims(quorumReports, 'leaderless-quorum', bound, rest)],
        'leaderless-quorum-conflicts-partition-halves',
      ),
      run(
        ['-c', withClaims(sloppyReports, 'leaderless-sloppy', bound, rest)],
        'leaderless-sloppy-conflicts-partition-halves',
      ),
    ]);
    expect(quorum.exitCode, quorum.output).toBe(0);
    expect(quorum.claim('staleReads')).toMatchObject({
      held: true,
      bounds: [{ measure: 'max staleness (ms)', bound: 100, measured: 0, held: true }],
    });

    expect(sloppy.exitCode, sloppy.output).toBe(1);
    const claim = sloppy.claim('staleReads')!;
    expect(claim.held).toBe(false);
    expect(claim.bounds![0]!.measured).toBeGreaterThan(100);
    expect((sloppy.results.checkers.staleness as StalenessCheckerResult).staleReads).toBeGreaterThan(0);
    expect(sloppy.output).toContain('VIOLATED');
  }, 150_000);
});

describe('split brain and fencing', () => {
  it('unsafe failover acknowledges writes on two leaders at once and on a deposed one; it fails when it claims otherwise', async () => {
    const file = withClaims(
      tempReports(),
      'single-leader-unsafe-failover',
      { splitBrain: 'none', fencing: true },
      'workload: set\nnemesis: isolate-leader',
    );
    const [unsafe, safe] = await Promise.all([
      run(['-c', file], 'single-leader-unsafe-failover-set-isolate-leader'),
      run(
        ['--cluster', 'single-leader-sync', '--workload', 'set', '--nemesis', 'isolate-leader'],
        'single-leader-sync-set-isolate-leader',
      ),
    ]);
    expect(unsafe.exitCode, unsafe.output).toBe(1);
    const sb = unsafe.results.checkers['split-brain'] as SplitBrainCheckerResult;
    expect(sb.termsReported).toBe(true);
    expect(sb.splitBrainIntervals).toBeGreaterThan(0);
    expect(sb.deposedAcks).toBeGreaterThan(0);
    expect(unsafe.claim('splitBrain')?.held).toBe(false);
    expect(unsafe.claim('fencing')?.held).toBe(false);

    expect(safe.exitCode, safe.output).toBe(0);
    expect(safe.claim('splitBrain')).toMatchObject({ expected: 'none', held: true });
    expect(safe.claim('fencing')).toMatchObject({ expected: true, held: true });
  }, 150_000);
});

describe('bank', () => {
  it('single-leader-sync conserves the total of every read through leader kills', async () => {
    const r = await run(
      ['--cluster', 'single-leader-sync', '--workload', 'bank', '--nemesis', 'leader-kill'],
      'single-leader-sync-bank-leader-kill',
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.claim('totalConserved')).toMatchObject({ expected: true, held: true });
    expect(r.claim('convergence')).toMatchObject({ held: true });
    expect((r.results.checkers.bank as { reads: number }).reads).toBeGreaterThan(10);
  }, 120_000);
});
