import type { Validity } from '../checker/checker.ts';
import type { CheckerResults } from '../checker/index.ts';

/**
 * results.json — a contract users' CI parses. Keep these names stable;
 * add fields, never rename them. Documented in docs/results.md.
 */
export interface ClaimResult {
  /** Claim name as the cluster preset declares it, e.g. "linearizable", "lost-writes". */
  name: string;
  /** What the preset claims, e.g. true, "none", "allowed". */
  expected: unknown;
  /** true: held; false: violated; "unknown": a checker could not decide; "untested": no checker of this run measures it. */
  held: boolean | 'unknown' | 'untested';
  /** One line for humans: "0 of 812 acknowledged adds lost". */
  detail: string;
  /** For a claim with bounds (staleReads: {maxMs, ...}): each bound with the measured figure beside it. */
  bounds?: ClaimBound[];
}

/** One bound of a claim and what the run measured. */
export interface ClaimBound {
  /** What is measured, e.g. "p99 staleness (ms)". */
  measure: string;
  bound: number;
  /** The measured figure must be at most (<=) or at least (>=) the bound. */
  op: '<=' | '>=';
  /** null when the run could not measure it (no read qualified). */
  measured: number | null;
  held: boolean | 'unknown';
}

export interface RunResults {
  /** The run's verdict against its claims: false if any claim was violated, "unknown" if any was undecided. */
  valid: Validity;
  test: string;
  runId: string;
  seed: number;
  startedAt: string;
  /** Wall time of the whole run, ms. */
  durationMs: number;
  /** True when the run was interrupted (Ctrl-C, SIGTERM); the history is a prefix. */
  interrupted: boolean;
  cluster: string;
  workload: string;
  nemesis: string;
  backend: string;
  nodes: readonly string[];
  claims: ClaimResult[];
  /** Each checker's result by name (docs/results.md); a checker that crashed is {valid: "unknown", error}. */
  checkers: CheckerResults;
  /** The exact command that replays this run. */
  replay: string;
}
