import { describe, expect, it } from 'vitest';
import { evaluateClaims, runVerdict } from '../../src/run/claims.ts';

const set = (lost: number, extra: Record<string, unknown> = {}) => ({
  valid: lost === 0,
  acked: 100,
  lost,
  unexpected: 0,
  failedPresent: 0,
  divergent: 0,
  converged: true,
  finalReads: { count: 3 },
  ...extra,
});

describe('evaluateClaims', () => {
  it('fails a sync preset on one lost write', () => {
    const claims = evaluateClaims({ lostWrites: 'none' }, { set: set(1) });
    expect(claims).toEqual([
      { name: 'lostWrites', expected: 'none', held: false, detail: '1 of 100 acknowledged writes lost' },
    ]);
    expect(runVerdict(claims)).toBe(false);
  });

  it("reports but allows an async preset's losses", () => {
    const claims = evaluateClaims({ lostWrites: 'allowed' }, { set: set(12) });
    expect(claims[0]).toMatchObject({
      held: true,
      detail: '12 of 100 acknowledged writes lost (allowed by this topology)',
    });
    expect(runVerdict(claims)).toBe(true);
  });

  it('never allows elements nobody wrote', () => {
    const claims = evaluateClaims({ lostWrites: 'allowed' }, { set: set(0, { unexpected: 2 }) });
    expect(claims[0]!.held).toBe(false);
  });

  it('marks claims no checker measured as untested, which do not count', () => {
    const claims = evaluateClaims({ linearizable: true, lostWrites: 'none' }, { set: set(0) });
    expect(claims[0]).toMatchObject({ name: 'linearizable', held: 'untested' });
    expect(runVerdict(claims)).toBe(true);
  });

  it('passes an unknown linearizability verdict through', () => {
    const claims = evaluateClaims({ linearizable: true }, { linearizable: { valid: 'unknown' } });
    expect(claims[0]!.held).toBe('unknown');
    expect(runVerdict(claims)).toBe('unknown');
  });

  it('judges convergence by the final reads', () => {
    const claims = evaluateClaims({ convergence: true }, { set: set(0, { converged: false, divergent: 4 }) });
    expect(claims[0]).toMatchObject({
      held: false,
      detail: 'nodes disagree after healing (4 elements differ)',
    });
  });

  it('judges stale reads from the staleness checker', () => {
    const staleness = { valid: false, reads: 50, staleReads: 3, maxStaleMs: 180.4, unexpected: 0 };
    expect(evaluateClaims({ staleReads: 'none' }, { staleness })[0]).toMatchObject({
      held: false,
      detail: '3 of 50 reads stale (up to 180 ms behind)',
    });
    expect(evaluateClaims({ staleReads: 'allowed' }, { staleness })[0]!.held).toBe(true);
  });

  it('judges lost updates from the conflicts checker, and convergence from its final reads', () => {
    const conflicts = {
      valid: false,
      acked: 40,
      lostUpdates: 2,
      siblingReads: 0,
      converged: true,
      divergentKeys: [],
      finalReads: 9,
    };
    const claims = evaluateClaims({ lostUpdates: 'none', convergence: true }, { conflicts });
    expect(claims.map((c) => c.held)).toEqual([false, true]);
  });

  it('a claim is held only with evidence: nothing acknowledged, read or completed is unknown', () => {
    const set = { valid: true, acked: 0, lost: 0, unexpected: 0, failedPresent: 0, finalReads: 3, converged: true };
    expect(evaluateClaims({ lostWrites: 'none' }, { set })[0]).toMatchObject({
      held: 'unknown',
      detail: 'no write was acknowledged: nothing to vouch for',
    });
    const staleness = { valid: true, reads: 0, staleReads: 0, unexpected: 0 };
    expect(evaluateClaims({ staleReads: 'none' }, { staleness })[0]!.held).toBe('unknown');
    const linearizable = { valid: true, opCount: 12, indeterminate: 12 };
    expect(evaluateClaims({ linearizable: true }, { linearizable })[0]).toMatchObject({
      held: 'unknown',
      detail: 'no operation completed: nothing to vouch for',
    });
    expect(
      evaluateClaims({ linearizable: true }, { linearizable: { ...linearizable, indeterminate: 2 } })[0]!.held,
    ).toBe(true);
  });

  it('judges lost increments from the counter checker', () => {
    const counter = {
      valid: true,
      acked: 40,
      ackedSum: 120,
      lostIncrements: 0,
      impossibleReads: 0,
      converged: true,
      finalReads: 3,
    };
    expect(evaluateClaims({ lostIncrements: 'none' }, { counter })[0]).toMatchObject({ held: true });
    expect(evaluateClaims({ lostIncrements: 'none' }, { counter: { ...counter, lostIncrements: 7 } })[0]!.held).toBe(
      false,
    );
  });
});
