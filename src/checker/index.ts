import type { Checker } from './checker.ts';
import { conflictsChecker } from './conflicts.ts';
import { counterChecker } from './counter.ts';
import { linearizableChecker } from './linearizable/checker.ts';
import { perfChecker } from './perf.ts';
import { setChecker } from './set.ts';
import { stalenessChecker } from './staleness.ts';

/**
 * Checkers by the name a workload's `checkers:` uses. Imported eagerly on
 * purpose: after Ctrl-C the terminal's SIGINT has also reached tsx's
 * compiler service, so a module first imported during the check phase
 * could no longer be loaded.
 */
const FACTORIES: Readonly<Record<string, () => Checker>> = {
  linearizable: () => linearizableChecker(),
  set: () => setChecker,
  perf: () => perfChecker,
  staleness: () => stalenessChecker,
  conflicts: () => conflictsChecker,
  counter: () => counterChecker,
};

export const KNOWN_CHECKERS: readonly string[] = Object.keys(FACTORIES);

export const loadChecker = (name: string): Checker => {
  const factory = FACTORIES[name];
  if (!factory) throw new Error(`unknown checker ${name}`); // resolve.ts already rejected unknown names
  return factory();
};
