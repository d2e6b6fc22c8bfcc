import { describe, expect, it } from 'vitest';
import { linearizableChecker } from '../../../src/checker/linearizable/checker.ts';
import type { Op, OpType, Process } from '../../../src/history/op.ts';

const history = (rows: [Process, OpType, string, unknown, string?][]): Op[] =>
  rows.map(([process, type, f, value, key], index) => ({
    index,
    time: index * 1_000,
    type,
    process,
    f,
    value,
    ...(key === undefined ? {} : { key }),
  }));

const ctx = (options: Record<string, unknown> = {}) => ({ nodes: ['n1', 'n2', 'n3'], timeoutMs: 10_000, options });

describe('linearizable checker', () => {
  it('is named linearizable', () => {
    expect(linearizableChecker().name).toBe('linearizable');
  });

  it('says valid for a linearizable register history, with counts', async () => {
    const h = history([
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [1, 'invoke', 'cas', [1, 2]],
      ['nemesis', 'info', 'start-kill', 'n1'],
      [1, 'ok', 'cas', [1, 2]],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', 2],
      [0, 'invoke', 'write', 3],
      [0, 'info', 'write', 'timed-out'],
    ]);
    const r = await linearizableChecker().check(h, ctx({ model: 'cas-register', initial: null }));
    expect(r).toMatchObject({ valid: true, model: 'cas-register', partitions: 1, opCount: 4, indeterminate: 1 });
    expect(r.failure).toBeUndefined();
  });

  it('says invalid and explains the failing partition', async () => {
    const h = history([
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [1, 'invoke', 'read', null],
      [1, 'ok', 'read', 0],
    ]);
    const r = await linearizableChecker().check(h, ctx({ model: 'register', initial: 0 }));
    expect(r.valid).toBe(false);
    const failure = r.failure!;
    expect(failure.result).toBe('illegal');
    expect(failure.partitions).toHaveLength(1);
    const p = failure.partitions[0]!;
    expect(p.operations!.map((o) => o.id)).toEqual([0, 2]);
    expect(p.linearizations![0]!.steps.map((s) => s.id)).toEqual([0]);
    expect(p.stuck).toEqual([{ id: 2, why: 'illegal' }]);
    // Plain data: it survives results.json.
    expect(JSON.parse(JSON.stringify(r)).failure.partitions[0].stuck).toEqual([{ id: 2, why: 'illegal' }]);
  });

  it('checks a single-register model per key when operations carry keys', async () => {
    const h = history([
      [0, 'invoke', 'write', 1, 'a'],
      [0, 'ok', 'write', 1, 'a'],
      [1, 'invoke', 'read', null, 'b'],
      [1, 'ok', 'read', null, 'b'],
      [1, 'invoke', 'read', null, 'a'],
      [1, 'ok', 'read', 1, 'a'],
    ]);
    const ok = await linearizableChecker().check(h, ctx({ model: 'cas-register', initial: null }));
    expect(ok).toMatchObject({ valid: true, partitions: 2 });
    const bad = history([
      [0, 'invoke', 'write', 1, 'a'],
      [0, 'ok', 'write', 1, 'a'],
      [1, 'invoke', 'read', null, 'b'],
      [1, 'ok', 'read', 1, 'b'],
    ]);
    const r = await linearizableChecker().check(bad, ctx({ model: 'cas-register', initial: null }));
    expect(r).toMatchObject({ valid: false, failingKey: 'b' });
    expect(r.failure!.partitions[0]!.key).toBe('b');
  });

  it('answers unknown when its time budget runs out', async () => {
    // 14 concurrent writes and reads, then a write and a read of a value it overwrote: a long search.
    const rows: [Process, OpType, string, unknown][] = [];
    for (let i = 0; i < 14; i++) rows.push([i, 'invoke', 'write', i + 1]);
    for (let i = 0; i < 14; i++) rows.push([100 + i, 'invoke', 'read', null]);
    for (let i = 0; i < 14; i++) rows.push([i, 'ok', 'write', i + 1]);
    for (let i = 0; i < 14; i++) rows.push([100 + i, 'ok', 'read', i + 1]);
    rows.push([200, 'invoke', 'write', 15], [200, 'ok', 'write', 15]);
    rows.push([200, 'invoke', 'read', null], [200, 'ok', 'read', 1]);
    const r = await linearizableChecker().check(history(rows), {
      nodes: [],
      timeoutMs: 50,
      options: { model: 'register' },
    });
    expect(r).toMatchObject({ valid: 'unknown', reason: 'timeout', undecided: 1 });
  });

  it('rejects an unknown model with the known ones listed', async () => {
    await expect(linearizableChecker().check([], ctx({ model: 'regsiter' }))).rejects.toThrow(
      /unknown model "regsiter"; known models: register, cas-register, kv, kv-append, set, queue, mutex/,
    );
  });

  it('defaults to cas-register', async () => {
    const r = await linearizableChecker().check([], ctx());
    expect(r.model).toBe('cas-register');
    expect(r.valid).toBe(true);
  });
});
