import { afterAll, describe, expect, it } from 'vitest';
import type { FaultlineError } from '../../../src/base/errors.ts';
import { createRandom } from '../../../src/base/random.ts';
import { check, resolveCheckOptions } from '../../../src/checker/linearizable/check.ts';
import { fromHistory } from '../../../src/checker/linearizable/from-history.ts';
import { resolveModel } from '../../../src/checker/linearizable/model.ts';
import { closeWorkers, listSource, startWorkers } from '../../../src/checker/linearizable/parallel.ts';
import type { Operation } from '../../../src/checker/linearizable/types.ts';
import { independent, kv, register } from '../../../src/checker/models/index.ts';
import type { OpInput } from '../../../src/checker/models/op-input.ts';
import { keyed, slowIllegal } from './helpers.ts';
import { execute, INITIAL } from './simulate.ts';

afterAll(closeWorkers);

/** A history over `keys` registers whose partitions each take a while (crashed operations, thousands of steps). */
const heavy = (keys: number): Operation<OpInput, unknown>[] => {
  const rnd = createRandom(11);
  const choices = Array.from({ length: 6000 * keys }, () => rnd.int(4096));
  return fromHistory(execute(choices, 10, keys, 9).history);
};

describe('check on worker threads', () => {
  const ops = heavy(3);

  it('gives the same per-partition results as the inline check', async () => {
    const inline = await check(kv({ initial: INITIAL }), ops, { workers: 0 });
    const parallel = await check(kv({ initial: INITIAL }), ops, { workers: 2 });
    expect(inline.result).toBe('ok');
    expect(parallel.result).toBe('ok');
    const summary = (r: typeof inline) => r.partitions.map((p) => [p.key, p.result, p.opCount]);
    expect(summary(parallel)).toEqual(summary(inline));
    expect(inline.partitions.some((p) => p.stats?.onWorker)).toBe(false);
    expect(parallel.partitions.some((p) => p.stats?.onWorker)).toBe(true);
  });

  it('stops the other partitions when one is illegal', async () => {
    // Keys "slow1" and "slow2" are long searches; "bad" is illegal, after more than a first pass.
    const bad = slowIllegal(9).map((o) => keyed(o, 'bad'));
    const slow = [...slowIllegal(15).map((o) => keyed(o, 'slow1')), ...slowIllegal(15).map((o) => keyed(o, 'slow2'))];
    const r = await check(independent(register({ initial: 0 })), [...slow, ...bad], { workers: 2, timeoutMs: 60_000 });
    expect(r.result).toBe('illegal');
    expect(r.partitions[r.failingPartition!]!.key).toBe('bad');
    expect(r.partitions.filter((p) => p.result === 'unknown').length).toBeGreaterThan(0);
    expect(r.elapsedMs).toBeLessThan(30_000);
  });

  it('answers unknown when the budget runs out on the workers', async () => {
    const slow = [...slowIllegal(16).map((o) => keyed(o, 'a')), ...slowIllegal(16).map((o) => keyed(o, 'b'))];
    const r = await check(independent(register({ initial: 0 })), slow, { workers: 2, timeoutMs: 300 });
    expect(r.result).toBe('unknown');
    expect(r.reason).toBe('timeout');
  });

  it('answers unknown when aborted while workers run', async () => {
    const slow = [...slowIllegal(16).map((o) => keyed(o, 'a')), ...slowIllegal(16).map((o) => keyed(o, 'b'))];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const r = await check(independent(register({ initial: 0 })), slow, { workers: 2, signal: controller.signal });
    expect(r.result).toBe('unknown');
    expect(r.reason).toBe('aborted');
  });

  it('reports a model error raised on a worker', async () => {
    const broken = [...ops.slice(0, 50), { ...ops[50]!, input: { ...ops[50]!.input, f: 'frobnicate' } }];
    const settled: unknown[] = [];
    const run = startWorkers(
      resolveModel(kv({ initial: INITIAL })),
      listSource([{ index: 0, partition: { key: undefined, ops: broken, leftOut: 0 } }]),
      resolveCheckOptions({ workers: 1 }),
      Number.POSITIVE_INFINITY,
      (s) => settled.push(s),
    );
    await run.stopped();
    expect(settled).toEqual([]);
    expect(run.failure?.message).toMatch(/cannot check operation f="frobnicate"/);
    expect((run.failure as FaultlineError).code).toBe('FL_ERR_CONFIG');
  });

  it('checks user models without a spec in the calling thread', async () => {
    const { spec: _spec, ...rest } = kv({ initial: INITIAL });
    const r = await check(rest, ops, { workers: 2 });
    expect(r.result).toBe('ok');
    expect(r.partitions.some((p) => p.stats?.onWorker)).toBe(false);
  });
});
