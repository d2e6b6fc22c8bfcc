import { describe, expect, it } from 'vitest';
import { register } from '../../../src/checker/models/index.ts';
import { legal, run } from './helpers.ts';

describe('register model', () => {
  it('reads what was last written', () => {
    expect(
      run(register({ initial: 0 }), [
        ['read', null, 0],
        ['write', 3, 3],
        ['read', null, 3],
      ]),
    ).toEqual(['0', '3', '3']);
  });

  it('rejects a read of another value', () => {
    expect(
      legal(register({ initial: 0 }), [
        ['write', 3, 3],
        ['read', null, 4],
      ]),
    ).toBe(false);
  });

  it('starts from nil by default, where a nil read is a real value', () => {
    expect(legal(register(), [['read', null, null]])).toBe(true);
    expect(
      legal(register(), [
        ['write', 1, 1],
        ['read', null, null],
      ]),
    ).toBe(false);
  });

  it('treats a nil read as unknown when the initial value is not nil (Knossos convention)', () => {
    expect(
      legal(register({ initial: 0 }), [
        ['write', 1, 1],
        ['read', null, null],
      ]),
    ).toBe(true);
    expect(
      legal(register({ initial: 0, nilRead: 'value' }), [
        ['write', 1, 1],
        ['read', null, null],
      ]),
    ).toBe(false);
  });

  it('accepts an indeterminate read in any state', () => {
    expect(legal(register({ initial: 0 }), [['read', null, undefined]])).toBe(true);
  });

  it('compares structured values by content', () => {
    expect(
      legal(register(), [
        ['write', [1, { a: 2 }], [1, { a: 2 }]],
        ['read', null, [1, { a: 2 }]],
      ]),
    ).toBe(true);
  });

  it('refuses cas, which it does not model', () => {
    expect(() => run(register(), [['cas', [0, 1], [0, 1]]])).toThrow(
      /model register cannot check operation f="cas"; it knows read, write/,
    );
  });

  it('describes operations', () => {
    const m = register();
    expect(m.describeOperation!({ f: 'read', value: null }, 3)).toBe('read() → 3');
    expect(m.describeOperation!({ f: 'write', value: 3 }, 3)).toBe('write(3)');
    expect(m.describeOperation!({ f: 'write', value: 3 }, undefined)).toBe('write(3) → ?');
  });
});
