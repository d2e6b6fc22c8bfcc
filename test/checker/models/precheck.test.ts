import { describe, expect, it } from 'vitest';
import type { Operation } from '../../../src/checker/linearizable/types.ts';
import { casRegister, kv, kvAppend, type OpInput, register } from '../../../src/checker/models/index.ts';
import { cas, keyed, op, read, write } from '../linearizable/helpers.ts';

/**
 * The models' pre-checks (`impossible`), called directly: what they flag
 * (a definite operation no reachable state accepts) and, as much, what they
 * must not (anything some linearization or state could explain).
 */

const get = (client: number, call: number, ret: number | null, value: string) =>
  op(client, call, ret, 'get', null, value);
const put = (client: number, call: number, ret: number | null, value: string) => op(client, call, ret, 'put', value);
const append = (client: number, call: number, ret: number | null, value: string) =>
  op(client, call, ret, 'append', value);
const onKey = (key: string, ops: Operation<OpInput, unknown>[]) => ops.map((o) => keyed(o, key));

describe('register and cas-register pre-check', () => {
  it('passes reads of written values and of the initial value', () => {
    const ops = [read(0, 0, 1, 0), write(1, 2, 3, 5), read(0, 4, 5, 5), read(2, 0, 9, 0)];
    expect(register({ initial: 0 }).impossible!(ops)).toBeUndefined();
    expect(casRegister({ initial: 0 }).impossible!(ops)).toBeUndefined();
  });

  it('flags a definite read of a value nothing wrote, naming it', () => {
    const bad = read(2, 6, 7, 9);
    const found = register({ initial: 0 }).impossible!([write(1, 0, 1, 5), read(0, 2, 3, 5), bad]);
    expect(found).toEqual({ id: bad.id, why: expect.stringMatching(/^pre-check: it reads 9, which no operation/) });
  });

  it('does not flag a value written only by a crashed (info) write, nor a cas that may have swapped', () => {
    const crashedWrite = write(1, 0, null, 7);
    expect(register({ initial: 0 }).impossible!([crashedWrite, read(0, 5, 6, 7)])).toBeUndefined();
    const crashedCas = cas(1, 0, null, 0, 8);
    expect(casRegister({ initial: 0 }).impossible!([crashedCas, read(0, 5, 6, 8)])).toBeUndefined();
  });

  it('leaves indeterminate reads and, where nil means unknown, nil reads alone', () => {
    expect(register({ initial: 0 }).impossible!([read(0, 0, null, 42), read(1, 0, 1, null)])).toBeUndefined();
    // With a nil initial value, nil is a real value, and 3 was never written.
    expect(register().impossible!([read(1, 0, 1, 3)])?.id).toBeTypeOf('number');
  });

  it('flags a definite cas whose expected value was never written, not one that failed', () => {
    const bad = cas(0, 2, 3, 4, 5);
    const found = casRegister({ initial: 0 }).impossible!([write(1, 0, 1, 1), bad]);
    expect(found).toEqual({ id: bad.id, why: expect.stringMatching(/^pre-check: it expects 4/) });
    // A cas that returned at infinity may never have happened.
    expect(casRegister({ initial: 0 }).impossible!([write(1, 0, 1, 1), cas(0, 2, null, 4, 5)])).toBeUndefined();
  });

  it('compares structured values as the model does', () => {
    const ops = [write(0, 0, 1, { a: [1, 2] }), read(1, 2, 3, { a: [1, 2] })];
    expect(register().impossible!(ops)).toBeUndefined();
    expect(register().impossible!([...ops, read(1, 4, 5, { a: [2, 1] })])).toBeDefined();
  });

  it('throws for an operation the model does not know, as its step does', () => {
    expect(() => register().impossible!([op(0, 0, 1, 'cas', [0, 1])])).toThrow(/model register cannot check/);
    expect(() => casRegister().impossible!([op(0, 0, 1, 'cas', 5)])).toThrow(/a cas value must be \[old, new\]/);
  });
});

describe('kv pre-check', () => {
  it('looks at each key on its own, partitioned or as one map', () => {
    const ops = [...onKey('a', [write(0, 0, 1, 1)]), ...onKey('b', [read(1, 2, 3, 1)])];
    for (const partition of [true, false]) {
      expect(kv({ initial: 0, partition }).impossible!(ops)?.id).toBe(ops[1]!.id);
      expect(kv({ initial: 0, partition }).impossible!(ops.slice(0, 1))).toBeUndefined();
    }
  });
});

describe('kv-append pre-check', () => {
  const model = kvAppend({ initial: '' });
  const check = (ops: Operation<OpInput, unknown>[]) => model.impossible!(onKey('k', ops));

  it('passes values made of a put and appends, in any order the appends may take', () => {
    expect(check([append(0, 0, 5, 'x'), append(1, 0, 5, 'y'), get(2, 6, 7, 'yx'), get(3, 6, 7, 'yx')])).toBeUndefined();
    expect(check([put(0, 0, 1, 'p'), append(1, 2, 3, 'q'), get(2, 4, 5, 'pq'), get(2, 6, 7, '')])).toBeUndefined();
  });

  it('flags a get of text that is no concatenation of what was put and appended', () => {
    const bad = get(2, 6, 7, 'xz');
    expect(check([put(0, 0, 1, 'p'), append(1, 0, 5, 'x'), bad])).toEqual({
      id: bad.id,
      why: expect.stringMatching(/^pre-check: it reads "xz", which is no initial or put value/),
    });
  });

  it('without puts: flags a get shorter than the appends that returned before it, or longer than all that may precede it', () => {
    const short = get(2, 10, 11, 'x');
    expect(check([append(0, 0, 1, 'x'), append(1, 2, 3, 'y'), short])?.why).toMatch(
      /^pre-check: it reads 1 characters; the key has no put, and the appends that must precede it make at least 2/,
    );
    const long = get(2, 0, 1, 'xy');
    expect(check([append(0, 0, 1, 'x'), append(1, 2, 3, 'y'), long])?.why).toMatch(/those that may at most 1$/);
    // An append that returned exactly when the get was called may still follow it (closed intervals).
    expect(check([append(0, 0, 1, 'x'), append(1, 0, 4, 'y'), get(2, 4, 5, 'x')])).toBeUndefined();
  });

  it('counts a crashed append as one that may have taken effect, never as one that must', () => {
    expect(check([append(0, 0, null, 'x'), get(1, 5, 6, 'x'), get(1, 7, 8, '')])).toBeUndefined();
  });
});

describe('register and cas-register: crashed operations nobody observed (prune)', () => {
  const ids = (ops: readonly Operation<OpInput, unknown>[]) => ops.map((o) => o.id);

  it('leaves out crashed reads and crashed writes of values no read returned and no cas expects', () => {
    const unread = write(1, 0, null, 7);
    const crashedRead = read(2, 0, null, undefined);
    const read5 = read(0, 5, 6, 5);
    const ops = [write(0, 0, 1, 5), unread, crashedRead, read5];
    expect(ids(register({ initial: 0 }).prune!(ops))).toEqual(ids([ops[0]!, read5]));
  });

  it('keeps a crashed write whose value was read, or that a cas expects, and a crashed cas whose new value was read', () => {
    const readBack = write(1, 0, null, 7);
    const expected = write(1, 10, null, 8);
    const swapped = cas(2, 20, null, 8, 9);
    const ops = [readBack, read(0, 5, 6, 7), expected, swapped, read(0, 30, 31, 9)];
    const pruned = casRegister({ initial: 0 }).prune!(ops);
    expect(pruned).toBe(ops); // nothing left out: the same array
  });

  it('never leaves out a definite operation, observed or not', () => {
    // write(5) completed before the read began: the read of 0 is illegal, and must stay so.
    const ops = [write(0, 0, 1, 5), read(1, 2, 3, 0)];
    expect(register({ initial: 0 }).prune!(ops)).toBe(ops);
  });

  it('treats a nil read as observing nothing where nil means unknown', () => {
    const crashedNil = write(1, 0, null, null);
    const ops = [crashedNil, read(0, 5, 6, null)];
    // initial 0: a nil read means "not known", so the crashed write of nil is unobserved.
    expect(ids(register({ initial: 0 }).prune!(ops))).toEqual([ops[1]!.id]);
    // initial nil: nil is a real value, read back.
    expect(register({ initial: null }).prune!(ops)).toBe(ops);
  });
});
