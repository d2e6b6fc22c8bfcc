import { describe, expect, expectTypeOf, it } from 'vitest';
import { checkBank } from '../../src/checker/bank.ts';
import { checkConflicts } from '../../src/checker/conflicts.ts';
import { checkCounter } from '../../src/checker/counter.ts';
import type { CheckerResultMap, CheckerResults } from '../../src/checker/index.ts';
import { checkSession } from '../../src/checker/session.ts';
import { checkSet } from '../../src/checker/set.ts';
import { checkSplitBrain } from '../../src/checker/split-brain.ts';
import { checkStaleness } from '../../src/checker/staleness.ts';
import type { Op } from '../../src/history/op.ts';
import {
  CLAIM_CHECKERS,
  claimedGenericCheckers,
  evaluateClaims,
  measureRequest,
  runVerdict,
} from '../../src/run/claims.ts';
import { claimsSchema } from '../../src/run/config.ts';
import { RegisterHistory } from '../checker/register-ops.ts';
import { HistoryBuilder } from '../fixtures/history-builder.ts';

const nodes = ['n1', 'n2', 'n3'];

/** A set history: `acked` adds acknowledged, of which the final reads on every node miss `lost`. */
const setResult = (acked: number, lost: number, extra: (b: HistoryBuilder) => void = () => {}) => {
  const b = new HistoryBuilder();
  for (let i = 0; i < acked; i++) b.add(0, i);
  extra(b);
  const kept = Array.from({ length: acked - lost }, (_, i) => i);
  b.at(1000);
  for (const n of nodes) b.read(10, n, kept);
  return checkSet(b.ops, { nodes });
};

/** Process 0 writes 1 then 2; process 1 reads 1 `lagMs` after 2 was acknowledged. */
const staleHistory = (lagMs: number): Op[] =>
  new RegisterHistory()
    .write('k', 1, 0, 1)
    .write('k', 2, 2, 3)
    .read('k', 1, 3 + lagMs, 4 + lagMs, 'n2').ops;

describe('evaluateClaims', () => {
  it('fails a sync preset on one lost write', () => {
    const claims = evaluateClaims({ lostWrites: 'none' }, { set: setResult(100, 1) });
    expect(claims).toEqual([
      { name: 'lostWrites', expected: 'none', held: false, detail: '1 of 100 acknowledged writes lost' },
    ]);
    expect(runVerdict(claims)).toBe(false);
  });

  it("reports but allows an async preset's losses", () => {
    const claims = evaluateClaims({ lostWrites: 'allowed' }, { set: setResult(100, 12) });
    expect(claims[0]).toMatchObject({
      held: true,
      detail: '12 of 100 acknowledged writes lost (allowed by this topology)',
    });
    expect(runVerdict(claims)).toBe(true);
  });

  it('never allows elements nobody wrote', () => {
    const set = setResult(10, 0, (b) => b.read(5, 'n1', [0, 999]));
    expect(evaluateClaims({ lostWrites: 'allowed' }, { set })[0]!.held).toBe(false);
  });

  it('marks claims no checker measured as untested, which do not count', () => {
    const claims = evaluateClaims({ linearizable: true, lostWrites: 'none' }, { set: setResult(5, 0) });
    expect(claims[0]).toMatchObject({ name: 'linearizable', held: 'untested' });
    expect(runVerdict(claims)).toBe(true);
  });

  it('a crashed checker makes its claims unknown, with the reason', () => {
    const claims = evaluateClaims({ lostWrites: 'none' }, { set: { valid: 'unknown', error: 'boom' } });
    expect(claims[0]).toMatchObject({ held: 'unknown', detail: 'the set checker failed: boom' });
  });

  it('judges convergence by the final reads', () => {
    const b = new HistoryBuilder();
    for (let i = 0; i < 6; i++) b.add(0, i);
    b.at(1000).read(10, 'n1', [0, 1, 2, 3, 4, 5]).read(11, 'n2', [0, 1]);
    const claims = evaluateClaims({ convergence: true }, { set: checkSet(b.ops, { nodes }) });
    expect(claims[0]).toMatchObject({ held: false, detail: 'nodes disagree after healing (4 elements differ)' });
  });

  it('judges stale reads from the staleness checker', () => {
    const staleness = checkStaleness(staleHistory(100));
    expect(evaluateClaims({ staleReads: 'none' }, { staleness })[0]).toMatchObject({
      held: false,
      detail: '1 of 1 reads stale (up to 100 ms behind)',
    });
    expect(evaluateClaims({ staleReads: 'allowed' }, { staleness })[0]!.held).toBe(true);
  });

  it('judges a stale-read bound in ms and versions, with the measured figure beside each bound', () => {
    const staleness = checkStaleness(staleHistory(100));
    const within = evaluateClaims({ staleReads: { maxMs: 150, maxVersions: 1 } }, { staleness })[0]!;
    expect(within.held).toBe(true);
    expect(within.bounds).toEqual([
      { measure: 'max staleness (ms)', bound: 150, op: '<=', measured: 100, held: true },
      { measure: 'max versions behind', bound: 1, op: '<=', measured: 1, held: true },
    ]);
    const beyond = evaluateClaims({ staleReads: { maxMs: 50 } }, { staleness })[0]!;
    expect(beyond).toMatchObject({ held: false, bounds: [{ measured: 100, held: false }] });
    expect(beyond.detail).toContain('max staleness (ms) 100 (bound ≤ 50, violated)');
  });

  it('a quantile bound ignores the stalest reads beyond it', () => {
    // 99 fresh reads and one 100 ms behind: p99 is 0, the max is 100.
    const h = new RegisterHistory().write('k', 1, 0, 1).write('k', 2, 2, 3);
    for (let i = 0; i < 99; i++) h.read('k', 2, 10 + i, 10.5 + i);
    h.read('k', 1, 203, 204);
    const claims = { staleReads: { maxMs: 10, quantile: 0.99 } } as const;
    const staleness = checkStaleness(h.ops, measureRequest(claims));
    expect(evaluateClaims(claims, { staleness })[0]).toMatchObject({
      held: true,
      bounds: [{ measure: 'p99 staleness (ms)', measured: 0 }],
    });
    expect(evaluateClaims({ staleReads: { maxMs: 10 } }, { staleness })[0]!.held).toBe(false);
  });

  it('judges a t-visibility bound (PBS) at the t the claim names', () => {
    // A write acknowledged at 3 ms; reads at 5 ms miss it, reads at 60 ms see it.
    const h = new RegisterHistory().write('k', 1, 1, 3);
    for (let i = 0; i < 4; i++) h.read('k', null, 5, 6);
    for (let i = 0; i < 6; i++) h.read('k', 1, 60, 61);
    const claims = { staleReads: { visibility: { afterMs: 50, atLeast: 0.99 } } } as const;
    const staleness = checkStaleness(h.ops, measureRequest(claims));
    expect(evaluateClaims(claims, { staleness })[0]).toMatchObject({ held: true, bounds: [{ measured: 1 }] });
    const early = { staleReads: { visibility: { afterMs: 1, atLeast: 0.9 } } } as const;
    const atOne = checkStaleness(h.ops, measureRequest(early));
    expect(evaluateClaims(early, { staleness: atOne })[0]).toMatchObject({ held: false, bounds: [{ measured: 0.6 }] });
  });

  it('judges lost updates from the conflicts checker, and convergence from its final reads', () => {
    // 1 written through n1 at 0-1; 2 through n2 at 2-3; every node ends with 1: an older write won.
    const h = new RegisterHistory().write('k', 1, 0, 1, 'ok', 'n1').write('k', 2, 2, 3, 'ok', 'n2');
    for (const n of nodes) h.read('k', 1, 10, 11, n);
    const conflicts = checkConflicts(h.ops, { nodes });
    const claims = evaluateClaims({ lostUpdates: 'none', convergence: true }, { conflicts });
    expect(claims.map((c) => c.held)).toEqual([false, true]);
  });

  it('a claim is held only with evidence: nothing acknowledged, read or completed is unknown', () => {
    // Adds that all failed, then final reads of an empty set on every node.
    const b = new HistoryBuilder().add(0, 1, 'fail').add(0, 2, 'fail').at(100);
    for (const n of nodes) b.read(5, n, []);
    const set = checkSet(b.ops, { nodes });
    expect(evaluateClaims({ lostWrites: 'none' }, { set })[0]).toMatchObject({
      held: 'unknown',
      detail: 'no write was acknowledged: nothing to vouch for',
    });
    const staleness = checkStaleness(new RegisterHistory().write('k', 1, 0, 1).ops);
    expect(evaluateClaims({ staleReads: 'none' }, { staleness })[0]!.held).toBe('unknown');
    expect(evaluateClaims({ staleReads: { maxMs: 10 } }, { staleness })[0]!.held).toBe('unknown');
    const session = checkSession(new RegisterHistory().write('k', 1, 0, 1).ops);
    expect(evaluateClaims({ readYourWrites: true }, { session })[0]!.held).toBe('unknown');
    const splitBrain = checkSplitBrain([]);
    expect(
      evaluateClaims({ splitBrain: 'none', fencing: true }, { 'split-brain': splitBrain }).map((c) => c.held),
    ).toEqual(['unknown', 'unknown']);
    const linearizable: CheckerResultMap['linearizable'] = {
      valid: true,
      model: 'cas-register',
      partitions: 1,
      elapsedMs: 1,
      opCount: 12,
      indeterminate: 12,
    };
    expect(evaluateClaims({ linearizable: true }, { linearizable })[0]).toMatchObject({
      held: 'unknown',
      detail: 'no operation completed: nothing to vouch for',
    });
    expect(
      evaluateClaims({ linearizable: true }, { linearizable: { ...linearizable, indeterminate: 2 } })[0]!.held,
    ).toBe(true);

    // What the topology does not claim needs no evidence: the same results leave it held.
    const unclaimed = evaluateClaims(
      {
        lostWrites: 'allowed',
        staleReads: 'allowed',
        readYourWrites: false,
        splitBrain: 'allowed',
        fencing: false,
        linearizable: false,
      },
      { set, staleness, session, 'split-brain': splitBrain, linearizable },
    );
    expect(unclaimed.map((c) => [c.name, c.held])).toEqual([
      ['linearizable', true],
      ['lostWrites', true],
      ['staleReads', true],
      ['readYourWrites', true],
      ['splitBrain', true],
      ['fencing', true],
    ]);
    expect(unclaimed[4]!.detail).toBe(
      'no write was acknowledged by a known node: nothing measured (not claimed by this topology)',
    );
  });

  it('judges lost increments from the counter checker', () => {
    const h = new RegisterHistory().add(3, 0, 1).add(4, 2, 3);
    for (const n of nodes) h.read(undefined, 7, 10, 11, n);
    const counter = checkCounter(h.ops, { nodes });
    expect(evaluateClaims({ lostIncrements: 'none' }, { counter })[0]).toMatchObject({ held: true });
    const lossy = new RegisterHistory().add(3, 0, 1).add(4, 2, 3);
    for (const n of nodes) lossy.read(undefined, 4, 10, 11, n);
    expect(evaluateClaims({ lostIncrements: 'none' }, { counter: checkCounter(lossy.ops, { nodes }) })[0]!.held).toBe(
      false,
    );
  });

  it('judges each session guarantee from the session checker', () => {
    // Process 0 writes 2 over 1, then reads 1 from a lagging follower: read-your-writes violated.
    const h = new RegisterHistory();
    const ops = h.write('k', 1, 0, 1).ops;
    const session = checkSession([
      ...ops,
      { index: 2, time: 2e6, type: 'invoke', process: 5, f: 'write', key: 'k', value: 2, node: 'n1' },
      { index: 3, time: 3e6, type: 'ok', process: 5, f: 'write', key: 'k', value: 2, node: 'n1' },
      { index: 4, time: 4e6, type: 'invoke', process: 5, f: 'read', key: 'k', value: null, node: 'n2' },
      { index: 5, time: 5e6, type: 'ok', process: 5, f: 'read', key: 'k', value: 1, node: 'n2' },
    ]);
    const claims = evaluateClaims({ readYourWrites: true, monotonicReads: true }, { session });
    expect(claims[0]).toMatchObject({
      name: 'readYourWrites',
      held: false,
      detail: '1 reads in 1 of 2 sessions violated read-your-writes',
    });
    expect(claims[1]).toMatchObject({ name: 'monotonicReads', held: true });
    expect(evaluateClaims({ readYourWrites: false }, { session })[0]).toMatchObject({ held: true });
  });

  it('judges split brain and fencing from the split-brain checker', () => {
    const ack = (i: number, node: string, term: number, t: number): Op[] => [
      { index: 2 * i, time: t * 1e6, type: 'invoke', process: i, f: 'add', value: i, node },
      { index: 2 * i + 1, time: (t + 1) * 1e6, type: 'ok', process: i, f: 'add', value: i, node, term },
    ];
    const clean = checkSplitBrain([...ack(0, 'n1', 1, 0), ...ack(1, 'n1', 1, 2), ...ack(2, 'n2', 2, 10)]);
    const split = checkSplitBrain([...ack(0, 'n1', 1, 0), ...ack(1, 'n2', 2, 2), ...ack(2, 'n1', 1, 10)]);
    expect(evaluateClaims({ splitBrain: 'none', fencing: true }, { 'split-brain': clean }).map((c) => c.held)).toEqual([
      true,
      true,
    ]);
    const claims = evaluateClaims({ splitBrain: 'none', fencing: true }, { 'split-brain': split });
    expect(claims.map((c) => c.held)).toEqual([false, false]);
    expect(claims[1]!.detail).toBe(
      '1 of 3 writes acknowledged by a deposed leader after its successor acknowledged one',
    );
    expect(evaluateClaims({ splitBrain: 'allowed' }, { 'split-brain': split })[0]!.held).toBe(true);
  });

  it('judges a conserved total from the bank checker', () => {
    const options = { accounts: ['a0', 'a1'], initialBalance: 10 };
    const good = new HistoryBuilder().read(0, 'n1', { a0: 7, a1: 13 });
    const bad = new HistoryBuilder().read(0, 'n1', { a0: 7, a1: 10 });
    const judge = (ops: Op[]) =>
      evaluateClaims({ totalConserved: true }, { bank: checkBank(ops, { nodes, options }) })[0]!.held;
    expect(judge(good.ops)).toBe(true);
    expect(judge(bad.ops)).toBe(false);
  });

  it('passes an unknown linearizability verdict through', () => {
    const lin: CheckerResultMap['linearizable'] = {
      valid: 'unknown',
      model: 'cas-register',
      partitions: 1,
      opCount: 3,
      indeterminate: 0,
      elapsedMs: 1,
    };
    const claims = evaluateClaims({ linearizable: true }, { linearizable: lin });
    expect(claims[0]!.held).toBe('unknown');
    expect(runVerdict(claims)).toBe('unknown');
  });
});

describe('claims and their checkers', () => {
  it('reads typed checker fields (a renamed field does not compile)', () => {
    expectTypeOf<CheckerResultMap['set']>().toHaveProperty('lost').toEqualTypeOf<number>();
    expectTypeOf<CheckerResultMap['staleness']>().toHaveProperty('distribution');
    expectTypeOf<CheckerResultMap['split-brain']>().toHaveProperty('deposedAcks').toEqualTypeOf<number>();
    expectTypeOf<CheckerResults>().toHaveProperty('session');
  });

  it('names a checker for every claim, and runs split-brain whatever the workload when claimed', () => {
    expect(Object.keys(CLAIM_CHECKERS).sort()).toEqual(Object.keys(claimsSchema.shape).sort());
    expect(claimedGenericCheckers({ splitBrain: 'none', lostWrites: 'none' })).toEqual(['split-brain']);
    expect(claimedGenericCheckers({ lostWrites: 'none' })).toEqual([]);
  });

  it('rejects a stale-read bound with nothing to bound', () => {
    expect(claimsSchema.safeParse({ staleReads: { quantile: 0.9 } }).success).toBe(false);
    expect(claimsSchema.safeParse({ staleReads: { maxMs: 100, quantile: 0.9 } }).success).toBe(true);
    expect(claimsSchema.safeParse({ staleReads: { visibility: { afterMs: 100, atLeast: 1.5 } } }).success).toBe(false);
  });
});
