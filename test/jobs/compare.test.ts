import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../src/base/errors.ts';
import { planCompare, summariseCluster } from '../../src/jobs/compare.ts';
import type { CompareRun } from '../../src/report/job-results.ts';
import { resolveRunConfig } from '../../src/run/resolve.ts';

const run = (seed: number, lost: number | null, over: Partial<CompareRun> = {}): CompareRun => ({
  seed,
  runId: `r${seed}`,
  dir: `t/r${seed}`,
  valid: true,
  acked: lost === null ? null : 200,
  lost,
  share: lost === null ? null : lost / 200,
  lostPerFault: lost === null ? [] : [{ f: 'kill', faults: 2, lost }],
  staleReads: 3,
  maxStaleMs: seed * 10,
  linearizable: null,
  availabilityInside: 0.5,
  availabilityOutside: 1,
  throughput: 80,
  latencyP50Ms: 2,
  latencyP99Ms: 20,
  replay: 'npx faultline run ...',
  ...over,
});

describe('compare summaries', () => {
  it('give per-cluster totals, means with intervals and losses per fault', async () => {
    const config = await resolveRunConfig({ cluster: 'single-leader-async', workload: 'set', seed: 1 });
    const c = summariseCluster('single-leader-async', config, [
      run(1, 10),
      run(2, 20),
      run(3, 30),
      run(4, null, { valid: 'unknown', error: 'no node' }),
    ]);
    expect(c.lost).toMatchObject({ total: 60, acked: 600, mean: 20 });
    expect(c.lost.ci95![0]).toBeGreaterThan(0);
    expect(c.lost.ci95![1]).toBeLessThanOrEqual(30);
    expect(c.lost.meanShare).toBeCloseTo(0.1, 6);
    expect(c.perFault).toEqual([
      expect.objectContaining({
        f: 'kill',
        faults: 6,
        lost: 60,
        perFault: expect.objectContaining({ mean: 10, n: 3 }),
      }),
    ]);
    expect(c.staleReads).toMatchObject({ total: 12, maxStaleMs: 40 });
    expect(c.linearizable).toEqual({ valid: 0, invalid: 0, unknown: 0, unchecked: 4 });
    expect(c.valid).toBe('unknown');
    expect(c.claims).toMatchObject({ lostWrites: 'allowed' });
  });

  it('say nothing about what no run measured', async () => {
    const config = await resolveRunConfig({ cluster: 'single-leader-sync', workload: 'register', seed: 1 });
    const c = summariseCluster('single-leader-sync', config, [run(1, null), run(2, null)]);
    expect(c.lost).toMatchObject({ total: 0, mean: null, ci95: null, meanShare: null });
    expect(c.perFault).toEqual([]);
  });
});

describe('compare input', () => {
  const error = async (options: Parameters<typeof planCompare>[0]) => {
    const e = await planCompare(options).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(FaultlineError);
    return e as FaultlineError;
  };

  it('is checked before anything starts, naming the flag', async () => {
    expect((await error({ cluster: 'single-leader-sync,nope', workload: 'set' })).describe()).toMatch(
      /--cluster: unknown cluster preset "nope"/,
    );
    expect((await error({ cluster: 'single-leader-sync,single-leader-async', runs: '0' })).describe()).toMatch(
      /--runs: expected an integer from 1 to 1000; got 0/,
    );
    expect((await error({ cluster: 'single-leader-sync' })).message).toMatch(/at least two clusters/);
    expect((await error({ cluster: 'single-leader-sync,single-leader-sync' })).message).toMatch(/listed twice/);
    expect((await error({ cluster: 'single-leader-sync,single-leader-async', seed: '-1' })).path).toBe('--seed');
  });

  it('pairs the runs: every cluster gets the same seeds, seed by seed', async () => {
    const plan = await planCompare({
      cluster: 'single-leader-sync,single-leader-async',
      workload: 'set',
      runs: 3,
      seed: 7,
    });
    expect(plan.seeds).toHaveLength(3);
    expect(plan.runs.map((r) => [r.config.cluster.name, r.config.seed])).toEqual(
      plan.seeds.flatMap((s) => [
        ['single-leader-sync', s],
        ['single-leader-async', s],
      ]),
    );
    const again = await planCompare({
      cluster: 'single-leader-sync,single-leader-async',
      workload: 'set',
      runs: 3,
      seed: 7,
    });
    expect(again.seeds).toEqual(plan.seeds);
  });
});
