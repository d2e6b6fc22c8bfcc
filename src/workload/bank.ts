import { mixPicker, readEachNode } from './final.ts';
import { type Workload, WorkloadPresetError } from './workload.ts';

/**
 * `bank`: transfers between accounts, after Jepsen's bank test. Needs a
 * system with transactions (the replica's single-leader topology, which
 * applies a transfer as one log entry; PostgreSQL, etcd). Every read of all
 * balances must add up to accounts × opening balance.
 *
 * The contract with a system's `bank` client:
 * - accounts are `a0`..`a{keys-1}`; the client gets them as
 *   `options.accounts` (string[]) with `options.initialBalance` (number):
 *   an account never written holds the opening balance, so no setup phase
 *   is needed (a SQL client may INSERT … ON CONFLICT DO NOTHING first).
 * - `{f: transfer, value: {from, to, amount}}`: one transaction that moves
 *   `amount` from `from` to `to`. ok when committed; fail when definitely
 *   not applied (insufficient funds — balances never go negative — or a
 *   definite refusal); info when unknown.
 * - `{f: read}`: one transaction reading every account; ok with
 *   `{a0: balance, a1: balance, ...}` (every account, numbers).
 *
 * Preset: `keys` is the number of accounts (default 5 when 1), `initial`
 * the opening balance (default 10).
 */
export const DEFAULT_ACCOUNTS = 5;
export const DEFAULT_BALANCE = 10;

const accountsOf = (keys: number): string[] =>
  Array.from({ length: keys > 1 ? keys : DEFAULT_ACCOUNTS }, (_, i) => `a${i}`);
const balanceOf = (initial: unknown): number => (typeof initial === 'number' ? initial : DEFAULT_BALANCE);

export const bankWorkload: Workload = {
  name: 'bank',
  description: 'transfers between accounts in transactions; every read must add up to the same total',
  ops: {
    transfer: '{f: transfer, value: {from, to, amount}} → ok committed, fail not applied (insufficient funds)',
    read: '{f: read} → ok with {account: balance} for every account, read in one transaction',
  },
  checkers: ['bank', 'perf'],
  finals: ['read-each-node', 'none'],
  opSource(preset, rng) {
    const pickF = mixPicker(preset.mix, rng.next);
    const accounts = accountsOf(preset.keys);
    const max = Math.max(1, Math.floor(balanceOf(preset.initial) / 2));
    return {
      next() {
        if (pickF() !== 'transfer') return { f: 'read', value: null };
        const from = rng.pick(accounts);
        const others = accounts.filter((a) => a !== from);
        return { f: 'transfer', value: { from, to: rng.pick(others), amount: 1 + rng.int(max) } };
      },
      observe() {},
    };
  },
  finalPhase: (ctx) => readEachNode(ctx, [{ f: 'read', value: null }]),
  clientOptions: (preset) => ({ accounts: accountsOf(preset.keys), initialBalance: balanceOf(preset.initial) }),
  checkerOptions: (preset) => ({ accounts: accountsOf(preset.keys), initialBalance: balanceOf(preset.initial) }),
  validate(preset) {
    if (
      preset.initial !== undefined &&
      !(typeof preset.initial === 'number' && Number.isSafeInteger(preset.initial) && preset.initial > 0)
    )
      throw new WorkloadPresetError('the opening balance must be a positive integer', ['initial'], 'e.g. initial: 10');
    if (preset.keys === 1) return; // the default number of accounts
  },
};
