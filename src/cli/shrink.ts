import type { Command } from 'commander';
import { formatDuration, parseDuration } from '../base/duration.ts';
import { configError, EXIT, isFaultlineError } from '../base/errors.ts';
import { cleanupLeftovers } from '../cluster/registry.ts';
import { type ShrinkProgress, shrinkRun } from '../jobs/shrink.ts';
import { runTest } from '../run/run.ts';

/**
 * `faultline shrink RUN_DIR`: reduce a failing run's fault schedule to a
 * minimal one that still fails (src/jobs/shrink.ts). Progress goes to
 * stderr, one line per candidate and attempt; the summary to stdout.
 * Ctrl-C once stops the search and keeps the best schedule found so far;
 * twice removes the attempt in flight and exits.
 */
interface ShrinkCliOptions {
  claim?: string;
  attempts?: string;
  confirm?: string;
  budget?: string;
  out?: string;
  checkTimeout?: string;
}

export const addShrinkCommand = (program: Command, done: (code: number) => void): void => {
  program
    .command('shrink')
    .description('reduce a failing run to the smallest fault schedule that still fails, with its reproduction rate')
    .argument('<run-dir>', 'a run folder whose claim failed, e.g. reports/<test>/<run-id>')
    .option(
      '--claim <name>',
      "shrink towards this claim's violation, measured strictly even if the topology does not claim it",
    )
    .option('--attempts <k>', 'attempts per candidate schedule; it fails when one of them fails (default 3)')
    .option('--confirm <n>', 'attempts of the minimal schedule for its reproduction rate (default 5)')
    .option('--budget <duration>', 'time budget for the whole search, e.g. 20m (default 30m)')
    .option('--out <dir>', 'output folder (default <run-dir>/shrink)')
    .option('--check-timeout <duration>', 'linearizability budget per attempt (default 30s)')
    .action(async (runDir: string, opts: ShrinkCliOptions) => {
      done(await shrinkCommand(runDir, opts));
    });
};

const int = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(v)) throw configError(`expected a whole number, got ${JSON.stringify(v)}`, { path: flag });
  return Number(v);
};

const duration = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  try {
    return parseDuration(/^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v);
  } catch (e) {
    throw configError((e as Error).message, { path: flag });
  }
};

const shrinkCommand = async (runDir: string, opts: ShrinkCliOptions): Promise<number> => {
  const controller = new AbortController();
  let currentRun: string | undefined;
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(`\n${name}: stopping the search; keeping the best schedule so far (again to force)\n`);
      controller.abort();
      return;
    }
    const id = currentRun;
    void (id ? cleanupLeftovers({ runId: id, force: true }) : Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await shrinkRun({
      runDir,
      ...(opts.claim !== undefined ? { claim: opts.claim } : {}),
      ...optional('attempts', int(opts.attempts, '--attempts')),
      ...optional('confirm', int(opts.confirm, '--confirm')),
      ...optional('budgetMs', duration(opts.budget, '--budget')),
      ...optional('checkTimeoutMs', duration(opts.checkTimeout, '--check-timeout')),
      ...(opts.out !== undefined ? { outDir: opts.out } : {}),
      signal: controller.signal,
      onProgress: (e) => process.stderr.write(`${progressLine(e)}\n`),
      runAttempt: (config, signal, checkTimeoutMs) =>
        runTest(config, {
          signal,
          checkTimeoutMs,
          observer: {
            onStart: (info) => {
              currentRun = info.runId;
            },
          },
        }),
    });
    console.log(result.summary.join('\n'));
    return result.exitCode;
  } catch (e) {
    if (isFaultlineError(e)) {
      console.error(`error: ${e.describe()}`);
      return EXIT.harness;
    }
    console.error(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.harness;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
};

const optional = <K extends string>(key: K, v: number | undefined): { [P in K]?: number } =>
  (v === undefined ? {} : { [key]: v }) as { [P in K]?: number };

const progressLine = (e: ShrinkProgress): string => {
  switch (e.type) {
    case 'start':
      return `shrinking ${e.steps} steps (time limit ${formatDuration(e.timeLimitMs)}) towards ${e.target.join(' or ')} violated; output in ${e.outDir}`;
    case 'candidate':
      return `candidate ${e.n}: ${e.why} — ${e.steps} step${e.steps === 1 ? '' : 's'}, time limit ${formatDuration(e.timeLimitMs)}`;
    case 'attempt':
      return `  attempt ${e.attempt}/${e.of}: ${e.outcome.toUpperCase()} in ${formatDuration(e.ms)} (${e.detail})`;
    case 'accepted':
      return `  kept: ${e.steps} step${e.steps === 1 ? '' : 's'}, time limit ${formatDuration(e.timeLimitMs)}`;
    case 'confirm':
      return `confirming the minimal schedule: attempt ${e.attempt}/${e.of}: ${e.outcome.toUpperCase()} in ${formatDuration(e.ms)}`;
    case 'stopped':
      return `search stopped: ${e.reason === 'budget' ? 'time budget reached' : 'interrupted'}; keeping the best so far`;
  }
};
