import type { Op } from '../history/op.ts';
import { type BankCheckerResult, bankChecker } from './bank.ts';
import type { CheckContext, Checker, CheckerResult } from './checker.ts';
import { type ConflictsCheckerResult, conflictsChecker } from './conflicts.ts';
import { type CounterCheckerResult, counterChecker } from './counter.ts';
import { type LinearizableCheckerResult, linearizableChecker } from './linearizable/checker.ts';
import { type PerfCheckerResult, perfChecker } from './perf.ts';
import { type SessionCheckerResult, sessionChecker } from './session.ts';
import { type SetCheckerResult, setChecker } from './set.ts';
import { type SplitBrainCheckerResult, splitBrainChecker } from './split-brain.ts';
import { type StalenessCheckerResult, stalenessChecker } from './staleness.ts';

/**
 * Checkers by the name a workload's `checkers:` uses, each with the type of
 * the result it puts in results.json. Claims and the report read results
 * through `CheckerResults` (typed fields, never string lookups), so a
 * renamed field is a compile error rather than a silent "0 lost, held".
 *
 * Imported eagerly on purpose: after Ctrl-C the terminal's SIGINT has also
 * reached tsx's compiler service, so a module first imported during the
 * check phase could no longer be loaded.
 */
export interface CheckerResultMap {
  linearizable: LinearizableCheckerResult;
  set: SetCheckerResult;
  perf: PerfCheckerResult;
  staleness: StalenessCheckerResult;
  conflicts: ConflictsCheckerResult;
  counter: CounterCheckerResult;
  session: SessionCheckerResult;
  'split-brain': SplitBrainCheckerResult;
  bank: BankCheckerResult;
}
export type CheckerName = keyof CheckerResultMap;

/** What analyse records for a checker that threw: it cannot vouch for anything. */
export interface CheckerCrash extends CheckerResult {
  valid: 'unknown';
  error: string;
}

/** Every checker's result of one run, by name: typed, or the crash that replaced it. */
export type CheckerResults = { [K in CheckerName]?: CheckerResultMap[K] | CheckerCrash };

export const isCrash = (r: CheckerResult): r is CheckerCrash => typeof r.error === 'string' && r.valid === 'unknown';

const FACTORIES: { readonly [K in CheckerName]: () => Checker<CheckerResultMap[K]> } = {
  linearizable: () => linearizableChecker(),
  set: () => setChecker,
  perf: () => perfChecker,
  staleness: () => stalenessChecker,
  conflicts: () => conflictsChecker,
  counter: () => counterChecker,
  session: () => sessionChecker,
  'split-brain': () => splitBrainChecker,
  bank: () => bankChecker,
};

export const KNOWN_CHECKERS: readonly CheckerName[] = Object.keys(FACTORIES) as CheckerName[];

export const isCheckerName = (name: string): name is CheckerName => Object.hasOwn(FACTORIES, name);

/**
 * Checkers that read any history (they need no particular operations), so
 * a claim that needs one runs it whatever the workload.
 */
export const GENERIC_CHECKERS: readonly CheckerName[] = ['perf', 'split-brain'];

export const loadChecker = <K extends CheckerName>(name: K): Checker<CheckerResultMap[K]> => {
  const factory = FACTORIES[name] as (() => Checker<CheckerResultMap[K]>) | undefined;
  if (!factory) throw new Error(`unknown checker ${name}`); // resolve.ts already rejected unknown names
  return factory();
};

/**
 * Runs checkers over one history, each result under its name; a checker that
 * throws gets an `unknown` result with the reason (it cannot vouch for
 * anything). Checkers that work on a worker thread (`offThread`) start
 * first, so the calling thread runs the others meanwhile: at a million
 * operations, linearizability on one core and staleness and perf on the
 * other. `onChecked` hears how long each took, from its start until its
 * result was in.
 */
export const runCheckers = async (
  names: readonly CheckerName[],
  history: readonly Op[],
  ctx: CheckContext,
  onChecked?: (name: CheckerName, ms: number) => void,
): Promise<CheckerResults> => {
  const results: Record<string, CheckerResult> = {};
  const run = async (name: CheckerName): Promise<void> => {
    const started = performance.now();
    try {
      results[name] = await loadChecker(name).check(history, ctx);
    } catch (e) {
      results[name] = { valid: 'unknown', error: e instanceof Error ? e.message : String(e) };
    }
    onChecked?.(name, performance.now() - started);
  };
  const background = names.filter((n) => loadChecker(n).offThread === true);
  const started = background.map(run);
  for (const name of names) if (!background.includes(name)) await run(name);
  await Promise.all(started);
  // In the order asked for, as results.json lists them.
  return Object.fromEntries(names.map((n) => [n, results[n]])) as CheckerResults;
};
