import { describe, expect, it } from 'vitest';
import { resolveModel } from '../../../src/checker/linearizable/model.ts';
import { kv } from '../../../src/checker/models/index.ts';
import { legal, run } from './helpers.ts';

describe('kv model', () => {
  it('keeps one register per key', () => {
    expect(
      run(kv(), [
        ['write', 1, 1, 'a'],
        ['write', 2, 2, 'b'],
        ['read', null, 1, 'a'],
        ['cas', [2, 3], [2, 3], 'b'],
      ]),
    ).toEqual(['{"a": 1}', '{"a": 1, "b": 2}', '{"a": 1, "b": 2}', '{"a": 1, "b": 3}']);
  });

  it('rejects a read of another key’s value', () => {
    expect(
      legal(kv(), [
        ['write', 1, 1, 'a'],
        ['read', null, 1, 'b'],
      ]),
    ).toBe(false);
  });

  it('partitions by key unless told not to', () => {
    const ops = ['a', 'b', 'a'].map((key, id) => ({
      id,
      clientId: 0,
      input: { f: 'write', key, value: id },
      call: id,
      output: id,
      return: id,
    }));
    expect(
      resolveModel(kv())
        .partitions(ops)
        .map((p) => [p.key, p.ops.length]),
    ).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(resolveModel(kv({ partition: false })).partitions(ops)).toHaveLength(1);
  });

  it('gives equal contents equal states, whatever the order of writes', () => {
    const m = kv({ initial: 0 });
    const s1 = m.step(
      m.step(m.init(), { f: 'write', key: 'a', value: 1 }, 1) as never,
      { f: 'write', key: 'b', value: 2 },
      2,
    );
    const s2 = m.step(
      m.step(m.init(), { f: 'write', key: 'b', value: 2 }, 2) as never,
      { f: 'write', key: 'a', value: 1 },
      1,
    );
    expect(m.equal!(s1 as never, s2 as never)).toBe(true);
    expect(m.hash!(s1 as never)).toBe(m.hash!(s2 as never));
    // Writing the initial value back is the same as never writing.
    const back = m.step(m.init(), { f: 'write', key: 'a', value: 0 }, 0);
    expect(m.equal!(back as never, m.init())).toBe(true);
  });

  it('requires a key', () => {
    expect(() => run(kv(), [['write', 1, 1]])).toThrow(/model kv cannot check operation f="write without a key"/);
  });
});
