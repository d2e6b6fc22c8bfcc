import { describe, expect, it } from 'vitest';
import { dockerMissing, rootMissing, skipWithout } from '../support/environment.ts';
import { runOn } from './docker-runs.ts';

/**
 * Every cluster preset, workload and nemesis not in docker.test.ts's paired
 * runs, once each and short, on `--backend docker`: it runs to the end,
 * records operations and leaves nothing behind.
 */
describe.skipIf(skipWithout('docker', dockerMissing()) || skipWithout('root', rootMissing()))(
  'faultline run --backend docker, every other preset',
  () => {
    // Every other preset, once each, short: it runs on docker to the end and leaves nothing.
    const others: [string, string, string][] = [
      ['durability-fsync-always', 'set', 'kill-all'],
      ['durability-fsync-never', 'set', 'kill-random'],
      ['leaderless-quorum', 'register', 'mixed'],
      ['leaderless-sloppy', 'set', 'none'],
      ['multi-leader-crdt', 'counter', 'partition-halves'],
      ['multi-leader-lww', 'conflicts', 'clock-skew'],
      ['multi-leader-vv', 'conflicts', 'isolate-leader'],
      ['single-leader-semi-sync', 'set', 'kill-random'],
      ['single-leader-unsafe-failover', 'register', 'isolate-leader'],
    ];
    it('every other cluster, workload and nemesis preset runs on docker', async () => {
      const outcomes: string[] = [];
      // Three at a time: each is mostly waiting on its containers and its time limit.
      for (let i = 0; i < others.length; i += 3) {
        const batch = others.slice(i, i + 3);
        const results = await Promise.all(
          batch.map(([c, w, n]) => runOn('docker', c, w, n, { seed: 5, timeLimit: '4s', quiesce: '1s' })),
        );
        results.forEach((r, j) => {
          const [c, w, n] = batch[j]!;
          expect([0, 1, 2], `${c} × ${w} × ${n}: ${r.output}`).toContain(r.exitCode);
          expect(r.output).not.toMatch(/incident/i);
          expect(r.ops, `${c} × ${w} × ${n}`).toBeGreaterThan(0);
          outcomes.push(`${c} × ${w} × ${n}: exit ${r.exitCode}`);
        });
      }
      expect(outcomes).toHaveLength(others.length);
    }, 600_000);
  },
);
