import { printable } from '../base/terminal.ts';
import type { Op } from '../history/op.ts';
import type { ResolvedRunConfig } from '../run/resolve.ts';
import type { Phase, RunObserver } from '../run/run.ts';

/**
 * Progress while a run goes: on a TTY one live status line (elapsed / limit,
 * ops/s, ok / fail / info, active faults), rewritten in place; otherwise a
 * plain line every few seconds, which is what CI logs want.
 */
export interface Progress extends RunObserver {
  /** Print a line without breaking the live status line. */
  log(line: string): void;
  stop(): void;
}

/** A run's status, counted from its observer events: the one line both progress outputs show. */
export interface RunStatus extends RunObserver {
  /** "[12s/30s] 95 ops/s  ok 310  fail 2  info 0  faults: kill n1" */
  status(): string;
  readonly phase: Phase;
}

export const createRunStatus = (config: ResolvedRunConfig): RunStatus => {
  const counts = { ok: 0, fail: 0, info: 0 };
  const active = new Map<string, string>(); // step (or kind) → description
  let phase: Phase = 'setup';
  let runStartedAt = 0;
  let recent: number[] = []; // completion timestamps (ms) in the last second
  return {
    get phase() {
      return phase;
    },
    status() {
      const now = performance.now();
      recent = recent.filter((t) => now - t < 1000);
      const elapsed = runStartedAt ? (now - runStartedAt) / 1000 : 0;
      const limit = config.timeLimitMs / 1000;
      const faults = active.size > 0 ? [...active.values()].join(', ') : 'none';
      const time = phase === 'run' ? `${elapsed.toFixed(0)}s/${limit}s` : phase;
      return `[${time}] ${recent.length} ops/s  ok ${counts.ok}  fail ${counts.fail}  info ${counts.info}  faults: ${faults}`;
    },
    onPhase(p) {
      phase = p;
      if (p === 'run') runStartedAt = performance.now();
    },
    onOp(op: Op) {
      if (op.process === 'nemesis') {
        const kind = op.f.replace(/^(start|stop)-/, '');
        // A scheduled fault carries its step id: overlapping faults of one kind are shown (and healed) apart.
        const step = (op.value as { step?: unknown } | null)?.step;
        const key = typeof step === 'number' ? `step ${step}` : kind;
        if (op.type === 'info' && op.f.startsWith('start-')) active.set(key, describe(kind, op.value));
        if (op.type === 'info' && op.f.startsWith('stop-')) active.delete(key);
        return;
      }
      if (op.type === 'invoke') return;
      counts[op.type] += 1;
      recent.push(performance.now());
    },
  };
};

export const createProgress = (stream: NodeJS.WriteStream, config: ResolvedRunConfig): Progress => {
  const tty = stream.isTTY === true;
  const run = createRunStatus(config);
  let lastLine = '';
  let timer: NodeJS.Timeout | undefined;

  const render = () => {
    const line = printable(run.status());
    if (tty) {
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 120) - 1)}`);
      lastLine = line;
    } else if (run.phase === 'run' || line !== lastLine) {
      stream.write(`${line}\n`);
      lastLine = line;
    }
  };
  const clearLine = () => {
    if (tty && lastLine) stream.write('\r\x1b[2K');
  };

  return {
    onStart({ runId, dir }) {
      stream.write(
        `faultline run ${runId}: ${config.cluster.name} × ${config.workload.name} × ${config.nemesis.name}, seed ${config.seed}\n`,
      );
      stream.write(`  writing ${dir}\n`);
      timer = setInterval(render, tty ? 250 : 5000);
      timer.unref();
    },
    onPhase(p) {
      run.onPhase?.(p);
      if (!tty) stream.write(`phase: ${p}\n`);
      else render();
    },
    onOp(op: Op) {
      run.onOp?.(op);
      // A CI log gets a line per fault start and heal: the status line every 5 s misses short faults.
      if (!tty && op.process === 'nemesis' && op.type === 'info' && /^(start|stop)-/.test(op.f)) {
        const [verb, kind] = op.f.startsWith('start-') ? ['start', op.f.slice(6)] : ['heal', op.f.slice(5)];
        stream.write(`fault: ${verb} ${printable(describe(kind, op.value))}\n`);
      }
    },
    onIncident(message) {
      clearLine();
      stream.write(`warning: ${printable(message)}\n`);
    },
    log(line) {
      clearLine();
      stream.write(`${line}\n`);
    },
    stop() {
      if (timer) clearInterval(timer);
      clearLine();
      lastLine = '';
    },
  };
};

const describe = (kind: string, value: unknown): string => {
  const v = (value ?? {}) as { targets?: unknown; description?: unknown };
  if (typeof v.description === 'string') return `${kind} (${v.description})`;
  if (Array.isArray(v.targets)) return `${kind} ${v.targets.join(',')}`;
  return kind;
};
