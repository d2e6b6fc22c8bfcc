import type { Op } from '../history/op.ts';

/** A checker's verdict. `unknown`: it could not decide (time budget, missing data). */
export type Validity = true | false | 'unknown';

/** Plain data, serialised into results.json under the checker's name. */
export interface CheckerResult {
  valid: Validity;
  [key: string]: unknown;
}

export interface CheckContext {
  /** Nodes of the run, in order. */
  nodes: readonly string[];
  /** Aborting makes searching checkers answer `unknown`. */
  signal?: AbortSignal;
  /** Budget for searching checkers; beyond it they answer `unknown`. */
  timeoutMs?: number;
  /** Workload options (e.g. the model and initial value for `linearizable`). */
  options?: Readonly<Record<string, unknown>>;
  /**
   * Figures a claim's bound asks for beyond the checkers' standard ones
   * (a stale-read quantile, a t-visibility point), so the measured figure
   * is exact, never interpolated.
   */
  measure?: MeasureRequest;
}

export interface MeasureRequest {
  /** Quantiles (0 < q ≤ 1) of staleness over every read. */
  quantiles?: readonly number[];
  /** t-visibility points: ms after an acknowledgement. */
  visibilityAfterMs?: readonly number[];
}

export interface Checker<R extends CheckerResult = CheckerResult> {
  readonly name: string;
  /**
   * Its check hands the work to a worker thread (when the history is large):
   * `runCheckers` starts it first, and the calling thread runs the others
   * meanwhile.
   */
  readonly offThread?: boolean;
  check(history: readonly Op[], ctx: CheckContext): Promise<R>;
}

/** Composition ranks false over unknown over true. */
export const mergeValidity = (vs: readonly Validity[]): Validity => {
  if (vs.includes(false)) return false;
  if (vs.includes('unknown')) return 'unknown';
  return true;
};
