/**
 * One check in a fresh process, for `npm run bench:lin`: reads one history
 * and checks it once, as a one-off `faultline check` does, then prints as
 * one JSON line the time of that first check (reading and parsing not
 * included, as for porcupine's Go harness), its CPU time, the verdict (and
 * the reason when it is unknown) and the process's peak RSS. The bench runs
 * it for cold times, and under a heap cap (--max-old-space-size) for the
 * memory histories.
 *
 *   node [--max-old-space-size=MB] --import tsx bench/lin-once.ts FILE FORMAT MODEL INITIAL TIMEOUT_MS
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
  string | undefined,
];
const history = await readHistoryFile(file, format);
const checked = resolveCheckerModel(history, model, parseInitial(initial));
const ops = fromHistory(history);
const cpu = process.cpuUsage();
const started = performance.now();
const result = await check(checked, ops, { timeoutMs: Number(timeout ?? 60_000) });
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
// CPU time of the whole process (every thread), as the Go harness reports it; maxRSS is in KB.
const cpuMs = (used.user + used.system) / 1000;
const peakRssMb = resourceUsage().maxRSS / 1024;
process.stdout.write(
  `${JSON.stringify({ ms, cpuMs, result: result.result, ...(result.reason ? { reason: result.reason } : {}), peakRssMb })}\n`,
);
process.exit(0);
