import { describe, expect, it } from 'vitest';
import { casRegister } from '../../../src/checker/models/index.ts';
import { legal, run } from './helpers.ts';

describe('cas-register model', () => {
  it('swaps when the old value matches', () => {
    expect(
      run(casRegister({ initial: 0 }), [
        ['cas', [0, 5], [0, 5]],
        ['read', null, 5],
      ]),
    ).toEqual(['5', '5']);
  });

  it('rejects a successful cas whose old value does not match', () => {
    expect(legal(casRegister({ initial: 0 }), [['cas', [1, 5], [1, 5]]])).toBe(false);
  });

  it('an indeterminate cas swaps only if the old value matches, and is legal either way', () => {
    expect(run(casRegister({ initial: 0 }), [['cas', [0, 5], undefined]])).toEqual(['5']);
    expect(run(casRegister({ initial: 0 }), [['cas', [1, 5], undefined]])).toEqual(['0']);
  });

  it('reads and writes like a register, from nil by default', () => {
    expect(
      run(casRegister(), [
        ['read', null, null],
        ['write', 2, 2],
        ['read', null, 2],
      ]),
    ).toEqual(['null', '2', '2']);
    expect(
      legal(casRegister(), [
        ['write', 2, 2],
        ['read', null, 3],
      ]),
    ).toBe(false);
  });

  it('demands [old, new] for cas', () => {
    expect(() => run(casRegister(), [['cas', 3, 3]])).toThrow(/a cas value must be \[old, new\], got 3/);
  });

  it('names unknown functions', () => {
    expect(() => run(casRegister(), [['add', 1, 1]])).toThrow(
      /cannot check operation f="add"; it knows read, write, cas/,
    );
  });

  it('carries a spec so worker threads can rebuild it', () => {
    expect(casRegister({ initial: 0 }).spec).toEqual({
      name: 'cas-register',
      options: { initial: 0, nilRead: 'unknown' },
    });
  });

  it('describes a cas with both values', () => {
    expect(casRegister().describeOperation!({ f: 'cas', value: [1, 2] }, [1, 2])).toBe('cas(1, 2)');
  });
});
