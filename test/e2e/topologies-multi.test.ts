import { describe, expect, it } from 'vitest';
import { run } from './topology-run.ts';

/** The topologies without a single leader, and durability (see topologies.test.ts). */
describe('multi-leader', () => {
  it('lww with a skewed clock silently loses acknowledged updates; version vectors keep them as siblings', async () => {
    const [lww, vv] = await Promise.all([
      run('multi-leader-lww', 'conflicts', 'clock-skew', ['--rate', '150']),
      run('multi-leader-vv', 'conflicts', 'clock-skew', ['--rate', '150']),
    ]);
    expect(lww.exitCode, lww.output).toBe(0);
    expect(lww.checker<{ lostUpdates: number }>('conflicts').lostUpdates).toBeGreaterThan(0);
    expect(lww.claim('convergence')?.held).toBe(true);

    expect(vv.exitCode, vv.output).toBe(0);
    const conflicts = vv.checker<{ lostUpdates: number; siblingReads: number; maxSiblings: number }>('conflicts');
    expect(conflicts.lostUpdates).toBe(0);
    expect(conflicts.maxSiblings).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('a CRDT counter ends at the sum of acknowledged increments across partitions', async () => {
    const { exitCode, output, checker } = await run('multi-leader-crdt', 'counter', 'partition-halves');
    expect(exitCode, output).toBe(0);
    const counter = checker<{
      lostIncrements: number;
      ackedSum: number;
      finalValues: Record<string, number>;
      converged: boolean;
    }>('counter');
    expect(counter.ackedSum).toBeGreaterThan(100);
    expect(counter.lostIncrements).toBe(0);
    expect(counter.converged).toBe(true);
  }, 60_000);
});

describe('leaderless', () => {
  it('R + W > N: reads see the latest acknowledged write when no node is down', async () => {
    const { exitCode, output, checker } = await run('leaderless-quorum', 'conflicts', 'none');
    expect(exitCode, output).toBe(0);
    expect(checker<{ staleReads: number; reads: number }>('staleness')).toMatchObject({ staleReads: 0 });
  }, 60_000);

  it('R + W ≤ N: stale reads are measured, and every replica converges after a partition heals', async () => {
    const { exitCode, output, checker, claim } = await run('leaderless-sloppy', 'conflicts', 'partition-halves', [
      '--rate',
      '200',
    ]);
    expect(exitCode, output).toBe(0);
    expect(checker<{ staleReads: number }>('staleness').staleReads).toBeGreaterThan(0);
    expect(claim('convergence')?.held).toBe(true);
  }, 60_000);
});

describe('durability', () => {
  it('fsync never loses acknowledged writes when every node is killed at once; fsync always does not', async () => {
    const [never, always] = await Promise.all([
      run('durability-fsync-never', 'set', 'kill-all'),
      run('durability-fsync-always', 'set', 'kill-all'),
    ]);
    expect(never.exitCode, never.output).toBe(0);
    expect(never.checker<{ lost: number }>('set').lost).toBeGreaterThan(0);

    expect(always.exitCode, always.output).toBe(0);
    expect(always.checker<{ lost: number; acked: number }>('set')).toMatchObject({ lost: 0 });
  }, 120_000);
});
