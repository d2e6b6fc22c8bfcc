import { describe, expect, it } from 'vitest';
import { check, checkSync } from '../../../src/checker/linearizable/check.ts';
import { MAX_DESCRIBED_OPERATIONS } from '../../../src/checker/linearizable/describe.ts';
import {
  type CheckResult,
  ILLEGAL,
  type Model,
  type NondeterministicModel,
  type Operation,
} from '../../../src/checker/linearizable/types.ts';
import { casRegister, kv, register } from '../../../src/checker/models/index.ts';
import { buildVizData } from '../../../src/report/linearization/index.ts';
import { cas, keyed, op, read, slowIllegal, write } from './helpers.ts';

const reg = register({ initial: 0 });

describe('check: hand-made histories', () => {
  it('accepts an empty history', async () => {
    const r = await check(reg, []);
    expect(r.result).toBe('ok');
    expect(r.opCount).toBe(0);
  });

  it('accepts sequential operations that follow the model', async () => {
    const r = await check(reg, [write(0, 0, 1, 1), read(1, 2, 3, 1), write(0, 4, 5, 2), read(1, 6, 7, 2)]);
    expect(r.result).toBe('ok');
  });

  it('rejects a sequential read of an overwritten value', async () => {
    const r = await check(reg, [write(0, 0, 1, 1), write(0, 2, 3, 2), read(1, 4, 5, 1)]);
    expect(r.result).toBe('illegal');
    expect(r.failingPartition).toBe(0);
  });

  it('lets concurrent operations take effect in either order', async () => {
    // The read overlaps the write: it may see the old or the new value.
    expect((await check(reg, [write(0, 0, 10, 1), read(1, 5, 15, 0)])).result).toBe('ok');
    expect((await check(reg, [write(0, 0, 10, 1), read(1, 5, 15, 1)])).result).toBe('ok');
    expect((await check(reg, [write(0, 0, 10, 1), read(1, 5, 15, 2)])).result).toBe('illegal');
  });

  it('treats [call, return] as a closed interval: touching endpoints are concurrent', async () => {
    // The read starts exactly when the write returns; it may still be ordered first.
    expect((await check(reg, [write(0, 0, 10, 1), read(1, 10, 20, 0)])).result).toBe('ok');
    expect((await check(reg, [write(0, 0, 10, 1), read(1, 11, 20, 0)])).result).toBe('illegal');
  });

  it('finds a linearization that needs a later-invoked operation first', async () => {
    // w1 and w2 overlap; reads force w2 before w1, although w1 was invoked first.
    const ops = [write(0, 0, 10, 1), write(1, 1, 10, 2), read(2, 11, 12, 1)];
    expect((await check(reg, ops)).result).toBe('ok');
    expect((await check(reg, [...ops, read(3, 13, 14, 2)])).result).toBe('illegal');
  });

  it('checks compare-and-set', async () => {
    const m = casRegister({ initial: 0 });
    expect((await check(m, [cas(0, 0, 1, 0, 5), read(1, 2, 3, 5)])).result).toBe('ok');
    expect((await check(m, [cas(0, 0, 1, 1, 5), read(1, 2, 3, 5)])).result).toBe('illegal');
  });
});

describe('check: indeterminate operations', () => {
  it('an info write may have taken effect, at any point after its call', async () => {
    const ops = [write(0, 0, null, 1), read(1, 5, 6, 0), read(1, 7, 8, 1), read(1, 9, 10, 1)];
    expect((await check(reg, ops)).result).toBe('ok');
  });

  it('an info write may never take effect', async () => {
    const ops = [write(0, 0, null, 1), read(1, 5, 6, 0), read(1, 100, 101, 0)];
    expect((await check(reg, ops)).result).toBe('ok');
  });

  it('an info write cannot take effect before its call', async () => {
    const ops = [read(1, 0, 1, 1), write(0, 5, null, 1)];
    expect((await check(reg, ops)).result).toBe('illegal');
  });

  it('an info write that took effect stays in effect', async () => {
    // Seen as 1, then as 0 again with nobody writing 0: illegal even though the write is indeterminate.
    const ops = [write(0, 0, null, 1), read(1, 5, 6, 1), read(1, 7, 8, 0)];
    expect((await check(reg, ops)).result).toBe('illegal');
  });

  it('an info cas swaps only if the old value matches', async () => {
    const m = casRegister({ initial: 0 });
    expect((await check(m, [cas(0, 0, null, 0, 3), read(1, 5, 6, 3)])).result).toBe('ok');
    expect((await check(m, [cas(0, 0, null, 1, 3), read(1, 5, 6, 3)])).result).toBe('illegal');
  });
});

describe('check: partitions', () => {
  it('checks each key on its own and reports the illegal one', async () => {
    const m = kv({ initial: 0 });
    const ops = [
      keyed(write(0, 0, 1, 1), 'a'),
      keyed(write(1, 0, 1, 1), 'b'),
      keyed(read(0, 2, 3, 1), 'a'),
      keyed(read(1, 2, 3, 2), 'b'),
    ];
    const r = await check(m, ops);
    expect(r.result).toBe('illegal');
    expect(r.partitions.map((p) => p.key)).toEqual(['a', 'b']);
    expect(r.partitions[r.failingPartition!]!.key).toBe('b');
  });

  it('stops at the first illegal partition: the others stay unknown', async () => {
    // Key "a" is illegal at once; key "b" is a slow search that the early exit skips.
    const slow = slowIllegal(12).map((o) => keyed(o, 'b'));
    const m = kv({ initial: 0 });
    const ops = [keyed(read(0, 0, 1, 42), 'a'), ...slow];
    const r = await check(m, ops, { workers: 0 });
    expect(r.result).toBe('illegal');
    expect(r.partitions[0]!.result).toBe('illegal');
    expect(r.partitions[1]!.result).toBe('unknown');
    expect(r.elapsedMs).toBeLessThan(10_000);
  });
});

describe('check: scheduling partitions', () => {
  it('finds an illegal partition queued behind endless ones (turns with doubling budgets)', async () => {
    const ops = [
      ...slowIllegal(15).map((o) => keyed(o, 'slow1')),
      ...slowIllegal(15).map((o) => keyed(o, 'slow2')),
      ...slowIllegal(9).map((o) => keyed(o, 'bad')),
    ];
    const r = await check(kv({ initial: 0 }), ops, { workers: 0, timeoutMs: 30_000 });
    expect(r.result).toBe('illegal');
    expect(r.partitions[r.failingPartition!]!.key).toBe('bad');
    expect(r.partitions[r.failingPartition!]!.stats!.steps).toBeGreaterThan(1 << 15); // more than one turn
  });
});

describe("check: the models' pre-check", () => {
  /** `n` crashed (info) writes of 1..n, from clients that each crash once, then a definite read of `value`. */
  const crashedWritesThenRead = (n: number, value: number) => {
    const ops = Array.from({ length: n }, (_, i) => write(i, i, null, i + 1));
    const last = read(n, 2 * n, 2 * n + 1, value);
    return { ops: [...ops, last], last };
  };

  // Without `prune`, which would leave the crashed writes nobody read out before the search.
  const unpruned = { ...reg, prune: undefined };

  it('refutes a read of a value never written, after 5,000 crashed writes, without exploring their interleavings', async () => {
    const { ops, last } = crashedWritesThenRead(5_000, -1);
    const r = await check(unpruned, ops, { workers: 0 });
    expect(r.result).toBe('illegal');
    const p = r.partitions[0]!;
    expect(p.precheck).toEqual({ id: last.id, why: expect.stringMatching(/^pre-check: it reads -1/) });
    // The search had taken a few iterations per operation when the pre-check ran (2^5000 subsets otherwise).
    expect(p.stats!.steps).toBeLessThanOrEqual(8 * ops.length);
  });

  it('accepts a read of a value that only a crashed write wrote', async () => {
    const { ops } = crashedWritesThenRead(5_000, 2_500);
    const r = await check(unpruned, ops, { workers: 0, timeoutMs: 60_000 });
    expect(r.result).toBe('ok');
    expect(r.partitions[0]!.precheck).toBeUndefined();
  });

  it('leaves out the crashed writes nobody read, and counts them', async () => {
    const { ops } = crashedWritesThenRead(5_000, 2_500);
    const r = await check(reg, ops, { workers: 0, timeoutMs: 60_000 });
    expect(r.result).toBe('ok');
    expect(r.opCount).toBe(5_001);
    expect(r.leftOut).toBe(4_999); // all but the write of 2,500
    expect(r.partitions[0]!.opCount).toBe(2);
    const bad = crashedWritesThenRead(5_000, -1);
    const refuted = await check(reg, bad.ops, { workers: 0 });
    expect(refuted.result).toBe('illegal');
    expect(refuted.leftOut).toBe(5_000);
  });

  it('leaves a stale read of a written value to the search, which refutes it', async () => {
    const r = await check(reg, [write(0, 0, 1, 1), write(0, 2, 3, 2), read(1, 4, 5, 1)]);
    expect(r.result).toBe('illegal');
    expect(r.partitions[0]!.precheck).toBeUndefined();
  });

  it('finds a refuted partition queued behind endless ones, on worker threads too', async () => {
    const { ops: bad, last } = crashedWritesThenRead(3_000, -1);
    const ops = [
      ...slowIllegal(15).map((o) => keyed(o, 'slow1')),
      ...slowIllegal(15).map((o) => keyed(o, 'slow2')),
      ...bad.map((o) => keyed(o, 'bad')),
    ];
    for (const workers of [0, 2]) {
      const r = await check(kv({ initial: 0 }), ops, { workers, timeoutMs: 60_000 });
      expect(r.result).toBe('illegal');
      const p = r.partitions[r.failingPartition!]!;
      expect(p.key).toBe('bad');
      expect(p.precheck?.id).toBe(last.id);
    }
  });

  it('with keepPartial, names the operation as a search failure does: stuck after an empty linearization', async () => {
    const { ops, last } = crashedWritesThenRead(200, 999);
    const r = await check(unpruned, ops, { keepPartial: true, workers: 0 });
    const p = r.partitions[0]!;
    expect(p.result).toBe('illegal');
    expect(p.stuck).toEqual([{ id: last.id, why: 'illegal' }]);
    expect(p.linearizations).toEqual([{ steps: [] }]);
    expect(p.initialState).toBe('0');
    expect(p.operations).toHaveLength(201);
    expect(p.precheck?.why).toMatch(
      /^pre-check: it reads 999, which no operation of this partition could have written/,
    );
  });
});

describe('check: timeout and abort', () => {
  it('answers unknown when the time budget runs out', async () => {
    const r = await check(reg, slowIllegal(14), { timeoutMs: 50 });
    expect(r.result).toBe('unknown');
    expect(r.reason).toBe('timeout');
    expect(r.partitions[0]!.result).toBe('unknown');
  });

  it('answers unknown when the signal aborts during the search', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const r = await check(reg, slowIllegal(14), { signal: controller.signal });
    expect(r.result).toBe('unknown');
    expect(r.reason).toBe('aborted');
  });

  it('answers unknown at once for an already aborted signal', async () => {
    const r = await check(reg, [write(0, 0, 1, 1)], { signal: AbortSignal.abort() });
    expect(r.result).toBe('unknown');
    expect(r.reason).toBe('aborted');
  });

  it('checkSync honours the timeout too', () => {
    const r = checkSync(reg, slowIllegal(14), { timeoutMs: 50 });
    expect(r.result).toBe('unknown');
    expect(r.reason).toBe('timeout');
  });

  it('rejects a non-positive timeout', async () => {
    await expect(check(reg, [], { timeoutMs: 0 })).rejects.toThrow(/timeoutMs must be a positive number/);
  });

  it('rejects an operation that returns before it is called', async () => {
    await expect(check(reg, [write(0, 5, 1, 1)])).rejects.toThrow(/no later than its return/);
  });
});

describe('check: keepPartial', () => {
  const ops = [write(0, 0, 1, 1), read(1, 2, 3, 1), write(0, 4, 5, 2), read(1, 6, 7, 3), read(2, 6, 8, 2)];
  const ids = ops.map((o) => o.id);

  it('keeps the longest partial linearization and the operations stuck after it', async () => {
    const r = await check(reg, ops, { keepPartial: true });
    expect(r.result).toBe('illegal');
    const p = r.partitions[0]!;
    expect(p.operations!.map((o) => o.id)).toEqual(ids);
    expect(p.operations![0]!.description).toBe('write(1)');
    expect(p.operations![1]!.description).toBe('read() → 1');
    expect(p.initialState).toBe('0');
    const longest = p.linearizations![0]!.steps;
    // w1, r1, w2 and r2 (the read of 2) fit; the read of 3 never does.
    expect(longest.map((s) => s.id)).toEqual([ids[0], ids[1], ids[2], ids[4]]);
    expect(longest.map((s) => [s.stateBefore, s.stateAfter])).toEqual([
      ['0', '1'],
      ['1', '1'],
      ['1', '2'],
      ['2', '2'],
    ]);
    expect(p.stuck).toEqual([{ id: ids[3], why: 'illegal' }]);
    expect(p.longestFor![ids[0]!]).toBe(0);
    expect(p.longestFor![ids[3]!]).toBeUndefined();
    expect(p.truncated).toBe(false);
  });

  it('counts a call at the very time of the first remaining return among the stuck (calls come first)', async () => {
    const w1 = write(0, 0, 10, 1);
    const r9 = read(1, 5, 15, 9);
    const r7 = read(2, 15, 16, 7); // called when r9 returns: concurrent with it
    const later = [write(3, 100, 110, 9), write(3, 200, 210, 7)];
    const r = await check(reg, [w1, r9, r7, ...later], { keepPartial: true, workers: 0 });
    expect(r.result).toBe('illegal');
    const p = r.partitions[0]!;
    expect(p.linearizations![0]!.steps.map((s) => s.id)).toEqual([w1.id]);
    expect(p.stuck).toEqual([
      { id: r9.id, why: 'illegal' },
      { id: r7.id, why: 'illegal' },
    ]);
  });

  it('describes only the operations around the failure of a partition too long to read', async () => {
    // 12,000 sequential writes; after the 7,000th, a read of the first value: stuck there.
    const many: Operation[] = [];
    for (let i = 0; i < 12_000; i++) {
      many.push(write(0, 4 * i, 4 * i + 1, i + 1));
      if (i === 6_999) many.push(read(1, 4 * i + 2, 4 * i + 3, 1));
    }
    const stale = many[7_000]!;
    const r = await check(reg, many, { keepPartial: true, workers: 0 });
    expect(r.result).toBe('illegal');
    const p = r.partitions[0]!;
    expect(p.opCount).toBe(12_001);
    expect(p.operations!.length).toBe(MAX_DESCRIBED_OPERATIONS);
    expect(p.operationsWindow).toEqual({ first: 2_000, last: 12_000, of: 12_001 });
    expect(p.stuck).toEqual([{ id: stale.id, why: 'illegal' }]);
    expect(p.operations!.some((o) => o.id === stale.id)).toBe(true);
    // The report's narrower window counts positions in the whole partition.
    const viz = buildVizData({ result: r }).partitions[0]!;
    expect(viz.window!.of).toBe(12_001);
    expect(viz.window!.first).toBeGreaterThanOrEqual(2_000);
    expect(viz.ops.some((o) => o.id === stale.id)).toBe(true);
  });

  it('gives a full linearization for a linearizable partition', async () => {
    const okOps = ops.filter((_, i) => i !== 3);
    const r = await check(reg, okOps, { keepPartial: true });
    expect(r.result).toBe('ok');
    const p = r.partitions[0]!;
    expect(p.linearizations).toHaveLength(1);
    expect(p.linearizations![0]!.steps.map((s) => s.id).sort()).toEqual(okOps.map((o) => o.id).sort());
    expect(p.stuck).toBeUndefined();
  });

  it('stuck operations at the very start when nothing can be linearized', async () => {
    const r = await check(reg, [read(0, 0, 1, 5)], { keepPartial: true });
    const p = r.partitions[0]!;
    expect(p.linearizations).toEqual([{ steps: [] }]);
    expect(p.stuck).toEqual([{ id: expect.any(Number), why: 'illegal' }]);
  });

  it('leaves partial data out unless asked', async () => {
    const r = await check(reg, ops);
    expect(r.partitions[0]!.linearizations).toBeUndefined();
    expect(r.partitions[0]!.operations).toBeUndefined();
  });

  it('lists every operation that could come next after the longest prefix', async () => {
    // After w1 and w2, the concurrent reads of 1 and 3 both could come next; the model rejects both.
    const ops2 = [write(0, 0, 1, 1), write(1, 2, 3, 2), read(2, 4, 9, 1), read(3, 4, 9, 3)];
    const r = await check(reg, ops2, { keepPartial: true });
    expect(r.result).toBe('illegal');
    const p = r.partitions[0]!;
    expect(p.linearizations![0]!.steps.map((s) => s.id)).toEqual([ops2[0]!.id, ops2[1]!.id]);
    expect(p.stuck).toEqual([
      { id: ops2[2]!.id, why: 'illegal' },
      { id: ops2[3]!.id, why: 'illegal' },
    ]);
  });
});

describe('check: models', () => {
  it('accepts a user model written as a class', async () => {
    class Counter implements Model<number, { f: string }, number> {
      readonly name = 'counter';
      init() {
        return 0;
      }
      step(n: number, input: { f: string }, output: number | undefined) {
        if (input.f === 'inc') return n + 1;
        return output === undefined || output === n ? n : ILLEGAL;
      }
    }
    const mk = (
      id: number,
      call: number,
      ret: number,
      f: string,
      output?: number,
    ): Operation<{ f: string }, number> => ({
      id,
      clientId: id,
      input: { f },
      call,
      output,
      return: ret,
    });
    const m = new Counter();
    expect((await check(m, [mk(0, 0, 1, 'inc'), mk(1, 0, 1, 'inc'), mk(2, 2, 3, 'get', 2)])).result).toBe('ok');
    expect((await check(m, [mk(0, 0, 1, 'inc'), mk(1, 2, 3, 'get', 2)])).result).toBe('illegal');
  });

  it('checks a nondeterministic model through the powerset of its states', async () => {
    // A lossy register: a write may be applied or silently dropped.
    const lossy: NondeterministicModel<number, { f: string; value: number }, number> = {
      name: 'lossy-register',
      nondeterministic: true,
      init: () => [0],
      step: (s, input, output) => {
        if (input.f === 'write') return [s, input.value];
        return output === undefined || output === s ? [s] : [];
      },
      describeState: (s) => String(s),
    };
    const mk = (id: number, call: number, f: string, value: number, output?: number) => ({
      id,
      clientId: 0,
      input: { f, value },
      call,
      output,
      return: call + 1,
    });
    const ok = [mk(0, 0, 'write', 1), mk(1, 2, 'read', 0, 0), mk(2, 4, 'write', 2), mk(3, 6, 'read', 0, 2)];
    expect((await check(lossy, ok)).result).toBe('ok');
    const bad = [mk(0, 0, 'write', 1), mk(1, 2, 'read', 0, 3)];
    const r = await check(lossy, bad, { keepPartial: true });
    expect(r.result).toBe('illegal');
    expect(r.partitions[0]!.linearizations![0]!.steps[0]!.stateAfter).toBe('{0 | 1}');
  });

  it('propagates a model error for an operation it does not know', async () => {
    await expect(check(reg, [op(0, 0, 1, 'frobnicate', 1)])).rejects.toThrow(/cannot check operation f="frobnicate"/);
  });
});

describe('check: result shape', () => {
  it('reports the model, counts and per-partition stats', async () => {
    const r: CheckResult = await check(reg, [write(0, 0, 1, 1), read(1, 2, 3, 1)]);
    expect(r.model).toBe('register');
    expect(r.opCount).toBe(2);
    expect(r.partitions).toHaveLength(1);
    expect(r.partitions[0]!.opCount).toBe(2);
    expect(r.partitions[0]!.stats!.steps).toBeGreaterThan(0);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(r.reason).toBeUndefined();
  });
});

describe('check: descriptions', () => {
  it('cuts very long state descriptions', async () => {
    const long = 'x'.repeat(10_000);
    const r = await check(register({ initial: long }), [read(0, 0, 1, 'y')], { keepPartial: true });
    expect(r.partitions[0]!.initialState).toMatch(/^"x{1999}… \(8002 more characters\)$/);
  });
});
