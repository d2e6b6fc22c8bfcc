import { printable } from '../base/terminal.ts';
import type { JobHooks, JobState, PlannedRun, RunRecord } from '../jobs/execute.ts';
import { createRunStatus, type RunStatus } from './progress.ts';

/**
 * Progress of a multi-run job (compare, campaign, claims): runs done / total,
 * the time left, and the current run's own status line. On a TTY that is one
 * line rewritten in place; otherwise a plain line every 10 s, which is what CI
 * logs want. Each run's start and end (verdict, replay command when it did not
 * pass) are printed as lines of their own.
 */
export interface JobProgress extends JobHooks {
  log(line: string): void;
  stop(): void;
}

export const createJobProgress = (stream: NodeJS.WriteStream, job: { name: string; total: number }): JobProgress => {
  const tty = stream.isTTY === true;
  const running = new Map<number, { label: string; status: RunStatus }>();
  let state: JobState = { total: job.total, finished: 0, running: 0, elapsedMs: 0, leftMs: 0 };
  let live: (() => JobState) | undefined;
  let lastLine = '';
  let timer: NodeJS.Timeout | undefined;

  const line = (): string => {
    if (live) state = live();
    const head = `[${job.name} ${state.finished}/${state.total} · ${formatLeft(state.leftMs)} left]`;
    const current = [...running.values()][0];
    if (!current) return head;
    const more = running.size > 1 ? ` (+${running.size - 1} more running)` : '';
    return `${head} ${current.label}${more} ${current.status.status()}`;
  };
  const render = () => {
    const text = printable(line());
    if (tty) stream.write(`\r\x1b[2K${text.slice(0, (stream.columns ?? 120) - 1)}`);
    else stream.write(`${text}\n`);
    lastLine = text;
  };
  const clear = () => {
    if (tty && lastLine) stream.write('\r\x1b[2K');
  };
  const log = (text: string) => {
    clear();
    // Values from the system under test (errors, claim details) must not drive the terminal.
    stream.write(`${printable(text)}\n`);
    if (tty && timer) render();
  };
  const ensureTimer = () => {
    if (timer) return;
    timer = setInterval(render, tty ? 250 : 10_000);
    timer.unref();
  };

  return {
    onJobStart(source) {
      live = source;
    },
    onRunStart(run: PlannedRun, s: JobState) {
      state = s;
      const c = run.config;
      const label = `${c.cluster.name} × ${c.workload.name} × ${c.nemesis.name} seed ${c.seed}`;
      const status = createRunStatus(c);
      running.set(run.index, { label, status });
      log(`run ${run.index + 1}/${job.total}: ${label}`);
      ensureTimer();
      return {
        onStart: ({ dir }) => log(`  writing ${dir}`),
        onPhase: (p) => status.onPhase?.(p),
        onOp: (op) => status.onOp?.(op),
        onIncident: (message) => log(`  warning: ${message}`),
      };
    },
    onRunEnd(record: RunRecord, s: JobState) {
      state = s;
      running.delete(record.index);
      const c = record.config;
      const label = `${c.cluster.name} × ${c.workload.name} × ${c.nemesis.name} seed ${c.seed}`;
      log(`run ${record.index + 1}/${job.total} ${outcomeWord(record)}: ${label}${outcomeDetail(record)}`);
      if (record.status !== 'skipped' && (record.status === 'error' || record.results.valid !== true))
        log(`  replay: ${record.replay}`);
    },
    log,
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      clear();
      lastLine = '';
    },
  };
};

export const outcomeWord = (r: RunRecord): string => {
  if (r.status === 'error') return 'ERROR';
  if (r.status === 'skipped') return 'SKIPPED';
  return r.results.valid === true ? 'PASS' : r.results.valid === false ? 'FAIL' : 'UNKNOWN';
};

const outcomeDetail = (r: RunRecord): string => {
  if (r.status === 'error') return ` — ${r.error}`;
  if (r.status === 'skipped') return ` — ${r.reason}`;
  const violated = r.results.claims.filter((c) => c.held === false).map((c) => `${c.name}: ${c.detail}`);
  const time = ` (${Math.round(r.durationMs / 1000)} s)`;
  return violated.length > 0 ? ` — ${violated.join('; ')}${time}` : time;
};

/** 135000 → "2m 15s"; a few seconds → "5s". */
export const formatLeft = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `~${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `~${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `~${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
};
