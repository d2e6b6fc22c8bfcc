import { describe, expect, it } from 'vitest';
import { fromHistory } from '../../../src/checker/linearizable/from-history.ts';
import type { Op, OpType, Process } from '../../../src/history/op.ts';

const history = (rows: [Process, OpType, string, unknown, string?][]): Op[] =>
  rows.map(([process, type, f, value, key], index) => ({
    index,
    time: index * 10,
    type,
    process,
    f,
    value,
    ...(key === undefined ? {} : { key }),
  }));

describe('fromHistory', () => {
  it('pairs each invoke with the completion of the same process', () => {
    const ops = fromHistory(
      history([
        [0, 'invoke', 'write', 1],
        [1, 'invoke', 'read', null],
        [1, 'ok', 'read', 0],
        [0, 'ok', 'write', 1],
      ]),
    );
    expect(ops).toEqual([
      { id: 0, clientId: 0, input: { f: 'write', value: 1 }, call: 0, output: 1, return: 30 },
      { id: 1, clientId: 1, input: { f: 'read', value: null }, call: 10, output: 0, return: 20 },
    ]);
  });

  it('leaves out failed operations: they did not happen', () => {
    const ops = fromHistory(
      history([
        [0, 'invoke', 'cas', [1, 2]],
        [0, 'fail', 'cas', [1, 2]],
        [0, 'invoke', 'read', null],
        [0, 'ok', 'read', 0],
      ]),
    );
    expect(ops.map((o) => o.id)).toEqual([2]);
  });

  it('makes info and unfinished operations return at infinity with an unknown output', () => {
    const ops = fromHistory(
      history([
        [0, 'invoke', 'write', 1],
        [0, 'info', 'write', 'timed-out'],
        [5, 'invoke', 'write', 2],
      ]),
    );
    expect(ops).toHaveLength(2);
    for (const o of ops) {
      expect(o.return).toBe(Number.POSITIVE_INFINITY);
      expect(o.output).toBeUndefined();
    }
    expect(ops[0]!.input).toEqual({ f: 'write', value: 1 });
  });

  it('skips nemesis operations and keeps keys', () => {
    const ops = fromHistory(
      history([
        ['nemesis', 'info', 'start-partition', 'halves'],
        [0, 'invoke', 'write', 3, 'k1'],
        ['nemesis', 'info', 'stop-partition', null],
        [0, 'ok', 'write', 3, 'k1'],
      ]),
    );
    expect(ops).toEqual([
      { id: 1, clientId: 0, input: { f: 'write', key: 'k1', value: 3 }, call: 10, output: 3, return: 30 },
    ]);
  });

  it('ignores a completion without an open invoke, and a second invoke leaves the first open', () => {
    const ops = fromHistory(
      history([
        [0, 'ok', 'read', 1],
        [0, 'invoke', 'write', 1],
        [0, 'invoke', 'write', 2],
        [0, 'ok', 'write', 2],
      ]),
    );
    expect(ops.map((o) => [o.id, o.return])).toEqual([
      [1, Number.POSITIVE_INFINITY],
      [2, 30],
    ]);
  });
});
