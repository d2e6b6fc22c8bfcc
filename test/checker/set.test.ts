import { describe, expect, it } from 'vitest';
import { checkSet, setChecker } from '../../src/checker/set.ts';
import { HistoryBuilder } from '../fixtures/history-builder.ts';

const nodes = ['n1', 'n2', 'n3'];
const finalReads = (b: HistoryBuilder, value: unknown, ns = nodes): HistoryBuilder => {
  ns.forEach((n, i) => {
    b.read(100 + i, n, value);
  });
  return b;
};

describe('set checker', () => {
  it('is valid when every acknowledged add is in every final read', async () => {
    const b = new HistoryBuilder().add(0, 1).add(1, 2).add(0, 3);
    finalReads(b, [1, 2, 3]);
    const r = await setChecker.check(b.ops, { nodes });
    expect(r.valid).toBe(true);
    expect(r).toMatchObject({ attempted: 3, acked: 3, lost: 0, lostElements: [], converged: true, divergent: 0 });
    expect(r.finalReads.count).toBe(3);
    expect(r.finalReads.byNode.n2).toEqual({ reads: 1, elements: 3 });
    expect(r.finalReads.missingNodes).toEqual([]);
    expect(r.summary).toBe('0 of 3 acknowledged adds lost; 0 of 0 indeterminate adds recovered');
  });

  it('reports exactly the lost acknowledged element', () => {
    const b = new HistoryBuilder().add(0, 1).add(1, 2).add(0, 3).add(1, 4);
    finalReads(b, [1, 3, 4]);
    const r = checkSet(b.ops, { nodes });
    expect(r.valid).toBe(false);
    expect(r.lost).toBe(1);
    expect(r.lostElements).toEqual([2]);
    expect(r.converged).toBe(true);
  });

  it('counts an element lost only when it is absent from every final read', () => {
    const b = new HistoryBuilder().add(0, 1).add(0, 2);
    b.read(100, 'n1', [1, 2]).read(101, 'n2', [1]).read(102, 'n3', [1]);
    const r = checkSet(b.ops, { nodes });
    expect(r.lost).toBe(0);
    expect(r.valid).toBe(true);
    expect(r.divergent).toBe(1);
    expect(r.divergentElements).toEqual([2]);
    expect(r.converged).toBe(false);
  });

  it('counts an indeterminate add that shows up as recovered, and one that does not as neither lost nor recovered', () => {
    const b = new HistoryBuilder().add(0, 1).add(0, 2, 'info').add(1, 3, 'info');
    finalReads(b, [1, 2]);
    const r = checkSet(b.ops, { nodes });
    expect(r.valid).toBe(true);
    expect(r).toMatchObject({ recovered: 1, recoveredElements: [2], indeterminate: 2, lost: 0 });
  });

  it('treats an add with no completion (interrupted run) as indeterminate and leaves no final read', () => {
    const b = new HistoryBuilder().add(0, 1).op(1, 'invoke', 'add', 2);
    finalReads(b, [1, 2]);
    const r = checkSet(b.ops, { nodes });
    expect(r.valid).toBe('unknown');
    expect(r.finalReads.count).toBe(0);
    expect(r.indeterminate).toBe(1);
  });

  it('flags an element no add ever attempted as unexpected', () => {
    const b = new HistoryBuilder().add(0, 1);
    finalReads(b, [1, 99]);
    const r = checkSet(b.ops, { nodes });
    expect(r.valid).toBe(false);
    expect(r).toMatchObject({ unexpected: 1, unexpectedElements: [99], lost: 0 });
  });

  it('flags a failed add that appears as failedPresent', () => {
    const b = new HistoryBuilder().add(0, 1).add(0, 2, 'fail').add(0, 3, 'fail');
    finalReads(b, [1, 2]);
    const r = checkSet(b.ops, { nodes });
    expect(r.valid).toBe(false);
    expect(r).toMatchObject({ failed: 2, failedPresent: 1, failedPresentElements: [2], unexpected: 0 });
  });

  it('answers unknown when there is no final read, false still wins', () => {
    const noFinal = new HistoryBuilder().read(5, 'n1', []).add(0, 1);
    const r = checkSet(noFinal.ops, { nodes });
    expect(r.valid).toBe('unknown');
    expect(r.lost).toBe(0);
    expect(r.converged).toBe(false);
    expect(r.finalReads.missingNodes).toEqual(nodes);
    expect(r.summary).toMatch(/^no final read: cannot tell/);

    const unexpected = new HistoryBuilder().read(5, 'n1', [7]).add(0, 1);
    expect(checkSet(unexpected.ops, { nodes }).valid).toBe(false);
  });

  it('a final read that failed is not a final read', () => {
    const b = new HistoryBuilder().add(0, 1);
    b.op(100, 'invoke', 'read', null, { node: 'n1' }).op(100, 'fail', 'read', null, { node: 'n1' });
    b.op(101, 'invoke', 'read', null, { node: 'n2' }).op(101, 'info', 'read', null, { node: 'n2' });
    b.read(102, 'n3', [1]);
    const r = checkSet(b.ops, { nodes });
    expect(r.finalReads.count).toBe(1);
    expect(r.finalReads.missingNodes).toEqual(['n1', 'n2']);
    expect(r.valid).toBe(true);
  });

  it('counts malformed read values without crashing and ignores them', () => {
    const hostile = [
      'not an array',
      { length: 3 },
      [1, 'two'],
      [1.5],
      null,
      ['</script><img src=x onerror=alert(1)>'],
      [Number.MAX_SAFE_INTEGER + 2],
      Array.from({ length: 200_000 }, (_, i) => (i === 199_999 ? 'x' : i)),
    ];
    const b = new HistoryBuilder().add(0, 1);
    for (const v of hostile) b.read(1, 'n1', v);
    finalReads(b, [1]);
    const r = checkSet(b.ops, { nodes });
    expect(r.malformedReads).toBe(hostile.length);
    expect(r.malformedExamples).toHaveLength(5);
    expect(r.malformedExamples[0]).toBe('"not an array"');
    expect(r.reads).toBe(3);
    expect(r.valid).toBe(true);
    expect(r.summary).toContain(`${hostile.length} malformed reads`);
  });

  it('handles a huge valid read of unexpected elements with a capped list', () => {
    const b = new HistoryBuilder().add(0, 1);
    finalReads(
      b,
      Array.from({ length: 50_000 }, (_, i) => i + 1),
    );
    const r = checkSet(b.ops, { nodes });
    expect(r.unexpected).toBe(49_999);
    expect(r.unexpectedElements).toHaveLength(r.elementsCap);
    expect(r.unexpectedElements.slice(0, 3)).toEqual([2, 3, 4]);
  });

  it('counts stale reads: only non-final reads missing an element acknowledged before they were invoked', () => {
    const b = new HistoryBuilder();
    b.add(0, 1); // acked at t=2ms
    b.read(1, 'n2', []); // invoked after the ack, misses 1: stale
    b.read(1, 'n2', [1]); // fine
    b.op(0, 'invoke', 'add', 2);
    b.read(1, 'n3', [1]); // add 2 in flight: not stale
    b.op(0, 'ok', 'add', 2);
    // Concurrent read that starts before the ack of 3 completes: not stale.
    b.op(0, 'invoke', 'add', 3).op(1, 'invoke', 'read', null, { node: 'n1' }).op(0, 'ok', 'add', 3);
    b.op(1, 'ok', 'read', [1, 2], { node: 'n1' });
    finalReads(b, [1, 2, 3]);
    const r = checkSet(b.ops, { nodes });
    expect(r.staleReads).toBe(1);
    expect(r.reads).toBe(7);
  });

  it('measures visibility from the ack to the first read containing the element', () => {
    const b = new HistoryBuilder();
    b.at(0).op(0, 'invoke', 'add', 1).at(10).op(0, 'ok', 'add', 1);
    b.at(20).op(1, 'invoke', 'read', null, { node: 'n2' }).at(25).op(1, 'ok', 'read', [], { node: 'n2' });
    b.at(30).op(1, 'invoke', 'read', null, { node: 'n2' }).at(40).op(1, 'ok', 'read', [1], { node: 'n2' });
    b.at(50).op(0, 'invoke', 'add', 2).at(60).op(0, 'ok', 'add', 2);
    b.at(70).read(2, 'n1', [1, 2]);
    const r = checkSet(b.ops, { nodes: ['n1'] });
    // element 1: read ok at 40 - ack at 10 = 30 ms; element 2: 71 - 60 = 11 ms
    expect(r.visibilityMs).toEqual({ count: 2, p50: 11, p90: 30, p99: 30, max: 30 });
    expect(r.staleReads).toBe(1);
  });

  it("takes each node's latest final read for convergence", () => {
    const b = new HistoryBuilder().add(0, 1);
    b.read(100, 'n1', []).read(100, 'n1', [1]).read(101, 'n2', [1]);
    const r = checkSet(b.ops, { nodes: ['n1', 'n2'] });
    expect(r.converged).toBe(true);
    expect(r.finalReads.byNode.n1).toEqual({ reads: 2, elements: 1 });
  });

  it('ignores nemesis ops and unknown functions', () => {
    const b = new HistoryBuilder().nemesis('start-kill', { targets: ['n1'] }).add(0, 1);
    b.op(0, 'invoke', 'write', 5)
      .op(0, 'ok', 'write', 5)
      .nemesis('stop-kill', { targets: ['n1'] });
    finalReads(b, [1]);
    const r = checkSet(b.ops, { nodes });
    expect(r).toMatchObject({ valid: true, attempted: 1, acked: 1 });
  });

  it('survives a result serialised through JSON (results.json)', () => {
    const b = new HistoryBuilder().add(0, 1).add(0, 2);
    finalReads(b, [1]);
    const r = checkSet(b.ops, { nodes });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('gives the same answers for sparse or negative elements (no dense table)', () => {
    const big = 10 ** 12;
    const b = new HistoryBuilder().add(0, -5).add(0, big).add(0, 7, 'info').add(0, 3, 'fail');
    b.read(1, 'n1', [-5]).add(0, 8); // not final (an add follows); stale: misses big
    b.read(100, 'n1', [-5, big, 7, 3, 8]).read(101, 'n2', [-5, 7, 3, 42, 8]);
    const r = checkSet(b.ops, { nodes: ['n1', 'n2'] });
    expect(r).toMatchObject({
      lost: 0,
      recoveredElements: [7],
      failedPresentElements: [3],
      unexpectedElements: [42],
      divergentElements: [42, big],
      staleReads: 1,
    });
  });

  it('ignores duplicate entries within one read', () => {
    const b = new HistoryBuilder().add(0, 1).add(0, 2);
    b.read(1, 'n1', [1, 1, 1]).add(0, 3); // still misses 2: stale
    b.read(100, 'n1', [1, 2, 2, 1, 3]).read(101, 'n2', [3, 2, 1]);
    const r = checkSet(b.ops, { nodes: ['n1', 'n2'] });
    expect(r.staleReads).toBe(1);
    expect(r.finalReads.byNode.n1).toEqual({ reads: 1, elements: 3 });
    expect(r.converged).toBe(true);
  });
});
