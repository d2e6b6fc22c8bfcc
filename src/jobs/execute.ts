import { EXIT } from '../base/errors.ts';
import type { RunResults } from '../report/results.ts';
import { replayCommand } from '../run/analyse.ts';
import type { ResolvedRunConfig } from '../run/resolve.ts';
import { type RunObserver, runTest } from '../run/run.ts';

/**
 * Runs the planned runs of a job (compare, campaign, claims): one after the
 * other, or `parallel` at a time, each a normal `runTest` writing its usual
 * run folder. Every config is resolved before this is called, so bad input
 * has already exited 3 with nothing started. An interrupt stops the current
 * runs (they heal, tear down and report as interrupted) and skips the rest;
 * so does a spent time budget, before a run that would not fit.
 */
export interface PlannedRun {
  /** Position in the job, 0-based; records come back in this order. */
  index: number;
  config: ResolvedRunConfig;
}

interface RecordBase {
  index: number;
  config: ResolvedRunConfig;
  /** The command that replays this run. */
  replay: string;
}
export type RunRecord =
  | (RecordBase & { status: 'done'; results: RunResults; dir: string; exitCode: number; durationMs: number })
  | (RecordBase & { status: 'error'; error: string; durationMs: number })
  | (RecordBase & { status: 'skipped'; reason: string });

/** Where a job stands, for progress output. */
export interface JobState {
  total: number;
  finished: number;
  running: number;
  elapsedMs: number;
  /** Estimated time until the last run ends; undefined before anything can be estimated. */
  leftMs: number;
}

export interface JobHooks {
  /** Once, before the first run: a live view of the job's state, for time-left estimates between events. */
  onJobStart?(state: () => JobState): void;
  /** A run starts; the observer returned (if any) follows it. */
  onRunStart?(run: PlannedRun, state: JobState): RunObserver | undefined;
  onRunEnd?(record: RunRecord, state: JobState): void;
}

export interface ExecuteOptions {
  signal?: AbortSignal;
  /** Runs at once; default 1. */
  parallel?: number;
  /** Wall-clock budget of the whole job; a run that would not fit is skipped. */
  budgetMs?: number;
  hooks?: JobHooks;
}

/** Set-up, quiesce, final reads and checking on top of the time limit, until a finished run says better. */
export const DEFAULT_OVERHEAD_MS = 8_000;

export const executeRuns = async (runs: readonly PlannedRun[], options: ExecuteOptions = {}): Promise<RunRecord[]> => {
  const parallel = Math.max(1, options.parallel ?? 1);
  const started = performance.now();
  const records: RunRecord[] = new Array(runs.length);
  const finishedDurations: { durationMs: number; timeLimitMs: number }[] = [];
  const runningSince = new Map<number, number>();
  let next = 0;
  let stopReason: string | undefined;

  const state = (): JobState => {
    const elapsedMs = performance.now() - started;
    const overhead = estimateOverheadMs(finishedDurations);
    const pending = runs.slice(next).reduce((sum, r) => sum + r.config.timeLimitMs + overhead, 0);
    const current = [...runningSince].reduce((sum, [i, since]) => {
      const expected = runs[i]!.config.timeLimitMs + overhead;
      return sum + Math.max(0, expected - (performance.now() - since));
    }, 0);
    return {
      total: runs.length,
      finished: records.filter(Boolean).length,
      running: runningSince.size,
      elapsedMs,
      leftMs: (pending + current) / parallel,
    };
  };

  options.hooks?.onJobStart?.(state);

  const runOne = async (run: PlannedRun): Promise<void> => {
    // Jobs name their presets (never inline them), so replaying writes nothing into the folder given.
    const replayOf = (dir: string) => replayCommand(run.config, dir);
    const base = { index: run.index, config: run.config };
    if (options.signal?.aborted) stopReason ??= 'interrupted';
    if (!stopReason && options.budgetMs !== undefined) {
      const needed = run.config.timeLimitMs + estimateOverheadMs(finishedDurations);
      if (performance.now() - started + needed > options.budgetMs)
        stopReason = `the time budget of ${Math.round(options.budgetMs / 1000)} s was spent`;
    }
    if (stopReason) {
      records[run.index] = {
        ...base,
        replay: await replayOf(run.config.reportsDir),
        status: 'skipped',
        reason: stopReason,
      };
      options.hooks?.onRunEnd?.(records[run.index]!, state());
      return;
    }
    runningSince.set(run.index, performance.now());
    const given = options.hooks?.onRunStart?.(run, state());
    let runDir: string | undefined;
    const observer: RunObserver = {
      ...given,
      onStart(info) {
        runDir = info.dir;
        given?.onStart?.(info);
      },
    };
    const t0 = performance.now();
    // Each run listens on its own signal, linked to the job's by one listener: runs side by side
    // would otherwise pile their listeners onto one signal.
    const own = new AbortController();
    const forward = () => own.abort(options.signal?.reason);
    if (options.signal?.aborted) forward();
    options.signal?.addEventListener('abort', forward, { once: true });
    try {
      const outcome = await runTest(run.config, {
        signal: own.signal,
        observer,
      });
      const durationMs = Math.round(performance.now() - t0);
      records[run.index] = {
        ...base,
        replay: outcome.results.replay,
        status: 'done',
        results: outcome.results,
        dir: outcome.dir,
        exitCode: outcome.exitCode,
        durationMs,
      };
      finishedDurations.push({ durationMs, timeLimitMs: run.config.timeLimitMs });
    } catch (e) {
      // A harness failure (a node that would not start) ends this run, not the job.
      records[run.index] = {
        ...base,
        replay: await replayOf(runDir ?? run.config.reportsDir),
        status: 'error',
        error: e instanceof Error ? e.message : String(e),
        durationMs: Math.round(performance.now() - t0),
      };
    } finally {
      options.signal?.removeEventListener('abort', forward);
      runningSince.delete(run.index);
    }
    if (options.signal?.aborted) stopReason ??= 'interrupted';
    options.hooks?.onRunEnd?.(records[run.index]!, state());
  };

  const worker = async (): Promise<void> => {
    while (next < runs.length) {
      const run = runs[next++]!;
      await runOne(run);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, runs.length) }, worker));
  return records;
};

const estimateOverheadMs = (finished: readonly { durationMs: number; timeLimitMs: number }[]): number =>
  finished.length === 0
    ? DEFAULT_OVERHEAD_MS
    : Math.max(0, finished.reduce((s, f) => s + f.durationMs - f.timeLimitMs, 0) / finished.length);

/**
 * A job's exit code, as `run`'s: 1 if any run violated a claim; else 3 if
 * any run could not run at all (a harness failure); else 2 if any verdict is
 * unknown or a run was skipped (interrupt, budget); else 0.
 */
export const jobExitCode = (records: readonly RunRecord[]): number => {
  if (records.some((r) => r.status === 'done' && r.results.valid === false)) return EXIT.violated;
  if (records.some((r) => r.status === 'error')) return EXIT.harness;
  if (records.some((r) => r.status === 'skipped' || (r.status === 'done' && r.results.valid !== true)))
    return EXIT.unknown;
  return EXIT.ok;
};

/** Records of runs that did not pass, with the command that replays each. */
export const notPassed = (records: readonly RunRecord[]): RunRecord[] =>
  records.filter((r) => r.status !== 'done' || r.results.valid !== true);
