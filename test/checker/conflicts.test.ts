import { describe, expect, it } from 'vitest';
import { checkConflicts } from '../../src/checker/conflicts.ts';
import { loadChecker } from '../../src/checker/index.ts';
import { RegisterHistory } from './register-ops.ts';

const nodes = ['n1', 'n2', 'n3'];

/** One final read of `key` on every node, all returning `value`, from ms 100 on. */
const finals = (h: RegisterHistory, key: string, value: unknown, at = 100): RegisterHistory => {
  nodes.forEach((n, i) => {
    h.read(key, value, at + i, at + i + 0.5, n);
  });
  return h;
};

describe('conflicts checker', () => {
  it('flags a last-write-wins lost update: an older write survives a newer acknowledged one', () => {
    // n2's clock is behind: its later write 2 loses to 1.
    const h = new RegisterHistory().write('k', 1, 0, 1, 'ok', 'n1').write('k', 2, 5, 6, 'ok', 'n2');
    const r = checkConflicts(finals(h, 'k', 1).ops, { nodes });
    expect(r.valid).toBe(false);
    expect(r).toMatchObject({ keys: 1, acked: 2, lostUpdates: 1, overwritten: 0, converged: true });
    expect(r.lostUpdateExamples).toEqual([
      { key: 'k', value: 2, node: 'n2', writeIndex: 3, survivor: 1, survivorNode: 'n1', survivorIndex: 1, gapMs: 4 },
    ]);
    expect(r.summary).toBe('1 of 2 acknowledged writes lost to older ones; 0 concurrent writes overwritten; converged');
  });

  it('counts every newer write beaten by the same older survivor', () => {
    const h = new RegisterHistory()
      .write('k', 1, 0, 1, 'ok', 'n1')
      .write('k', 2, 5, 6, 'ok', 'n2')
      .write('k', 3, 7, 8, 'ok', 'n2');
    const r = checkConflicts(finals(h, 'k', 1).ops, { nodes });
    expect(r.lostUpdates).toBe(2);
    expect(r.lostUpdateExamples.map((l) => l.value)).toEqual([2, 3]);
  });

  it('keeps concurrent writes as siblings under version vectors: nothing lost or overwritten', () => {
    const h = new RegisterHistory().write('k', 1, 0, 10, 'ok', 'n1').write('k', 2, 2, 12, 'ok', 'n2');
    h.read('k', [1, 2], 20, 21, 'n3');
    const r = checkConflicts(finals(h, 'k', [1, 2]).ops, { nodes });
    expect(r.valid).toBe(true);
    expect(r).toMatchObject({
      lostUpdates: 0,
      overwritten: 0,
      siblingReads: 4,
      maxSiblings: 2,
      keysWithSiblings: 1,
      siblingKeys: ['k'],
      converged: true,
      divergentKeys: [],
    });
    expect(r.summary).toBe(
      '0 of 2 acknowledged writes lost to older ones; 0 concurrent writes overwritten; 4 reads returned siblings (up to 2); 1 keys end with siblings; converged',
    );
  });

  it('does not count siblings resolved by a later write that read them', () => {
    const h = new RegisterHistory()
      .write('k', 1, 0, 10, 'ok', 'n1')
      .write('k', 2, 2, 12, 'ok', 'n2')
      .read('k', [1, 2], 20, 21)
      .write('k', 3, 22, 23);
    const r = checkConflicts(finals(h, 'k', 3).ops, { nodes });
    expect(r).toMatchObject({ valid: true, lostUpdates: 0, overwritten: 0, siblingReads: 1, keysWithSiblings: 0 });
  });

  it('does not count a write superseded by a later survivor that saw it while it was still being acknowledged', () => {
    // Version vectors: 1 completes; 2 starts on n2; before 2 is acknowledged a client reads 2 (not yet 1) on n2
    // and writes 3 with that context, superseding 2 but not 1. The end state {1, 3} has no 2, and 1 precedes 2.
    const h = new RegisterHistory()
      .write('k', 1, 0, 1, 'ok', 'n1')
      .write('k', 2, 5, 20, 'ok', 'n2')
      .read('k', 2, 8, 9, 'n2')
      .write('k', 3, 10, 12, 'ok', 'n2');
    const r = checkConflicts(finals(h, 'k', [1, 3]).ops, { nodes });
    expect(r).toMatchObject({ valid: true, lostUpdates: 0 });
  });

  it('counts a concurrent write dropped by last-write-wins as overwritten, not lost', () => {
    const h = new RegisterHistory().write('k', 1, 0, 10, 'ok', 'n1').write('k', 2, 2, 12, 'ok', 'n2');
    const r = checkConflicts(finals(h, 'k', 2).ops, { nodes });
    expect(r).toMatchObject({ valid: true, lostUpdates: 0, overwritten: 1 });
  });

  it('counts neither when a later write overwrote normally', () => {
    const h = new RegisterHistory().write('k', 1, 0, 1).write('k', 2, 2, 3).write('k', 3, 4, 5);
    const r = checkConflicts(finals(h, 'k', 3).ops, { nodes });
    expect(r).toMatchObject({ valid: true, lostUpdates: 0, overwritten: 0, acked: 3 });
  });

  it('counts a write as overwritten normally when a later write follows it, even if that one was dropped too', () => {
    // 1 then 2 (sequential), 3 concurrent with 2, 3 wins: 1 was overwritten by 2, 2 dropped concurrently.
    const h = new RegisterHistory().write('k', 1, 0, 1).write('k', 2, 2, 10).write('k', 3, 3, 11, 'ok', 'n2');
    const r = checkConflicts(finals(h, 'k', 3).ops, { nodes });
    expect(r).toMatchObject({ lostUpdates: 0, overwritten: 1 });
  });

  it('a key back to its initial null after acknowledged writes lost them to the initial state', () => {
    const h = new RegisterHistory().write('k', 1, 1, 2);
    const r = checkConflicts(finals(h, 'k', null).ops, { nodes });
    expect(r.lostUpdates).toBe(1);
    expect(r.lostUpdateExamples[0]).toMatchObject({ value: 1, survivor: null, survivorIndex: -1, survivorNode: null });
  });

  it('an ok cas writes its new value; failed and indeterminate writes are not acknowledged', () => {
    const h = new RegisterHistory()
      .write('k', 1, 0, 1)
      .cas('k', 1, 2, 2, 3)
      .write('k', 3, 4, 5, 'fail')
      .write('k', 4, 6, 7, 'info');
    const r = checkConflicts(finals(h, 'k', 2).ops, { nodes });
    expect(r).toMatchObject({ valid: true, acked: 2, lostUpdates: 0, overwritten: 0 });
  });

  it('an indeterminate survivor never beats anything (it may have happened late)', () => {
    const h = new RegisterHistory().write('k', 1, 0, 1, 'info').write('k', 2, 5, 6);
    const r = checkConflicts(finals(h, 'k', 1).ops, { nodes });
    expect(r).toMatchObject({ valid: true, lostUpdates: 0, overwritten: 1 });
  });

  it('reports divergent keys when nodes disagree after healing, judged on each node latest final read', () => {
    const h = new RegisterHistory().write('a', 1, 0, 1).write('b', 2, 0, 1);
    h.read('a', 1, 100, 101, 'n1').read('a', 1, 100, 101, 'n2').read('a', 1, 100, 101, 'n3');
    // b: n3 first disagrees, then catches up; n2 stays behind.
    h.read('b', 2, 100, 101, 'n1').read('b', null, 100, 101, 'n2').read('b', null, 100, 101, 'n3');
    h.read('b', 2, 102, 103, 'n3');
    const r = checkConflicts(h.ops, { nodes });
    expect(r.converged).toBe(false);
    expect(r.divergentKeys).toEqual(['b']);
    expect(r.lostUpdates).toBe(0); // 2 survives on n1 and n3
    expect(r.finalReads).toEqual({
      count: 7,
      byNode: { n1: { reads: 2 }, n2: { reads: 2 }, n3: { reads: 3 } },
      missingNodes: [],
    });
    expect(r.summary).toContain('1 keys diverge');
  });

  it('judges keys independently and names keys without a final read', () => {
    const h = new RegisterHistory().write('a', 1, 0, 1).write('a', 2, 5, 6).write('b', 3, 0, 1);
    const r = checkConflicts(finals(h, 'a', 1).ops, { nodes: [...nodes, 'n4'] });
    expect(r).toMatchObject({ keys: 2, acked: 3, lostUpdates: 1, unjudgedKeys: ['b'] });
    expect(r.finalReads.missingNodes).toEqual(['n4']);
  });

  it('answers unknown without a final read; a read during the writes is not final', () => {
    const h = new RegisterHistory().write('k', 1, 0, 1).read('k', 1, 2, 3).write('k', 2, 4, 10);
    const r = checkConflicts(h.ops, { nodes });
    expect(r.valid).toBe('unknown');
    expect(r.converged).toBe(false);
    expect(r.finalReads.count).toBe(0);
    expect(r.summary).toBe('no final read: cannot tell which writes survived');
  });

  it('a write that never completed ends at its invocation for final reads', () => {
    const h = new RegisterHistory().write('k', 1, 0, 1).write('k', 2, 5, undefined);
    const r = checkConflicts(finals(h, 'k', 1, 6).ops, { nodes });
    expect(r.finalReads.count).toBe(3);
    expect(r).toMatchObject({ valid: true, acked: 1, lostUpdates: 0 });
  });

  it('survives malformed and unexpected final values without crashing', () => {
    const h = new RegisterHistory().write('k', 1, 0, 1);
    h.read('k', { weird: true }, 100, 101, 'n1')
      .read('k', [1, [2]], 100, 101, 'n2')
      .read('k', 99, 100, 101, 'n3');
    const r = checkConflicts(h.ops, { nodes });
    expect(r.unexpected).toBe(1);
    expect(r.converged).toBe(false);
    expect(r.lostUpdates).toBe(0); // 1 did not survive, but 99 names no write that could have beaten it
    expect(r.summary).toContain('1 surviving values nobody wrote');
  });

  it('is registered as "conflicts" and ignores nemesis ops', async () => {
    const h = new RegisterHistory().write('k', 1, 0, 1).nemesis('start-clock', 2).write('k', 2, 5, 6);
    const r = await loadChecker('conflicts').check(finals(h, 'k', 1).ops, { nodes });
    expect(r.valid).toBe(false);
    expect(r.lostUpdates).toBe(1);
  });
});
