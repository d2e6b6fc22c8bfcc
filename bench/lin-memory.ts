/**
 * One memory-budget check for `npm run bench:lin`: reads a large history,
 * checks it once and prints the verdict, the reason when it is unknown,
 * the time and the process's peak RSS as one JSON line. The bench runs it
 * under a heap cap (--max-old-space-size).
 *
 *   node --max-old-space-size=MB --import tsx bench/lin-memory.ts FILE FORMAT MODEL INITIAL TIMEOUT_MS
 */
import { resourceUsage } from 'node:process';
import { check } from '../src/checker/linearizable/check.ts';
import { resolveCheckerModel } from '../src/checker/linearizable/checker.ts';
import { fromHistory } from '../src/checker/linearizable/from-history.ts';
import { parseInitial } from '../src/cli/check-history.ts';
import { type HistoryFormat, readHistoryFile } from '../src/history/formats/index.ts';

const [file, format, model, initial, timeout] = process.argv.slice(2) as [
  string,
  HistoryFormat,
  string,
  string,
  string,
];
const history = await readHistoryFile(file, format);
const checked = resolveCheckerModel(history, model, parseInitial(initial));
const ops = fromHistory(history);
const started = performance.now();
const result = await check(checked, ops, { timeoutMs: Number(timeout) });
const ms = performance.now() - started;
// maxRSS is in KB.
const peakRssMb = resourceUsage().maxRSS / 1024;
process.stdout.write(
  `${JSON.stringify({ ms, result: result.result, ...(result.reason ? { reason: result.reason } : {}), peakRssMb })}\n`,
);
process.exit(0);
