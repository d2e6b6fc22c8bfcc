import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SetCheckerResult } from '../checker/set.ts';
import { parseJsonlHistory } from '../history/jsonl.ts';
import { measureResults, type RunFigures } from '../report/figures.ts';
import type { RunResults } from '../report/results.ts';
import { attributeLostWrites, type LossByKind } from './attribution.ts';

/**
 * The figures a job compares across runs: the run's headline figures
 * (src/report/figures.ts, shared with the runs index) plus, from its
 * history, which fault lost each lost write.
 */
export interface RunMeasures extends RunFigures {
  lostPerFault?: LossByKind[];
  /** Lost writes acknowledged after the last fault healed. */
  lostUnattributed?: number;
}

/** Measures of a stored run, with lost writes attributed to faults from its history.jsonl. */
export const measureRun = async (dir: string, results: RunResults, timeLimitMs: number): Promise<RunMeasures> => {
  const m: RunMeasures = measureResults(results, timeLimitMs);
  const set = results.checkers.set as SetCheckerResult | undefined;
  if (set && Array.isArray(set.lostElements)) {
    const text = await readFile(join(dir, 'history.jsonl'), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      const { ops } = parseJsonlHistory(text, join(dir, 'history.jsonl'));
      const a = attributeLostWrites(ops, set.lostElements);
      m.lostPerFault = a.byKind;
      m.lostUnattributed = a.unattributed;
    }
  }
  return m;
};
