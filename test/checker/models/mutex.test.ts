import { describe, expect, it } from 'vitest';
import { mutex } from '../../../src/checker/models/index.ts';
import { legal, run } from './helpers.ts';

describe('mutex model', () => {
  it('acquires when free and releases when held', () => {
    expect(
      run(mutex(), [
        ['acquire', null, null],
        ['release', null, null],
        ['acquire', null, null],
      ]),
    ).toEqual(['held', 'free', 'held']);
  });

  it('rejects a double acquire and a release of a free lock', () => {
    expect(
      legal(mutex(), [
        ['acquire', null, null],
        ['acquire', null, null],
      ]),
    ).toBe(false);
    expect(legal(mutex(), [['release', null, null]])).toBe(false);
  });
});
