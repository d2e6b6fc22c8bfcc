import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/base/random.ts';
import { check } from '../../../src/checker/linearizable/check.ts';
import { fromHistory } from '../../../src/checker/linearizable/from-history.ts';
import { PartialTracker } from '../../../src/checker/linearizable/partial.ts';
import { casRegister } from '../../../src/checker/models/index.ts';
import { slowIllegal } from './helpers.ts';
import { type Exec, execute, INITIAL } from './simulate.ts';

/**
 * porcupine's verbose mode keeps, for every operation, the longest partial
 * linearization containing it, and runs out of memory on large illegal
 * histories. Ours caps what it keeps and says so.
 */

/** A 2,000-operation history of 10 clients on one register, made illegal by a stale read near its end. */
const bigIllegal = () => {
  const rnd = createRandom(7);
  let exec: Exec;
  let choices: number[] = [];
  do {
    choices = [...choices, ...Array.from({ length: 2000 }, () => rnd.int(4096))];
    exec = execute(choices, 10, 1, 0);
  } while (fromHistory(exec.history).length < 2000);
  const last = exec.reads.at(-1)!;
  const history = exec.history.map((op, i) => (i === last.completion ? { ...op, value: INITIAL } : op));
  return fromHistory(history);
};

describe('keepPartial memory cap', () => {
  const ops = bigIllegal();

  it('keeps a bounded amount on a 2,000-operation illegal history', async () => {
    expect(ops.length).toBeGreaterThanOrEqual(2000);
    const r = await check(casRegister({ initial: INITIAL }), ops, { keepPartial: true, timeoutMs: 60_000 });
    expect(r.result).toBe('illegal');
    const p = r.partitions[0]!;
    const steps = p.linearizations!.reduce((n, l) => n + l.steps.length, 0);
    expect(typeof p.truncated).toBe('boolean');
    expect(p.linearizations!.length).toBeLessThanOrEqual(32);
    expect(steps).toBeLessThanOrEqual(20_000);
    // The longest is still there, and long: the history goes wrong near its end.
    expect(p.linearizations![0]!.steps.length).toBeGreaterThan(1500);
    expect(p.stuck!.length).toBeGreaterThan(0);
  });

  it('honours smaller caps, and says it cut', async () => {
    const r = await check(casRegister({ initial: INITIAL }), ops, {
      keepPartial: true,
      maxPartialLinearizations: 3,
      maxPartialSteps: 500,
      timeoutMs: 60_000,
    });
    const p = r.partitions[0]!;
    expect(p.truncated).toBe(true);
    expect(p.linearizations!.length).toBeLessThanOrEqual(3);
    expect(p.linearizations!.reduce((n, l) => n + l.steps.length, 0)).toBeLessThanOrEqual(500);
    // The result serialises to a bounded size.
    expect(JSON.stringify(p.linearizations).length).toBeLessThan(200_000);
  });
});

describe('PartialTracker', () => {
  it('stops recording per-operation prefixes past its budget, keeping the overall longest', () => {
    const n = 400;
    const tracker = new PartialTracker(n, 1000);
    const stack = new Int32Array(n);
    // Dead ends of growing depth over disjoint groups of operations: each one is new for its operations.
    for (let round = 0; round < 20; round++) {
      const depth = 10 + round;
      for (let k = 0; k < depth; k++) {
        stack[k] = (round * 13 + k) % n;
        tracker.pushed(k, stack[k]!);
      }
      tracker.deadEnd(stack, depth);
    }
    expect(tracker.truncated).toBe(false);
    for (let round = 0; round < 200; round++) {
      const depth = 30 + (round % 50);
      for (let k = 0; k < depth; k++) {
        stack[k] = (round * 7 + k * 3) % n;
        tracker.pushed(k, stack[k]!);
      }
      tracker.deadEnd(stack, depth);
    }
    expect(tracker.truncated).toBe(true);
    const kept = tracker.prefixes();
    // Budget plus at most one prefix over it, plus the overall longest.
    expect(kept.reduce((sum, p) => sum + p.length, 0)).toBeLessThanOrEqual(1000 + 2 * n);
    expect(kept[0]!.length).toBe(79);
  });
});

describe('memory budget', () => {
  it('answers unknown with the reason instead of running out of memory', async () => {
    // A search that keeps growing (2^16 orders of concurrent writes), allowed 40 MB more than the process holds now.
    const r = await check(casRegister({ initial: 0 }), slowIllegal(16), {
      maxMemoryBytes: process.memoryUsage.rss() + 40 * 1024 * 1024,
      workers: 0,
      timeoutMs: 120_000,
    });
    expect(r.result).toBe('unknown');
    expect(r.reason).toBe('memory');
  });

  it('rejects a budget that is not a positive number', async () => {
    await expect(check(casRegister({ initial: 0 }), [], { maxMemoryBytes: 0 })).rejects.toThrow(/maxMemoryBytes/);
  });
});
