import type { Checker } from './checker.ts';

/**
 * Checkers by the name a workload's `checkers:` uses. Loaded lazily: the
 * linearizability checker brings worker threads and models that a set run
 * never needs.
 */
const FACTORIES: Readonly<Record<string, () => Promise<Checker>>> = {
  linearizable: async () => (await import('./linearizable/checker.ts')).linearizableChecker(),
  set: async () => (await import('./set.ts')).setChecker,
  perf: async () => (await import('./perf.ts')).perfChecker,
};

export const KNOWN_CHECKERS: readonly string[] = Object.keys(FACTORIES);

export const loadChecker = async (name: string): Promise<Checker> => {
  const factory = FACTORIES[name];
  if (!factory) throw new Error(`unknown checker ${name}`); // resolve.ts already rejected unknown names
  return factory();
};
