import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Entry } from '../../src/replica/raft-log.ts';
import {
  isUpToDate,
  lastPosition,
  majority,
  nextCommitIndex,
  planAppend,
  quorumIndex,
  termAt,
} from '../../src/replica/raft-log.ts';

/** A log from a list of terms: [1,1,2] → entries 1..3 with those terms. */
const logOf = (...terms: number[]): Entry[] => terms.map((term, i) => ({ term, index: i + 1, op: { type: 'noop' } }));
const entries = (from: number, ...terms: number[]): Entry[] =>
  terms.map((term, i) => ({ term, index: from + i, op: { type: 'put', key: 'k', value: from + i } }));

describe('log positions', () => {
  test('the empty log ends at the sentinel 0@0', () => {
    expect(lastPosition([])).toEqual({ term: 0, index: 0 });
    expect(termAt([], 0)).toBe(0);
    expect(termAt([], 1)).toBeUndefined();
    expect(termAt(logOf(1, 2), 2)).toBe(2);
  });
});

describe('the up-to-date rule for votes', () => {
  test('a later last term wins even with a shorter log', () => {
    expect(isUpToDate({ term: 3, index: 1 }, { term: 2, index: 10 })).toBe(true);
    expect(isUpToDate({ term: 2, index: 10 }, { term: 3, index: 1 })).toBe(false);
  });
  test('with equal last terms the longer log wins, and equal logs qualify', () => {
    expect(isUpToDate({ term: 2, index: 5 }, { term: 2, index: 6 })).toBe(false);
    expect(isUpToDate({ term: 2, index: 6 }, { term: 2, index: 6 })).toBe(true);
    expect(isUpToDate({ term: 2, index: 7 }, { term: 2, index: 6 })).toBe(true);
  });
  test('is a total preorder: of two logs at least one is up to date with the other', () => {
    const pos = fc.record({ term: fc.nat(5), index: fc.nat(20) });
    fc.assert(fc.property(pos, pos, (a, b) => isUpToDate(a, b) || isUpToDate(b, a)));
  });
});

describe('AppendEntries consistency check', () => {
  test('rejects when the follower lacks prevIndex, pointing past its end', () => {
    expect(planAppend(logOf(1, 1), 5, 1, entries(6, 1))).toEqual({ kind: 'reject', conflictIndex: 3 });
  });

  test('rejects a term mismatch at prevIndex, pointing at the start of the conflicting term', () => {
    expect(planAppend(logOf(1, 2, 2, 2), 4, 3, [])).toEqual({ kind: 'reject', conflictIndex: 2 });
  });

  test('appends new entries after a matching prefix', () => {
    const plan = planAppend(logOf(1, 1), 2, 1, entries(3, 1, 2));
    expect(plan).toMatchObject({ kind: 'accept', truncateFrom: undefined, lastNewIndex: 4 });
    expect(plan.kind === 'accept' && plan.append.map((e) => e.index)).toEqual([3, 4]);
  });

  test('truncates the suffix from the first entry whose term differs', () => {
    const plan = planAppend(logOf(1, 1, 2, 2), 1, 1, entries(2, 1, 3));
    expect(plan).toMatchObject({ kind: 'accept', truncateFrom: 3, lastNewIndex: 3 });
    expect(plan.kind === 'accept' && plan.append.map((e) => [e.index, e.term])).toEqual([[3, 3]]);
  });

  test('a stale, shorter retry of entries already held truncates nothing', () => {
    const plan = planAppend(logOf(1, 1, 1, 1), 1, 1, entries(2, 1));
    expect(plan).toEqual({ kind: 'accept', truncateFrom: undefined, append: [], lastNewIndex: 2 });
  });

  test('applying a plan to a follower makes its log agree with the leader up to lastNewIndex', () => {
    const sorted = (min: number, max: number) =>
      fc.array(fc.integer({ min, max }), { maxLength: 6 }).map((ts) => ts.sort((a, b) => a - b));
    // Logs as Raft can produce them: a common prefix, then suffixes from disjoint terms
    // (the log matching property: an (index, term) pair shared by two logs implies a shared prefix).
    fc.assert(
      fc.property(sorted(1, 4), sorted(10, 14), sorted(5, 9), fc.nat(12), fc.nat(12), (prefix, ls, fs, a, b) => {
        const leader = logOf(...prefix, ...ls);
        const follower = logOf(...prefix, ...fs);
        const prevIndex = Math.min(a, leader.length);
        const end = Math.min(leader.length, prevIndex + b);
        const plan = planAppend(follower, prevIndex, termAt(leader, prevIndex)!, leader.slice(prevIndex, end));
        if (plan.kind === 'reject') {
          return termAt(follower, prevIndex) !== termAt(leader, prevIndex) && plan.conflictIndex <= prevIndex + 1;
        }
        const next = [...follower];
        if (plan.truncateFrom !== undefined) next.length = plan.truncateFrom - 1;
        next.push(...plan.append);
        for (let i = 1; i <= plan.lastNewIndex; i++) if (termAt(next, i) !== termAt(leader, i)) return false;
        return next.every((e, i) => e.index === i + 1);
      }),
    );
  });
});

describe('commit', () => {
  test('quorumIndex is the highest index that a quorum has reached', () => {
    expect(quorumIndex([5, 3, 9], 2)).toBe(5);
    expect(quorumIndex([5, 3, 9], 3)).toBe(3);
    expect(quorumIndex([5, 3, 9], 1)).toBe(9);
    expect(majority(3)).toBe(2);
    expect(majority(4)).toBe(3);
    expect(majority(1)).toBe(1);
  });

  test('only an entry of the current term commits by counting replicas', () => {
    const log = logOf(1, 1, 2);
    // Index 2 (term 1) is on a majority, but the leader is in term 2: not committed by counting.
    expect(nextCommitIndex(log, [3, 2, 0], 2, 2, 0)).toBe(0);
    // Once index 3 (term 2) is on a majority, everything up to it commits.
    expect(nextCommitIndex(log, [3, 3, 0], 2, 2, 0)).toBe(3);
  });

  test('sync (quorum = every node) waits for the slowest follower', () => {
    expect(nextCommitIndex(logOf(1, 1, 1), [3, 3, 1], 3, 1, 0)).toBe(1);
  });

  test('never moves the commit index backwards', () => {
    expect(nextCommitIndex(logOf(1, 1, 1), [3, 1, 1], 2, 1, 2)).toBe(2);
  });
});
