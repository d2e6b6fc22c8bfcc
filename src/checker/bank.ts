import { NS_PER_MS } from '../base/time.ts';
import type { Op } from '../history/op.ts';
import { outcomeOf, pairClientOps } from '../history/pairs.ts';
import { previewValue } from '../history/preview.ts';
import type { CheckContext, Checker, CheckerResult, Validity } from './checker.ts';
import { type Convergence, type FinalReadsSummary, summarizeFinalReads } from './final-reads.ts';
import { round3 } from './quantiles.ts';

/**
 * The `bank` checker, after Jepsen's bank test: accounts start with the same
 * balance; workers transfer amounts between them (`transfer`, value
 * `{from, to, amount}`) and read every balance at once (`read`, ok value
 * `{account: balance, ...}`). Transfers are transactions, so every read —
 * from any node, at any time — must show the same total, and (unless the
 * workload allows overdrafts) no negative balance. A read whose total
 * differs saw a transfer half-applied, or lost or duplicated one.
 *
 * The accounts and their initial balance come from the workload (checker
 * options `accounts` and `initialBalance`). After healing, each node's
 * final read must agree (convergence). Read values are untrusted: anything
 * but an object of finite numbers over exactly the accounts is malformed.
 */

/** Most wrong reads listed. */
export const ITEMS_CAP = 1000;

export interface BankOptions {
  accounts: readonly string[];
  initialBalance: number;
  /** Negative balances are not a violation (a bank that allows overdrafts). */
  allowNegative?: boolean;
}

export interface WrongRead {
  /** Completion index of the read. */
  readIndex: number;
  node: string;
  /** The total it saw. */
  total: number;
  /** Accounts below zero in it. */
  negative: string[];
  balances: string;
  invokeMs: number;
}

/** results.json `checkers.bank`. Names are a contract: add fields, never rename. */
export interface BankCheckerResult extends CheckerResult {
  valid: Validity;
  accounts: number;
  /** accounts × initial balance: what every read must add up to. */
  expectedTotal: number;
  transfers: { ok: number; fail: number; info: number };
  /** ok, well-formed reads. */
  reads: number;
  /** Reads whose balances did not add up to expectedTotal. */
  wrongTotal: number;
  /** Reads with a negative balance. */
  negativeReads: number;
  /** The earliest wrong reads (wrong total or forbidden negative), at most ITEMS_CAP. */
  wrongReads: WrongRead[];
  malformedReads: number;
  malformedExamples: string[];
  /** Each node's latest final balances, previewed. */
  finalBalances: Record<string, string>;
  converged: boolean;
  finalReads: FinalReadsSummary;
  summary: string;
}

export const bankChecker: Checker<BankCheckerResult> = {
  name: 'bank',
  check: async (history, ctx) => checkBank(history, ctx),
};

/** The bank options from the workload (checker options), or an error naming what is missing. */
export const bankOptionsOf = (options: CheckContext['options']): BankOptions => {
  const accounts = options?.accounts;
  const initialBalance = options?.initialBalance;
  if (!Array.isArray(accounts) || !accounts.every((a) => typeof a === 'string') || accounts.length === 0)
    throw new Error('the bank checker needs the workload’s accounts (checker option "accounts")');
  if (typeof initialBalance !== 'number' || !Number.isFinite(initialBalance))
    throw new Error('the bank checker needs the accounts’ initial balance (checker option "initialBalance")');
  return { accounts, initialBalance, allowNegative: options?.allowNegative === true };
};

/** Pure and synchronous; `bankChecker.check` wraps it. */
export const checkBank = (history: readonly Op[], ctx: Pick<CheckContext, 'nodes' | 'options'>): BankCheckerResult => {
  const { accounts, initialBalance, allowNegative } = bankOptionsOf(ctx.options);
  const expectedTotal = accounts.length * initialBalance;
  const transfers = { ok: 0, fail: 0, info: 0 };
  let lastTransferEnd = Number.NEGATIVE_INFINITY;
  const reads: { balances: Record<string, number>; invoke: number; index: number; node: string }[] = [];
  let malformedReads = 0;
  const malformedExamples: string[] = [];
  for (const pair of pairClientOps(history)) {
    if (pair.f === 'transfer') {
      transfers[outcomeOf(pair)]++;
      lastTransferEnd = Math.max(lastTransferEnd, pair.completion?.time ?? pair.invoke.time);
    } else if (pair.f === 'read' && pair.completion?.type === 'ok') {
      const balances = asBalances(pair.completion.value, accounts);
      if (balances === undefined) {
        malformedReads++;
        if (malformedExamples.length < 5) malformedExamples.push(previewValue(pair.completion.value));
        continue;
      }
      const node = pair.completion.node ?? pair.invoke.node ?? '?';
      reads.push({ balances, invoke: pair.invoke.time, index: pair.completion.index, node });
    }
  }

  let wrongTotal = 0;
  let negativeReads = 0;
  const wrongReads: WrongRead[] = [];
  for (const r of reads) {
    const total = accounts.reduce((s, a) => s + r.balances[a]!, 0);
    const negative = accounts.filter((a) => r.balances[a]! < 0);
    const wrong = total !== expectedTotal;
    if (wrong) wrongTotal++;
    if (negative.length > 0) negativeReads++;
    if ((wrong || (negative.length > 0 && !allowNegative)) && wrongReads.length < ITEMS_CAP)
      wrongReads.push({
        readIndex: r.index,
        node: r.node,
        total,
        negative,
        balances: previewValue(r.balances, 200),
        invokeMs: round3(r.invoke / NS_PER_MS),
      });
  }

  const finals = reads.filter((r) => r.invoke > lastTransferEnd);
  const latest = new Map<string, (typeof reads)[number]>();
  for (const r of finals) {
    const prev = latest.get(r.node);
    if (prev === undefined || r.invoke >= prev.invoke) latest.set(r.node, r);
  }
  const signatures = new Set([...latest.values()].map((r) => accounts.map((a) => r.balances[a]).join(',')));

  let valid: Validity = true;
  if (wrongTotal > 0 || (negativeReads > 0 && !allowNegative)) valid = false;
  else if (reads.length === 0) valid = 'unknown';
  const result: BankCheckerResult = {
    valid,
    accounts: accounts.length,
    expectedTotal,
    transfers,
    reads: reads.length,
    wrongTotal,
    negativeReads,
    wrongReads,
    malformedReads,
    malformedExamples,
    finalBalances: Object.fromEntries(
      [...latest].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, r]) => [n, previewValue(r.balances, 200)]),
    ),
    converged: latest.size > 0 && signatures.size === 1,
    finalReads: summarizeFinalReads(
      finals.map((r) => r.node),
      ctx.nodes,
    ),
    summary: '',
  };
  result.summary = summarizeBank(result);
  return result;
};

/** What the `convergence` claim reads from a bank result. */
export const bankConvergence = (r: BankCheckerResult): Convergence => ({
  finalReads: r.finalReads,
  converged: r.converged,
  divergent: r.converged ? 0 : new Set(Object.values(r.finalBalances)).size,
  divergentWhat: 'sets of balances',
});

/** "1200 transfers (1100 ok); 340 reads, all totalled 100; ..." */
export const summarizeBank = (r: BankCheckerResult): string => {
  const t = r.transfers;
  const parts = [`${t.ok + t.fail + t.info} transfers (${t.ok} ok, ${t.fail} fail, ${t.info} info)`];
  if (r.reads === 0) parts.push('no well-formed read');
  else if (r.wrongTotal === 0) parts.push(`${r.reads} reads, every one totalling ${r.expectedTotal}`);
  else parts.push(`${r.wrongTotal} of ${r.reads} reads did not total ${r.expectedTotal}`);
  if (r.negativeReads > 0) parts.push(`${r.negativeReads} reads with a negative balance`);
  if (r.malformedReads > 0) parts.push(`${r.malformedReads} malformed reads`);
  if (r.finalReads.count > 0) parts.push(r.converged ? 'converged' : 'nodes disagree after healing');
  return parts.join('; ');
};

/** An untrusted read value as balances over exactly `accounts`, or undefined. */
const asBalances = (v: unknown, accounts: readonly string[]): Record<string, number> | undefined => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (Object.keys(o).length !== accounts.length) return undefined;
  const out: Record<string, number> = Object.create(null);
  for (const a of accounts) {
    const b = Object.hasOwn(o, a) ? o[a] : undefined;
    if (typeof b !== 'number' || !Number.isFinite(b)) return undefined;
    out[a] = b;
  }
  return out;
};
