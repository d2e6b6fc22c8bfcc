import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Sibling } from '../../src/replica/version-vector.ts';
import { compareVV, contextOf, mergeSiblings, mergeVV, writeSibling } from '../../src/replica/version-vector.ts';

describe('version vectors', () => {
  test('compare: equal, before, after, concurrent', () => {
    expect(compareVV({ a: 1 }, { a: 1 })).toBe('equal');
    expect(compareVV({}, { a: 1 })).toBe('before');
    expect(compareVV({ a: 2, b: 1 }, { a: 1 })).toBe('after');
    expect(compareVV({ a: 1 }, { b: 1 })).toBe('concurrent');
    expect(mergeVV({ a: 2 }, { a: 1, b: 3 })).toEqual({ a: 2, b: 3 });
  });

  test('concurrent writes become siblings; a write with their context supersedes both', () => {
    const a = writeSibling([], 1, {}, 'n1');
    const b = writeSibling([], 2, {}, 'n2');
    const both = mergeSiblings(a.siblings, b.siblings);
    expect(both.map((s) => s.value)).toEqual([1, 2]);
    const c = writeSibling(both, 3, contextOf(both), 'n1');
    expect(c.siblings.map((s) => s.value)).toEqual([3]);
    expect(c.sibling.vv).toEqual({ n1: 2, n2: 1 });
    // Replicas that only see the delta converge to the same register.
    expect(mergeSiblings(both, [c.sibling])).toEqual(c.siblings);
  });

  test('a write with a stale context leaves the sibling it did not see', () => {
    const first = writeSibling([], 1, {}, 'n1');
    const second = writeSibling(first.siblings, 2, contextOf(first.siblings), 'n2');
    const stale = writeSibling(second.siblings, 3, contextOf(first.siblings), 'n1');
    expect(stale.siblings.map((s) => s.value)).toEqual([2, 3]);
  });

  test('mergeSiblings is commutative, associative and idempotent', () => {
    const node = fc.constantFrom('n1', 'n2', 'n3');
    // Registers built by random writes at random nodes with random (possibly stale) contexts.
    const register = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 9 }), node, fc.boolean()), { maxLength: 6 })
      .map((ws) => {
        let siblings: Sibling[] = [];
        for (const [value, n, blind] of ws)
          siblings = writeSibling(siblings, value, blind ? {} : contextOf(siblings), n).siblings;
        return siblings;
      });
    fc.assert(
      fc.property(register, register, register, (a, b, c) => {
        expect(mergeSiblings(a, b)).toEqual(mergeSiblings(b, a));
        expect(mergeSiblings(mergeSiblings(a, b), c)).toEqual(mergeSiblings(a, mergeSiblings(b, c)));
        expect(mergeSiblings(a, a)).toEqual(mergeSiblings(a, []));
      }),
    );
  });
});
