import { describe, expect, it } from 'vitest';
import { evaluateClaims, runVerdict } from '../../src/core/claims.ts';

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
      detail: '4 elements present on some nodes but not others after healing',
    });
  });
});
