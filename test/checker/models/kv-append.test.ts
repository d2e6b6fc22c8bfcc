import { describe, expect, it } from 'vitest';
import { kvAppend } from '../../../src/checker/models/index.ts';
import { legal, run } from './helpers.ts';

describe('kv-append model', () => {
  it('puts, appends and gets strings per key, from ""', () => {
    expect(
      run(kvAppend(), [
        ['get', null, '', 'x'],
        ['append', 'ab', 'ab', 'x'],
        ['append', 'c', 'c', 'x'],
        ['get', null, 'abc', 'x'],
        ['put', 'z', 'z', 'y'],
      ]),
    ).toEqual(['{}', '{"x": "ab"}', '{"x": "abc"}', '{"x": "abc"}', '{"x": "abc", "y": "z"}']);
  });

  it('rejects a get that misses an append', () => {
    expect(
      legal(kvAppend(), [
        ['append', 'a', 'a', 'x'],
        ['get', null, '', 'x'],
      ]),
    ).toBe(false);
  });

  it('hashes appended strings consistently with strings put whole', () => {
    const m = kvAppend();
    const appended = m.step(
      m.step(m.init(), { f: 'append', key: 'k', value: 'ab' }, 'ab') as never,
      { f: 'append', key: 'k', value: 'cd' },
      'cd',
    );
    const put = m.step(m.init(), { f: 'put', key: 'k', value: 'abcd' }, 'abcd');
    expect(m.equal!(appended as never, put as never)).toBe(true);
    expect(m.hash!(appended as never)).toBe(m.hash!(put as never));
  });

  it('takes a configurable initial value', () => {
    expect(legal(kvAppend({ initial: 'seed' }), [['get', null, 'seed', 'x']])).toBe(true);
  });

  it('refuses read/write, which are kv’s', () => {
    expect(() => run(kvAppend(), [['read', null, '', 'x']])).toThrow(/it knows get, put, append/);
  });
});
