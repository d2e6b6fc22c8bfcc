import { describe, expect, it } from 'vitest';
import { queue } from '../../../src/checker/models/index.ts';
import { legal, run } from './helpers.ts';

describe('queue model', () => {
  it('dequeues in FIFO order', () => {
    expect(
      run(queue(), [
        ['enqueue', 1, 1],
        ['enqueue', 2, 2],
        ['dequeue', null, 1],
        ['dequeue', null, 2],
      ]),
    ).toEqual(['[1]', '[1, 2]', '[2]', '[]']);
  });

  it('rejects an out-of-order dequeue', () => {
    expect(
      legal(queue(), [
        ['enqueue', 1, 1],
        ['enqueue', 2, 2],
        ['dequeue', null, 2],
      ]),
    ).toBe(false);
  });

  it('dequeues null from an empty queue, and nothing else', () => {
    expect(legal(queue(), [['dequeue', null, null]])).toBe(true);
    expect(legal(queue(), [['dequeue', null, 1]])).toBe(false);
  });

  it('an indeterminate dequeue removes the head', () => {
    expect(
      run(queue(), [
        ['enqueue', 1, 1],
        ['enqueue', 2, 2],
        ['dequeue', null, undefined],
      ]),
    ).toEqual(['[1]', '[1, 2]', '[2]']);
  });
});
