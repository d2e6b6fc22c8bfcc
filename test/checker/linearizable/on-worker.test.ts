import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { FaultlineError } from '../../../src/base/errors.ts';
import { runCheckers } from '../../../src/checker/index.ts';
import {
  type LinearizableCheckerResult,
  linearizableChecker,
  WORKER_THREAD_FROM_OPS,
} from '../../../src/checker/linearizable/checker.ts';
import { closeWorkers } from '../../../src/checker/linearizable/parallel.ts';
import type { Op } from '../../../src/history/op.ts';
import { bigRegisterHistory } from '../../fixtures/big-history.ts';

afterAll(closeWorkers);

const ctx = { nodes: ['n1', 'n2', 'n3'], timeoutMs: 60_000 };

/** The same history without the reads of the lagging follower n3: linearizable. */
const withoutStaleReads = (history: readonly Op[]): Op[] =>
  history.filter((op) => !(op.f === 'read' && op.node === 'n3')).map((op, index) => ({ ...op, index }));

/** A result without what depends on the clock or the thread. */
const timeless = (r: LinearizableCheckerResult): unknown =>
  JSON.parse(
    JSON.stringify(r, (key, value: unknown) =>
      key === 'elapsedMs' || key === 'summary' || key === 'stats' || key === 'thread' ? undefined : value,
    ),
  );

describe('the linearizable checker on a worker thread', () => {
  const invalid = bigRegisterHistory({ ops: 6000, seed: 3 });
  const valid = withoutStaleReads(bigRegisterHistory({ ops: 6000, seed: 4 }));

  it.each([
    ['not linearizable', invalid, false],
    ['linearizable', valid, true],
  ] as const)('gives the calling thread’s result on a %s history', async (_, history, expected) => {
    const calling = await linearizableChecker({ thread: 'calling' }).check(history, ctx);
    const worker = await linearizableChecker({ thread: 'worker' }).check(history, ctx);
    expect(calling.valid).toBe(expected);
    expect(calling.partitions).toBe(5);
    expect(calling.indeterminate).toBeGreaterThan(0);
    expect([worker.thread, calling.thread]).toEqual(['worker', 'calling']);
    expect(timeless(worker)).toEqual(timeless(calling));
    if (expected === false) {
      // The explanation crossed back whole: the failing key's operations and partial linearizations.
      expect(worker.failingKey).toBeDefined();
      expect(worker.failure?.partitions[0]?.operations?.length).toBeGreaterThan(0);
      expect(worker.failure?.partitions[0]?.linearizations?.length).toBeGreaterThan(0);
    }
    expect(worker.summary).toMatch(expected ? /^linearizable; / : /^not linearizable on key k\d; /);
  });

  it('carries values of every kind to the worker and back', async () => {
    // A register of strings, booleans, objects and numbers; the read of {"a": 1} after writing it is legal.
    const values: unknown[] = ['1', true, { a: 1 }, -0, 1e300, 'x'.repeat(100)];
    const history: Op[] = values.flatMap((value, i): Op[] => [
      { index: 4 * i, time: 40 * i, process: 0, type: 'invoke', f: 'write', value },
      { index: 4 * i + 1, time: 40 * i + 10, process: 0, type: 'ok', f: 'write', value },
      { index: 4 * i + 2, time: 40 * i + 20, process: 1, type: 'invoke', f: 'read', value: null },
      { index: 4 * i + 3, time: 40 * i + 30, process: 1, type: 'ok', f: 'read', value },
    ]);
    const ok = await linearizableChecker({ thread: 'worker' }).check(history, ctx);
    expect(ok.valid).toBe(true);
    // "1" is not 1: the same history reading the number back is not linearizable.
    const wrong = history.map((op) => (op.index === 3 ? { ...op, value: 1 } : op));
    const bad = await linearizableChecker({ thread: 'worker' }).check(wrong, ctx);
    expect(bad.valid).toBe(false);
    expect(JSON.stringify(bad.failure)).toContain('"1"');
  });

  it('reports a bad model by its code, as the calling thread would', async () => {
    const run = (thread: 'worker' | 'calling') =>
      linearizableChecker({ thread }).check(valid, { ...ctx, options: { model: 'no-such-model' } });
    const errors = await Promise.all([run('worker').catch((e: unknown) => e), run('calling').catch((e: unknown) => e)]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(FaultlineError);
      expect((e as FaultlineError).code).toBe('FL_ERR_CONFIG');
      expect((e as FaultlineError).message).toContain('no-such-model');
    }
  });

  it('answers unknown when aborted while the worker checks', async () => {
    const history = withoutStaleReads(bigRegisterHistory({ ops: 60_000, seed: 5, keys: 1 }));
    const controller = new AbortController();
    const pending = linearizableChecker({ thread: 'worker' }).check(history, { ...ctx, signal: controller.signal });
    // The task is on its way (check() posts it before it first awaits); the abort follows it and
    // reaches the worker when its search first yields, long before 60,000 operations are checked.
    controller.abort();
    const r = await pending;
    expect(r.valid).toBe('unknown');
    expect(r.reason).toBe('aborted');
    expect(r.undecided).toBe(1);
  });
});

describe('runCheckers', () => {
  it('checks a large history’s linearizability on a worker (given a second core), with the same results', async () => {
    const history = bigRegisterHistory({ ops: WORKER_THREAD_FROM_OPS + 10_000, seed: 6 });
    const order: string[] = [];
    const results = await runCheckers(['perf', 'linearizable', 'staleness'], history, ctx, (name) => order.push(name));
    expect(Object.keys(results)).toEqual(['perf', 'linearizable', 'staleness']);
    const lin = results.linearizable as LinearizableCheckerResult;
    const calling = await linearizableChecker({ thread: 'calling' }).check(history, ctx);
    expect(lin.valid).toBe(false);
    expect(lin.thread).toBe(availableParallelism() > 1 ? 'worker' : 'calling');
    expect(timeless(lin)).toEqual(timeless(calling));
    expect(order.sort()).toEqual(['linearizable', 'perf', 'staleness']);
  });

  it('records a checker that throws as unknown, with its reason, and runs the others', async () => {
    const history = bigRegisterHistory({ ops: 2000, seed: 7 });
    const results = await runCheckers(['linearizable', 'perf'], history, {
      ...ctx,
      options: { model: 'no-such-model' },
    });
    expect(results.linearizable).toMatchObject({ valid: 'unknown', error: expect.stringContaining('no-such-model') });
    expect(results.perf?.valid).toBe(true);
  });
});
