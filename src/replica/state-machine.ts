/**
 * The single-leader replicated state: registers (key → JSON scalar), sets
 * (key → set of scalars) and counters (key → number). `apply` is
 * deterministic, so replaying the same log gives the same state.
 */

export type Scalar = string | number | boolean | null;

/** An operation that changes state, as stored in a log entry. */
export type WriteOp =
  | { type: 'noop' }
  | { type: 'put'; key: string; value: Scalar }
  | { type: 'cas'; key: string; from: Scalar; to: Scalar }
  | { type: 'add'; key: string; element: Scalar }
  | { type: 'remove'; key: string; element: Scalar }
  | { type: 'incr'; key: string; delta: number }
  | { type: 'transfer'; key: string; from: string; to: string; amount: number; initial: number };

/** What applying an op did. A cas mismatch is a definite, applied no-op. */
export type ApplyResult =
  | { ok: true }
  | { ok: false; error: 'cas-mismatch'; current: Scalar }
  | { ok: false; error: 'insufficient-funds'; balance: number };

export interface Store {
  apply(op: WriteOp): ApplyResult;
  /** The register's value, null when never written. */
  get(key: string): Scalar;
  /** The set's elements, sorted (numbers first, numerically; then strings; then the rest). */
  members(key: string): Scalar[];
  /** The counter's value, 0 when never incremented. */
  counter(key: string): number;
  /** A bank's balances of `accounts`; an account never written holds `initial`. */
  balances(key: string, accounts: readonly string[], initial: number): Record<string, number>;
  /** Forget everything (before re-applying a log from the start). */
  reset(): void;
}

export const isScalar = (v: unknown): v is Scalar =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

const typeRank = (v: Scalar): number =>
  typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : 3;

/** A total order on scalars, so set reads are stable across nodes. */
export const compareScalars = (a: Scalar, b: Scalar): number => {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
};

export const createStore = (): Store => {
  const registers = new Map<string, Scalar>();
  const sets = new Map<string, Set<Scalar>>();
  const counters = new Map<string, number>();
  const banks = new Map<string, Map<string, number>>();
  const balance = (key: string, account: string, initial: number): number => banks.get(key)?.get(account) ?? initial;
  return {
    apply(op) {
      switch (op.type) {
        case 'noop':
          return { ok: true };
        case 'put':
          registers.set(op.key, op.value);
          return { ok: true };
        case 'cas': {
          const current = registers.get(op.key) ?? null;
          if (current !== op.from) return { ok: false, error: 'cas-mismatch', current };
          registers.set(op.key, op.to);
          return { ok: true };
        }
        case 'add': {
          const s = sets.get(op.key) ?? new Set<Scalar>();
          sets.set(op.key, s);
          s.add(op.element);
          return { ok: true };
        }
        case 'remove':
          sets.get(op.key)?.delete(op.element);
          return { ok: true };
        case 'incr':
          counters.set(op.key, (counters.get(op.key) ?? 0) + op.delta);
          return { ok: true };
        case 'transfer': {
          // Both balances change in one step: a transfer is one log entry, so every state is a prefix of whole transfers.
          const from = balance(op.key, op.from, op.initial);
          if (from < op.amount) return { ok: false, error: 'insufficient-funds', balance: from };
          const bank = banks.get(op.key) ?? new Map<string, number>();
          banks.set(op.key, bank);
          const to = balance(op.key, op.to, op.initial);
          bank.set(op.from, from - op.amount);
          bank.set(op.to, to + op.amount);
          return { ok: true };
        }
      }
    },
    get: (key) => registers.get(key) ?? null,
    members: (key) => [...(sets.get(key) ?? [])].sort(compareScalars),
    counter: (key) => counters.get(key) ?? 0,
    balances: (key, accounts, initial) => Object.fromEntries(accounts.map((a) => [a, balance(key, a, initial)])),
    reset() {
      registers.clear();
      sets.clear();
      counters.clear();
      banks.clear();
    },
  };
};
