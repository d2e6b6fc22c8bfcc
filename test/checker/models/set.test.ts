import { describe, expect, it } from 'vitest';
import { set } from '../../../src/checker/models/index.ts';
import { legal, run } from './helpers.ts';

describe('set model', () => {
  it('reads every element added, in any order', () => {
    // Elements are kept in the order of their JSON text.
    expect(
      run(set(), [
        ['add', 1, 1],
        ['add', 'x', 'x'],
        ['read', null, [1, 'x']],
      ]),
    ).toEqual(['#{1}', '#{"x", 1}', '#{"x", 1}']);
  });

  it('rejects a read missing an element, or with an extra one', () => {
    expect(
      legal(set(), [
        ['add', 1, 1],
        ['read', null, []],
      ]),
    ).toBe(false);
    expect(
      legal(set(), [
        ['add', 1, 1],
        ['read', null, [1, 2]],
      ]),
    ).toBe(false);
  });

  it('adding twice is the same as once', () => {
    expect(
      legal(set(), [
        ['add', 1, 1],
        ['add', 1, 1],
        ['read', null, [1]],
      ]),
    ).toBe(true);
  });

  it('rejects a read that is not a collection', () => {
    expect(legal(set(), [['read', null, 3]])).toBe(false);
  });
});
