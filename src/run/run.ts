import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { checkWritableDir, makeDirExclusive, writeFileAtomic } from '../base/files.ts';
import { createRandom } from '../base/random.ts';
import { createTeardown, type Teardown } from '../base/teardown.ts';
import { type Clock, createClock, deadlineSignal, sleep } from '../base/time.ts';
import { makeRunTempDir } from '../cluster/markers.ts';
import { createBackend } from '../cluster/registry.ts';
import { runWorkers } from '../generator/workers.ts';
import { HISTORY_FORMAT_VERSION } from '../history/jsonl.ts';
import type { Op } from '../history/op.ts';
import { createRecorder, type Recorder } from '../history/recorder.ts';
import { followSchedule } from '../nemesis/follow.ts';
import { createNemesis, type Nemesis } from '../nemesis/index.ts';
import { formatSchedule, planSchedule, type Schedule } from '../nemesis/schedule.ts';
import type { RunResults } from '../report/results.ts';
import { loadSystem } from '../systems/index.ts';
import type { Client, ClientOptions, NodeAddress } from '../systems/system.ts';
import { clientOptionsOf, getWorkload, systemClientOf } from '../workload/index.ts';
import { createOpSource } from '../workload/ops.ts';
import { analyseRun } from './analyse.ts';
import { faultKindsOf, type ResolvedRunConfig } from './resolve.ts';

/**
 * One run, as DESIGN.md draws it:
 *   cluster up → clients open → run phase (workers + nemesis, time limit)
 *   → heal → quiesce → final reads → cluster down → check → report.
 * Everything started registers an undo step on the teardown stack, so an
 * interrupt (the `signal`) or a crash at any stage still heals, stops every
 * node, removes temp dirs, and writes the history and a report marked
 * interrupted.
 */
export type Phase = 'setup' | 'run' | 'heal' | 'quiesce' | 'final' | 'teardown' | 'check';

/** Optional hooks for progress output. */
export interface RunObserver {
  onStart?(info: { runId: string; dir: string; config: ResolvedRunConfig }): void;
  onPhase?(phase: Phase): void;
  onOp?(op: Op): void;
  /** A harness problem that did not stop the run (a node that would not restart). */
  onIncident?(message: string): void;
}

export interface RunTestOptions {
  /** Aborting interrupts the run: it heals, tears down, and reports what it has. */
  signal?: AbortSignal;
  observer?: RunObserver;
  /** Budget for the linearizability search. */
  checkTimeoutMs?: number;
}

export interface RunOutcome {
  results: RunResults;
  dir: string;
  exitCode: number;
}

export const newRunId = (): string => {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${randomBytes(2).toString('hex')}`;
};

export const runTest = async (config: ResolvedRunConfig, options: RunTestOptions = {}): Promise<RunOutcome> => {
  const interrupt = options.signal ?? new AbortController().signal;
  const observer = options.observer ?? {};
  const runId = newRunId();
  const dir = join(config.reportsDir, config.test, runId);
  checkWritableDir(config.reportsDir, 'reports dir');
  await makeDirExclusive(dir);
  await writeFileAtomic(join(dir, 'config.yaml'), stringify({ runId, ...config }));
  observer.onStart?.({ runId, dir, config });

  const clock = createClock();
  const startedAt = new Date(clock.startedAtMs).toISOString();
  const recorder = createRecorder({
    file: join(dir, 'history.jsonl'),
    clock,
    header: {
      faultline: 'history',
      version: HISTORY_FORMAT_VERSION,
      runId,
      test: config.test,
      seed: config.seed,
      startedAt,
      nodes: config.nodes,
      config,
    },
  });
  if (observer.onOp) recorder.onOp(observer.onOp);
  const incidents: string[] = [];
  const incident = (message: string) => {
    incidents.push(message);
    observer.onIncident?.(message);
  };

  const teardown = createTeardown();
  let failure: unknown;
  try {
    await execute(config, { runId, dir, clock, recorder, teardown, interrupt, observer, incident });
  } catch (e) {
    failure = e;
  } finally {
    observer.onPhase?.('teardown');
    for (const f of await teardown.unwind()) incident(`teardown: ${f.label}: ${errorText(f.error)}`);
    recorder.close();
  }
  // A harness failure before the run phase (a node that would not start) is not a verdict: rethrow.
  if (failure && !interrupt.aborted && !recorder.ops.some((o) => o.process !== 'nemesis')) throw failure;
  if (failure && !interrupt.aborted) incident(`run aborted: ${errorText(failure)}`);

  observer.onPhase?.('check');
  const { results, exitCode } = await analyseRun(
    dir,
    recorder.ops,
    {
      config,
      runId,
      startedAt,
      durationMs: Math.round(clock.now() / 1e6),
      interrupted: interrupt.aborted || failure !== undefined,
      incidents,
    },
    { checkTimeoutMs: options.checkTimeoutMs ?? config.checkTimeoutMs },
  );
  return { results, dir, exitCode };
};

interface RunContext {
  runId: string;
  dir: string;
  clock: Clock;
  recorder: Recorder;
  teardown: Teardown;
  interrupt: AbortSignal;
  observer: RunObserver;
  incident: (message: string) => void;
}

const execute = async (config: ResolvedRunConfig, run: RunContext): Promise<void> => {
  const { recorder, teardown, interrupt, observer } = run;
  const rng = createRandom(config.seed);
  const system = await loadSystem(config.cluster.system);

  // The plan, before anything starts: replayable with --schedule.
  await writeFileAtomic(join(run.dir, 'schedule.yaml'), formatSchedule(scheduleOf(config)));

  // ---- cluster up
  observer.onPhase?.('setup');
  const backend = createBackend(config.backend, config.backendOptions);
  const workDir = await makeRunTempDir(run.runId, 'cluster');
  teardown.push('remove work dir', () =>
    import('node:fs/promises').then((fs) => fs.rm(workDir, { recursive: true, force: true })),
  );
  teardown.push('cluster down', () => backend.down({ keepLogsIn: join(run.dir, 'logs') }));
  await backend.up(
    {
      runId: run.runId,
      system,
      nodes: config.nodes,
      options: config.cluster.options,
      workDir,
      faults: faultKindsOf(config),
      ...(config.cluster.image ? { image: config.cluster.image } : {}),
    },
    interrupt,
  );
  const addresses = backend.addresses();

  // ---- clients open
  const clientOptions: ClientOptions = {
    timeoutMs: config.opTimeoutMs,
    nodes: addresses,
    options: clientOptionsOf(config.workload),
    cluster: config.cluster.options,
  };
  const open = async (node: NodeAddress, extra: { localReads?: boolean } = {}): Promise<Client> => {
    const client = await system.openClient(systemClientOf(config.workload), node, { ...clientOptions, ...extra });
    const remove = teardown.push(`close client of ${node.id}`, () => client.close());
    return {
      invoke: (op, signal) => client.invoke(op, signal),
      close: async () => {
        remove();
        await client.close();
      },
    };
  };

  const nemesis = createNemesis(
    { backend, system, nodes: config.nodes, rng: rng.fork('nemesis'), signal: interrupt },
    recorder,
  );
  const schedule = scheduleOf(config);
  let applied: unknown[] = [];
  // After healing (the stack unwinds newest first): what each step did, also for an interrupted run.
  teardown.push('write the applied schedule', () =>
    writeFileAtomic(join(run.dir, 'schedule-applied.json'), `${JSON.stringify(applied, null, 2)}\n`),
  );
  // Heal before the cluster goes down.
  teardown.push('heal every fault', () => nemesis.healAll());

  // ---- run phase
  observer.onPhase?.('run');
  const { signal: stop, clear: clearTimeLimit } = deadlineSignal(interrupt, config.timeLimitMs);
  await Promise.all([
    runWorkers({
      source: (w, rng) => createOpSource(config.workload, rng, w, config.concurrency),
      concurrency: config.concurrency,
      rate: config.rate,
      opTimeoutMs: config.opTimeoutMs,
      addresses,
      open,
      recorder,
      stop,
      interrupt,
      rng,
    }),
    runNemesis(schedule, nemesis, stop, run).then((steps) => {
      applied = steps;
    }),
  ]).finally(clearTimeLimit);

  // ---- heal, quiesce
  observer.onPhase?.('heal');
  await nemesis.healAll();
  await restartDownNodes(config, backend, interrupt, run.incident);
  if (interrupt.aborted) return;
  observer.onPhase?.('quiesce');
  await sleep(config.quiesceMs, interrupt);

  // ---- final phase: the workload's own (final reads on every node), after every fault is healed
  if (config.workload.final !== 'none' && !interrupt.aborted) {
    observer.onPhase?.('final');
    await getWorkload(config.workload.client).finalPhase({
      preset: config.workload,
      addresses,
      open,
      recorder,
      signal: interrupt,
      opTimeoutMs: config.opTimeoutMs,
      quiesceMs: config.quiesceMs,
    });
  }
};

/** The run's fault schedule: the one resolved with the config, or planned from its nemesis and seed. */
export const scheduleOf = (config: ResolvedRunConfig): Schedule =>
  config.schedule ??
  planSchedule(config.nemesis.lanes, {
    nemesis: config.nemesis.name,
    seed: config.seed,
    nodes: config.nodes,
    timeLimitMs: config.timeLimitMs,
  });

/** Follows the schedule (inject at atMs, heal at healAtMs, overlapping as planned); heals what is left when the phase stops. */
const runNemesis = (schedule: Schedule, nemesis: Nemesis, stop: AbortSignal, run: RunContext) => {
  const phaseStart = run.clock.now();
  return followSchedule(schedule, nemesis, {
    stop,
    nowMs: () => (run.clock.now() - phaseStart) / 1e6,
    incident: run.incident,
  });
};

/** A node that a failed heal left down gets another chance before the final phase. */
const restartDownNodes = async (
  config: ResolvedRunConfig,
  backend: ReturnType<typeof createBackend>,
  signal: AbortSignal,
  incident: (m: string) => void,
): Promise<void> => {
  for (const n of config.nodes) {
    if (backend.isRunning(n) || signal.aborted) continue;
    await backend.start(n, signal).catch((e) => incident(`node ${n} did not restart after healing: ${errorText(e)}`));
  }
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
