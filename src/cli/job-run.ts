import { EXIT, isFaultlineError } from '../base/errors.ts';
import { printable } from '../base/terminal.ts';
import { executeRuns, type PlannedRun, type RunRecord } from '../jobs/execute.ts';
import { interruptOnSignals } from './interrupt.ts';
import { createJobProgress } from './job-progress.ts';

/**
 * What every multi-run command does around its runs: live progress on
 * stderr, Ctrl-C handling (the current runs heal and report, the rest are
 * skipped; a second Ctrl-C removes their leftovers), and the timing.
 */
export interface JobRun {
  records: RunRecord[];
  interrupted: boolean;
  startedAt: string;
  durationMs: number;
}

export const runJob = async (
  name: string,
  runs: readonly PlannedRun[],
  options: { parallel?: number; budgetMs?: number } = {},
): Promise<JobRun> => {
  const progress = createJobProgress(process.stderr, { name, total: runs.length });
  const live = new Set<string>();
  const { signal, release } = interruptOnSignals(
    () => progress.stop(),
    () => [...live],
  );
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  try {
    const records = await executeRuns(runs, {
      signal,
      ...options,
      hooks: {
        onJobStart: (state) => progress.onJobStart?.(state),
        onRunStart(run, state) {
          const observer = progress.onRunStart?.(run, state);
          return {
            ...observer,
            onStart(info) {
              live.add(info.runId);
              observer?.onStart?.(info);
            },
          };
        },
        onRunEnd(record, state) {
          if (record.status === 'done') live.delete(record.results.runId);
          progress.onRunEnd?.(record, state);
        },
      },
    });
    return { records, interrupted: signal.aborted, startedAt, durationMs: Math.round(performance.now() - t0) };
  } finally {
    progress.stop();
    release();
  }
};

/** Bad input or a harness failure before anything started: the message, exit 3. */
export const reportError = (e: unknown): number => {
  if (isFaultlineError(e)) {
    console.error(`error: ${e.describe().split('\n').map(printable).join('\n')}`);
    return EXIT.harness;
  }
  console.error(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return EXIT.harness;
};

/** The replay command of every run that did not pass, for the end of a job's output. */
export const replayLines = (records: readonly RunRecord[]): string[] => {
  const failing = records.filter((r) => r.status === 'error' || (r.status === 'done' && r.results.valid !== true));
  if (failing.length === 0) return [];
  return [
    '',
    `${failing.length} run${failing.length === 1 ? '' : 's'} did not pass; replay with:`,
    ...failing.map((r) => `  ${printable(r.status === 'done' ? r.results.replay : r.replay)}`),
  ];
};
