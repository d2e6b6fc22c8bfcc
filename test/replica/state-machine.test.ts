import { describe, expect, test } from 'vitest';
import { compareScalars, createStore } from '../../src/replica/state-machine.ts';

describe('store', () => {
  test('registers start null; put overwrites; cas applies only on a match', () => {
    const s = createStore();
    expect(s.get('x')).toBe(null);
    expect(s.apply({ type: 'cas', key: 'x', from: null, to: 1 })).toEqual({ ok: true });
    expect(s.apply({ type: 'cas', key: 'x', from: 0, to: 2 })).toEqual({
      ok: false,
      error: 'cas-mismatch',
      current: 1,
    });
    expect(s.get('x')).toBe(1);
    s.apply({ type: 'put', key: 'x', value: 'a' });
    expect(s.get('x')).toBe('a');
  });

  test('sets keep each element once and read back sorted; reset forgets everything', () => {
    const s = createStore();
    for (const e of [10, 2, 'b', 2, 'a', -1]) s.apply({ type: 'add', key: 's', element: e });
    expect(s.members('s')).toEqual([-1, 2, 10, 'a', 'b']);
    expect(s.members('other')).toEqual([]);
    s.reset();
    expect(s.members('s')).toEqual([]);
  });

  test('scalar order puts numbers before strings before booleans before null', () => {
    expect([null, true, 'x', 3].sort(compareScalars)).toEqual([3, 'x', true, null]);
  });
});
