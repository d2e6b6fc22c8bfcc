import type { CheckerResult, Validity } from '../checker/checker.ts';

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
  checkers: Record<string, CheckerResult>;
  /** The exact command that replays this run. */
  replay: string;
}
