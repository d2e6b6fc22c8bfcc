import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../src/base/errors.ts';
import { parseJsonlHistory } from '../../src/history/jsonl.ts';
import type { Op } from '../../src/history/op.ts';
import { checkWellFormed, valueDepth } from '../../src/history/well-formed.ts';

const op = (index: number, type: Op['type'], process: Op['process'], value: unknown = null): Op => ({
  index,
  time: index,
  type,
  process,
  f: 'write',
  value,
});
const line = (o: object) => JSON.stringify(o);
const refusal = (f: () => unknown): FaultlineError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FaultlineError);
    return e as FaultlineError;
  }
  throw new Error('expected a refusal');
};

describe('checkWellFormed', () => {
  it('accepts invoke/completion pairs per process, crashed ops left open, and nemesis ops', () => {
    expect(() =>
      checkWellFormed([
        op(0, 'invoke', 0),
        op(1, 'invoke', 'nemesis'),
        op(2, 'invoke', 1),
        op(3, 'ok', 0),
        op(4, 'info', 'nemesis'),
        op(5, 'invoke', 0),
      ]),
    ).not.toThrow();
  });

  it('refuses a completion without an invocation, two ops in flight on one process, and a repeated index', () => {
    expect(refusal(() => checkWellFormed([op(0, 'ok', 0)])).message).toBe(
      'op 0: an ok completion of process 0 without an invocation',
    );
    expect(refusal(() => checkWellFormed([op(0, 'invoke', 3), op(1, 'invoke', 3)])).message).toBe(
      'op 1: process 3 invokes while op 0 is still in flight',
    );
    expect(refusal(() => checkWellFormed([op(4, 'invoke', 0), op(4, 'ok', 0)])).message).toBe(
      'op index 4 appears twice',
    );
  });

  it('names the line of the op in a JSONL history', () => {
    const text = [
      line({ faultline: 'history', version: 1 }),
      line(op(0, 'invoke', 0)),
      line(op(1, 'ok', 0)),
      line(op(1, 'invoke', 0)),
    ].join('\n');
    const e = refusal(() => parseJsonlHistory(text, 'h.jsonl'));
    expect(e.describe()).toMatch(/^h\.jsonl:4: op index 1 appears twice/);
  });

  it('refuses values nested 10,000 levels deep with the line, and measures depth without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(valueDepth(deep, 20_000)).toBe(10_000);
    expect(valueDepth({ a: [1, { b: 2 }] })).toBe(3);
    const value = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const text = `${line(op(0, 'invoke', 0))}\n${line(op(1, 'ok', 0)).replace('"value":null', `"value":${value}`)}\n`;
    const e = refusal(() => parseJsonlHistory(text, 'deep.jsonl'));
    expect(e.describe()).toBe('deep.jsonl:2: a value nested deeper than 200 levels');
  });
});
