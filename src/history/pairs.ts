import type { Op } from './op.ts';

/**
 * A client operation as one unit: its invocation and, when the history has
 * it, its completion. Each worker process alternates invoke → completion, so
 * pairing is per process. A missing completion (the run was interrupted) is
 * indeterminate, exactly like `info`.
 */
export interface OpPair {
  process: number;
  f: string;
  invoke: Op;
  completion: Op | undefined;
}

export type Outcome = 'ok' | 'fail' | 'info';

/** The pair's outcome; no completion counts as `info` (it may or may not have happened). */
export const outcomeOf = (pair: OpPair): Outcome => {
  const t = pair.completion?.type;
  return t === 'ok' || t === 'fail' ? t : 'info';
};

/**
 * Pairs every client invoke with its completion, in invoke order. Nemesis ops
 * are skipped. Tolerates broken histories: a second invoke on a busy process
 * leaves the first unfinished, a completion with no open invoke is ignored.
 */
export const pairClientOps = (history: readonly Op[]): readonly OpPair[] => {
  const known = pairsMemo.get(history);
  if (known !== undefined && known.length === history.length) return known.pairs;
  const pairs = pairOps(history);
  pairsMemo.set(history, { length: history.length, pairs });
  return pairs;
};

/**
 * Pairs by history array (and its length, should it grow): most checkers and
 * the report pair the same history, a million operations each time.
 */
const pairsMemo = new WeakMap<readonly Op[], { length: number; pairs: readonly OpPair[] }>();

const pairOps = (history: readonly Op[]): OpPair[] => {
  const pairs: OpPair[] = [];
  const open = new Map<number, OpPair>();
  for (const op of history) {
    if (typeof op.process !== 'number') continue;
    if (op.type === 'invoke') {
      const pair: OpPair = { process: op.process, f: op.f, invoke: op, completion: undefined };
      open.set(op.process, pair);
      pairs.push(pair);
      continue;
    }
    const pair = open.get(op.process);
    if (pair === undefined) continue;
    pair.completion = op;
    open.delete(op.process);
  }
  return pairs;
};

/** Latest time in a history, ns (0 for an empty one). */
export const historyEnd = (history: readonly Op[]): number => {
  let end = 0;
  for (const op of history) if (op.time > end) end = op.time;
  return end;
};
