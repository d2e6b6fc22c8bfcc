import { describe, expect, it } from 'vitest';
import { checkCounter } from '../../src/checker/counter.ts';
import { loadChecker } from '../../src/checker/index.ts';
import { RegisterHistory } from './register-ops.ts';

const nodes = ['n1', 'n2', 'n3'];

/** One final read per node, from ms 100 on. */
const finals = (h: RegisterHistory, values: readonly unknown[]): RegisterHistory => {
  values.forEach((v, i) => {
    h.read(undefined, v, 100 + i, 100.5 + i, nodes[i]);
  });
  return h;
};

const adds = (...deltas: number[]): RegisterHistory => {
  const h = new RegisterHistory();
  deltas.forEach((d, i) => {
    h.add(d, 2 * i, 2 * i + 1);
  });
  return h;
};

describe('counter checker', () => {
  it('is valid and converged when every final read equals the acknowledged sum', () => {
    const r = checkCounter(finals(adds(1, 2, 3, -1), [5, 5, 5]).ops, { nodes });
    expect(r.valid).toBe(true);
    expect(r).toMatchObject({
      acked: 4,
      ackedSum: 5,
      indeterminate: 0,
      expectedMin: 5,
      expectedMax: 5,
      finalValues: { n1: 5, n2: 5, n3: 5 },
      converged: true,
      impossibleReads: 0,
      lostIncrements: 0,
      finalOutOfRange: 0,
    });
    expect(r.finalReads).toEqual({
      count: 3,
      byNode: { n1: { reads: 1 }, n2: { reads: 1 }, n3: { reads: 1 } },
      missingNodes: [],
    });
    expect(r.summary).toBe('final value 5 on every node, expected 5');
  });

  it('reports lost increments when a final value is below the acknowledged sum', () => {
    const r = checkCounter(finals(adds(1, 2, 3, 4), [10, 7, 10]).ops, { nodes });
    expect(r.valid).toBe(false);
    expect(r).toMatchObject({ lostIncrements: 3, finalOutOfRange: 1, converged: false, excessIncrements: 0 });
    expect(r.summary).toBe('final values 10, 7, expected 10; 3 increments lost');
  });

  it('widens the acceptable range by indeterminate adds, both ways', () => {
    const h = adds(2, 3).add(4, 10, 11, 'info').add(-2, 12, 13, 'info').add(100, 14, 15, 'fail');
    const ok = checkCounter(finals(h, [7, 3, 9]).ops, { nodes });
    expect(ok).toMatchObject({ valid: true, ackedSum: 5, indeterminate: 2, failed: 1, expectedMin: 3, expectedMax: 9 });
    expect(ok.summary).toBe('final values 7, 3, 9, expected 3..9');

    const below = checkCounter(finals(adds(2, 3).add(4, 10, 11, 'info').add(-2, 12, 13, 'info'), [2]).ops, { nodes });
    expect(below).toMatchObject({ valid: false, lostIncrements: 1 });
  });

  it('counts a failed add for nothing: a final value that includes it is too high', () => {
    const h = adds(1, 1).add(5, 10, 11, 'fail');
    const r = checkCounter(finals(h, [7, 7, 7]).ops, { nodes });
    expect(r).toMatchObject({ valid: false, expectedMax: 2, excessIncrements: 5, lostIncrements: 0 });
    expect(r.summary).toContain('5 more than was ever added');
  });

  it('treats an add with no completion as indeterminate, ending at its invocation', () => {
    const h = adds(1).add(3, 5, undefined);
    const r = checkCounter(finals(h, [4, 1, 4]).ops, { nodes });
    expect(r).toMatchObject({ valid: true, indeterminate: 1, expectedMin: 1, expectedMax: 4, converged: false });
  });

  it('flags a read no interleaving explains, and accepts one that some interleaving does', () => {
    const h = new RegisterHistory()
      .add(5, 0, 10)
      .add(-3, 1, 2)
      .read(undefined, 5, 3, 4) // 5 invoked at 0 may be in, -3 not yet visible: fine
      .read(undefined, -3, 3, 4) // fine
      .read(undefined, 6, 3, 4) // more than 5 invoked so far: impossible
      .read(undefined, -4, 3, 4) // below -3: impossible
      .add(1, 20, 21)
      .read(undefined, 6, 15, 16); // the +1 was invoked after this read completed: impossible
    const r = checkCounter(finals(h, [3, 3, 3]).ops, { nodes });
    expect(r.impossibleReads).toBe(3);
    expect(r.valid).toBe(false);
    expect(r.summary).toBe('final value 3 on every node, expected 3; 3 impossible reads');
  });

  it('counts an add invoked at the instant the read completed as possibly seen', () => {
    const h = new RegisterHistory().read(undefined, 2, 0, 5).add(2, 5, 6);
    expect(checkCounter(finals(h, [2, 2, 2]).ops, { nodes }).impossibleReads).toBe(0);
  });

  it('answers unknown without a final read', () => {
    const h = new RegisterHistory().add(1, 0, 10).read(undefined, 0, 2, 3);
    const r = checkCounter(h.ops, { nodes });
    expect(r.valid).toBe('unknown');
    expect(r.converged).toBe(false);
    expect(r.finalValues).toEqual({});
    expect(r.finalReads.missingNodes).toEqual(nodes);
    expect(r.summary).toBe('no final read (expected 1)');
  });

  it('survives malformed deltas and read values, counting them', () => {
    const h = adds(1)
      .add('x', 3, 4)
      .add(1.5, 5, 6)
      .add({ delta: 1 }, 7, 8, 'info')
      .read(undefined, 'abc', 9, 10)
      .read(undefined, null, 11, 12)
      .read(undefined, [1], 13, 14);
    const r = checkCounter(finals(h, [1, { n: 1 }, 1]).ops, { nodes });
    expect(r).toMatchObject({ malformedAdds: 3, malformedReads: 4, acked: 1, ackedSum: 1, valid: true, reads: 2 });
    expect(r.malformedExamples).toEqual(['"x"', '1.5', '{"delta":1}', '"abc"', 'null']);
    expect(r.finalValues).toEqual({ n1: 1, n3: 1 });
    expect(r.summary).toBe('final value 1 on every node, expected 1; 7 malformed values ignored');
  });

  it('uses each node latest final read, and ignores nemesis ops', async () => {
    const h = adds(1, 1).add(1, 10, 11, 'info').nemesis('stop-partition', 50);
    h.read(undefined, 3, 100, 101, 'n1').read(undefined, 2, 102, 103, 'n1');
    const r = await loadChecker('counter').check(h.ops, { nodes: ['n1'] });
    expect(r).toMatchObject({ valid: true, finalValues: { n1: 2 }, converged: true, expectedMin: 2, expectedMax: 3 });
    expect(r.finalReads).toMatchObject({ count: 2, byNode: { n1: { reads: 2 } } });
  });
});
