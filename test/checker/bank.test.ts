import { describe, expect, it } from 'vitest';
import { checkBank } from '../../src/checker/bank.ts';
import { HistoryBuilder } from '../fixtures/history-builder.ts';
import { HOSTILE } from '../fixtures/set-run.ts';

const nodes = ['n1', 'n2', 'n3'];
const options = { accounts: ['a0', 'a1', 'a2'], initialBalance: 10 };

const transfer = (
  b: HistoryBuilder,
  p: number,
  from: string,
  to: string,
  amount: number,
  type: 'ok' | 'fail' | 'info',
) =>
  b.op(p, 'invoke', 'transfer', { from, to, amount }, { node: 'n1' }).op(
    p,
    type,
    'transfer',
    { from, to, amount },
    {
      node: 'n1',
    },
  );

describe('bank checker', () => {
  it('every read adds up: valid, converged', () => {
    const b = new HistoryBuilder();
    transfer(b, 0, 'a0', 'a1', 4, 'ok');
    transfer(b, 0, 'a1', 'a2', 20, 'fail');
    b.read(1, 'n2', { a0: 6, a1: 14, a2: 10 });
    b.at(100);
    for (const n of nodes) b.read(5, n, { a0: 6, a1: 14, a2: 10 });
    const r = checkBank(b.ops, { nodes, options });
    expect(r).toMatchObject({
      valid: true,
      accounts: 3,
      expectedTotal: 30,
      transfers: { ok: 1, fail: 1, info: 0 },
      reads: 4,
      wrongTotal: 0,
      converged: true,
    });
    expect(r.finalReads.count).toBe(4); // the read on n2 also began after the last transfer ended
    expect(r.summary).toBe('2 transfers (1 ok, 1 fail, 0 info); 4 reads, every one totalling 30; converged');
  });

  it('a read that saw half a transfer does not add up: invalid, listed', () => {
    const b = new HistoryBuilder();
    transfer(b, 0, 'a0', 'a1', 4, 'ok');
    b.read(1, 'n2', { a0: 6, a1: 10, a2: 10 });
    const r = checkBank(b.ops, { nodes, options });
    expect(r.valid).toBe(false);
    expect(r.wrongTotal).toBe(1);
    expect(r.wrongReads[0]).toMatchObject({ readIndex: 3, node: 'n2', total: 26, negative: [] });
  });

  it('a negative balance is a violation unless overdrafts are allowed', () => {
    const b = new HistoryBuilder().read(1, 'n1', { a0: -5, a1: 25, a2: 10 });
    expect(checkBank(b.ops, { nodes, options })).toMatchObject({ valid: false, negativeReads: 1, wrongTotal: 0 });
    expect(checkBank(b.ops, { nodes, options: { ...options, allowNegative: true } }).valid).toBe(true);
  });

  it('counts malformed reads (wrong accounts, non-numbers, hostile values) and ignores them', () => {
    const b = new HistoryBuilder()
      .read(1, 'n1', { a0: 10, a1: 10 })
      .read(1, 'n1', { a0: '10', a1: 10, a2: 10 })
      .read(1, 'n1', HOSTILE)
      .read(1, 'n1', { a0: 10, a1: 10, a2: 10, ['__proto__']: 1 });
    const r = checkBank(b.ops, { nodes, options });
    expect(r).toMatchObject({ valid: 'unknown', reads: 0, malformedReads: 4 });
    expect(r.malformedExamples).toContain(JSON.stringify(HOSTILE));
  });

  it('nodes that disagree after healing have not converged', () => {
    const b = new HistoryBuilder();
    transfer(b, 0, 'a0', 'a1', 4, 'info');
    b.at(100).read(5, 'n1', { a0: 6, a1: 14, a2: 10 }).read(6, 'n2', { a0: 10, a1: 10, a2: 10 });
    const r = checkBank(b.ops, { nodes, options });
    expect(r).toMatchObject({ valid: true, converged: false });
    expect(r.finalReads.missingNodes).toEqual(['n3']);
  });

  it('names what is missing when the workload gave no accounts', () => {
    expect(() => checkBank([], { nodes, options: {} })).toThrow(/accounts/);
  });
});
