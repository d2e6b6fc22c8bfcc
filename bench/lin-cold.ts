/**
 * One cold check for `npm run bench:lin`: a fresh process reads one history
 * and checks it once, as a one-off `faultline check` does, and prints the
 * time of that first check (reading and parsing not included, as for
 * porcupine's Go harness), its CPU time and the verdict as one JSON line.
 *
 *   node --import tsx bench/lin-cold.ts FILE FORMAT MODEL INITIAL
 */
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
const cpu = process.cpuUsage();
const started = performance.now();
const result = await check(checked, ops, { timeoutMs: Number(timeout ?? 60_000) });
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
// CPU time of the whole process (every thread), as the Go harness reports it.
const cpuMs = (used.user + used.system) / 1000;
process.stdout.write(`${JSON.stringify({ ms, cpuMs, result: result.result })}\n`);
process.exit(0);
