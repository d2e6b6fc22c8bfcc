import { randomInt } from 'node:crypto';
import { dirname, resolve as resolvePath } from 'node:path';
import { parseDuration } from '../base/duration.ts';
import { configError, FaultlineError } from '../base/errors.ts';
import { formatPath, parseWith } from '../base/schema.ts';
import { readYamlFile, type YamlSource } from '../base/yaml.ts';
import { KNOWN_CHECKERS } from '../checker/index.ts';
import { checkBackend, getBackend } from '../cluster/registry.ts';
import { planSchedule, type Schedule } from '../nemesis/schedule.ts';
import { isSystemPath, loadSystem } from '../systems/index.ts';
import { WORKLOAD_OPS, type WorkloadPreset, workloadSchema } from '../workload/spec.ts';
import { type ClusterPreset, clusterSchema, type RunFile, runFileSchema } from './config.ts';
import {
  checkFaults,
  checkScheduleFits,
  type LoadedNemesis,
  type LoadedSchedule,
  loadNemesis,
  loadScheduleFile,
  type ResolvedNemesis,
} from './nemesis-config.ts';
import { locatePreset, type PresetKind } from './presets.ts';

/** What a user gives, from CLI flags (strings) or code. Every field optional. */
export interface RunOptions {
  /** A run YAML file that references or inlines presets; flags override it. */
  config?: string;
  test?: string;
  cluster?: string;
  workload?: string;
  /** A nemesis preset, or several joined with + (`leader-kill+partition-halves`) to run at once. */
  nemesis?: string;
  /** A schedule file to replay step by step instead of planning one from the nemesis and seed. */
  schedule?: string;
  backend?: string;
  nodes?: string | number;
  timeLimit?: string | number;
  concurrency?: string | number;
  rate?: string | number;
  seed?: string | number;
  opTimeout?: string | number;
  quiesce?: string | number;
  reportsDir?: string;
}

/** A preset with where it came from (a file, or a run file's key). */
export type Sourced<T> = T & { source: string };

/** Finds the line of a key path inside a loaded preset, for cross-check errors. */
type LineOf = (path: readonly PropertyKey[]) => number | undefined;

/** Everything a run needs, fully resolved and checked. Frozen; goes into the history header and the report. */
export interface ResolvedRunConfig {
  readonly test: string;
  readonly seed: number;
  /** A backend of the registry (src/cluster/registry.ts). */
  readonly backend: string;
  readonly nodes: readonly string[];
  readonly timeLimitMs: number;
  readonly concurrency: number;
  /** Total ops/s; 0 = unlimited. */
  readonly rate: number;
  readonly opTimeoutMs: number;
  readonly quiesceMs: number;
  readonly reportsDir: string;
  readonly cluster: Sourced<ClusterPreset>;
  readonly workload: Sourced<WorkloadPreset>;
  readonly nemesis: ResolvedNemesis;
  /**
   * The fault schedule this run follows: planned from the nemesis and the
   * seed, or read from `scheduleFile`. Fixed before anything starts.
   */
  readonly schedule?: Schedule;
  /** The schedule file replayed (`--schedule`), as an absolute path. */
  readonly scheduleFile?: string;
}

export const DEFAULTS = {
  cluster: 'single-leader-sync',
  workload: 'register',
  nemesis: 'leader-kill',
  backend: 'local',
  timeLimitMs: 30_000,
  concurrency: 5,
  rate: 100,
  opTimeoutMs: 2_000,
  quiesceMs: 3_000,
  reportsDir: 'reports',
} as const;

/** Resolves and validates a run; throws FaultlineError(FL_ERR_CONFIG) naming the problem. Starts nothing. */
export const resolveRunConfig = async (options: RunOptions): Promise<ResolvedRunConfig> => {
  const runFile = options.config ? await loadRunFile(options.config) : undefined;
  const file = runFile?.source.file;
  const fromFile: RunFile = runFile?.data ?? {};

  const lines = new Map<PresetKind, LineOf>();
  const cluster = await loadPreset(lines, 'cluster', options.cluster ?? fromFile.cluster ?? DEFAULTS.cluster, {
    flag: options.cluster ? '--cluster' : 'cluster',
    runFile: options.cluster ? undefined : runFile?.source,
  });
  const workload = await loadPreset(lines, 'workload', options.workload ?? fromFile.workload ?? DEFAULTS.workload, {
    flag: options.workload ? '--workload' : 'workload',
    runFile: options.workload ? undefined : runFile?.source,
  });
  const scheduleRef = options.schedule ?? (options.nemesis === undefined ? fromFile.schedule : undefined);
  if (options.schedule !== undefined && options.nemesis !== undefined) {
    throw configError(
      '--schedule replays a schedule file in place of a nemesis; give one of --schedule and --nemesis',
      {
        path: '--schedule',
      },
    );
  }
  const replay: LoadedSchedule | undefined = scheduleRef
    ? await loadScheduleFile(
        options.schedule ?? resolvePath(dirname(file ?? '.'), scheduleRef),
        options.schedule ? '--schedule' : 'schedule',
      )
    : undefined;
  const loaded: LoadedNemesis = replay
    ? {
        nemesis: {
          name: replay.schedule.nemesis,
          description: `the schedule in ${replay.file}`,
          interval: 5000,
          duration: 5000,
          jitter: 0,
          faults: [],
          compose: [],
          source: replay.file,
          lanes: [],
        },
        faults: replay.faults,
      }
    : await loadNemesis(options.nemesis ?? fromFile.nemesis ?? DEFAULTS.nemesis, {
        flag: options.nemesis ? '--nemesis' : 'nemesis',
        runFile: options.nemesis ? undefined : runFile?.source,
      });
  const nemesis = loaded.nemesis;

  const flagOr = <T>(
    flag: string,
    raw: string | number | undefined,
    parse: (v: string | number) => T,
    fallback: T,
  ): T => {
    if (raw === undefined) return fallback;
    try {
      return parse(raw);
    } catch (e) {
      throw configError((e as Error).message, { path: flag });
    }
  };

  const nodeCount = flagOr('--nodes', options.nodes, (v) => int(v, 1, 9), fromFile.nodes ?? cluster.nodes);
  const nodes = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
  const backend = flagOr('--backend', options.backend, (v) => getBackend(String(v)).name, DEFAULTS.backend);
  if (options.backend === undefined && fromFile.backend !== undefined) {
    try {
      getBackend(fromFile.backend);
    } catch (e) {
      const line = runFile?.source.lineOf(['backend']);
      throw configError((e as FaultlineError).message, {
        path: 'backend',
        ...(file ? { file } : {}),
        ...(line !== undefined ? { line } : {}),
        ...((e as FaultlineError).hint ? { hint: (e as FaultlineError).hint } : {}),
      });
    }
  }
  const chosenBackend = options.backend === undefined ? (fromFile.backend ?? backend) : backend;
  const timeLimitMs = flagOr(
    '--time-limit',
    options.timeLimit,
    (v) => positiveDuration(v),
    fromFile.timeLimit ?? replay?.schedule.timeLimitMs ?? DEFAULTS.timeLimitMs,
  );
  if (timeLimitMs <= 0)
    throw configError('expected a time limit greater than 0', { path: 'timeLimit', ...(file ? { file } : {}) });
  const concurrency = flagOr(
    '--concurrency',
    options.concurrency,
    (v) => int(v, 1, 256),
    fromFile.concurrency ?? workload.concurrency ?? DEFAULTS.concurrency,
  );
  const rate = flagOr('--rate', options.rate, (v) => nonNegative(v), fromFile.rate ?? workload.rate ?? DEFAULTS.rate);
  const seed = flagOr('--seed', options.seed, (v) => int(v, 0, 2 ** 32 - 1), fromFile.seed ?? randomInt(0, 2 ** 31));
  const opTimeoutMs = flagOr(
    '--op-timeout',
    options.opTimeout,
    (v) => positiveDuration(v),
    fromFile.opTimeout ?? workload.opTimeout ?? DEFAULTS.opTimeoutMs,
  );
  const quiesceMs = flagOr(
    '--quiesce',
    options.quiesce,
    (v) => parseDuration(v),
    fromFile.quiesce ?? DEFAULTS.quiesceMs,
  );
  const test = flagOr(
    '--test',
    options.test,
    (v) => testName(String(v)),
    fromFile.test ?? `${cluster.name}-${workload.name}-${nemesis.name}`,
  );

  // A user's system module resolves against its preset's folder, so the config replays from anywhere.
  if (isSystemPath(cluster.system))
    cluster.system = resolvePath(dirname(cluster.source.split('#')[0]!), cluster.system);
  if (replay)
    checkScheduleFits(replay, nodes, timeLimitMs, options.timeLimit !== undefined ? '--time-limit' : 'timeLimit');
  await checkCompatible(cluster, workload, loaded, nodes, chosenBackend, lines);
  const schedule = replay?.schedule ?? planSchedule(nemesis.lanes, { nemesis: nemesis.name, seed, nodes, timeLimitMs });

  return deepFreeze({
    test,
    seed,
    backend: chosenBackend,
    nodes,
    timeLimitMs,
    concurrency,
    rate,
    opTimeoutMs,
    quiesceMs,
    reportsDir: resolvePath(options.reportsDir ?? fromFile.reportsDir ?? DEFAULTS.reportsDir),
    cluster,
    workload,
    nemesis,
    schedule,
    ...(replay ? { scheduleFile: replay.file } : {}),
  });
};

/** Cross-checks between presets: the system runs the workload, grudges name real nodes, the backend can do the faults. */
const checkCompatible = async (
  cluster: Sourced<ClusterPreset>,
  workload: Sourced<WorkloadPreset>,
  nemesis: LoadedNemesis,
  nodes: readonly string[],
  backend: string,
  lines: ReadonlyMap<PresetKind, LineOf>,
): Promise<void> => {
  /** Where a key of a preset is: file, key path and line. */
  const at = (kind: PresetKind, source: string, path: readonly PropertyKey[]) => {
    const line = lines.get(kind)?.(path);
    const [file, inlineKey] = source.split('#'); // "run.yaml#workload": inlined in a run file
    const fullPath = inlineKey ? [inlineKey, ...path] : path;
    return { file: file!, path: formatPath(fullPath), ...(line !== undefined ? { line } : {}) };
  };
  const systemAt = at('cluster', cluster.source, ['system']);
  const system = await loadSystem(cluster.system, systemAt);
  if (!system.workloads.includes(workload.client)) {
    throw configError(`system ${JSON.stringify(system.name)} has no ${JSON.stringify(workload.client)} client`, {
      ...at('workload', workload.source, ['client']),
      hint: `${system.name} supports: ${system.workloads.join(', ')}`,
    });
  }
  try {
    system.validateOptions?.(cluster.options, nodes.length);
  } catch (e) {
    if (!(e instanceof FaultlineError)) throw e;
    const path = (e.path ?? 'options').split('.');
    const message = e.message.startsWith(`${e.path}: `) ? e.message.slice(`${e.path}: `.length) : e.message;
    throw configError(message, { ...at('cluster', cluster.source, path), ...(e.hint ? { hint: e.hint } : {}) });
  }

  if (workload.final === 'write-then-read-each-node' && workload.client !== 'register') {
    throw configError('final writes need the register client', {
      ...at('workload', workload.source, ['final']),
      hint: 'use final: read-each-node',
    });
  }
  const ops = WORKLOAD_OPS[workload.client];
  for (const f of Object.keys(workload.mix)) {
    if (!ops.includes(f)) {
      throw configError(`unknown operation ${JSON.stringify(f)} for the ${workload.client} workload`, {
        ...at('workload', workload.source, ['mix', f]),
        hint: `known operations: ${ops.join(', ')}`,
      });
    }
  }
  if (!Object.values(workload.mix).some((w) => w > 0)) {
    throw configError('at least one operation needs a weight above 0', at('workload', workload.source, ['mix']));
  }
  workload.checkers.forEach((name, i) => {
    if (!KNOWN_CHECKERS.includes(name)) {
      throw configError(`unknown checker ${JSON.stringify(name)}`, {
        ...at('workload', workload.source, ['checkers', i]),
        hint: `known checkers: ${KNOWN_CHECKERS.join(', ')}`,
      });
    }
  });

  // Faults name real nodes and fit the cluster; then the backend must be able to inject every kind.
  await checkBackend(backend, system, checkFaults(nemesis.faults, nodes));
};

interface LoadedRunFile {
  source: YamlSource;
  data: RunFile;
}

const loadRunFile = async (path: string): Promise<LoadedRunFile> => {
  const source = await readYamlFile(path);
  const data = parseWith(runFileSchema, source.data ?? {}, { file: path, lineOf: source.lineOf });
  return { source, data };
};

const SCHEMAS = { cluster: clusterSchema, workload: workloadSchema } as const;
type PresetOf<K extends 'cluster' | 'workload'> = K extends 'cluster' ? ClusterPreset : WorkloadPreset;

/** A preset by name, by path, or inline in the run file. */
async function loadPreset<K extends 'cluster' | 'workload'>(
  lines: Map<PresetKind, LineOf>,
  kind: K,
  ref: string | Record<string, unknown>,
  where: { flag: string; runFile: YamlSource | undefined },
): Promise<Sourced<PresetOf<K>>> {
  const schema = SCHEMAS[kind];
  if (typeof ref !== 'string') {
    const file = where.runFile?.file ?? '<options>';
    const lineOf: LineOf = (p) => where.runFile?.lineOf([kind, ...p]);
    lines.set(kind, lineOf);
    const data = parseWith(schema, ref, { file, prefix: [kind], lineOf });
    return { ...(data as PresetOf<K>), source: `${file}#${kind}` };
  }
  const path = locatePreset(kind, ref, { flag: where.flag, ...(where.runFile ? { file: where.runFile.file } : {}) });
  const source = await readYamlFile(path);
  lines.set(kind, source.lineOf);
  const data = parseWith(schema, source.data, { file: path, lineOf: source.lineOf });
  return { ...(data as PresetOf<K>), source: path };
}

const int = (v: string | number, min: number, max: number): number => {
  const n = typeof v === 'number' ? v : /^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n)) throw new Error(`expected an integer; got ${JSON.stringify(v)}`);
  if (n < min || n > max) throw new Error(`expected an integer from ${min} to ${max}; got ${n}`);
  return n;
};

const nonNegative = (v: string | number): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`expected a number ≥ 0; got ${JSON.stringify(v)}`);
  return n;
};

const positiveDuration = (v: string | number): number => {
  const ms = parseDuration(typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v);
  if (ms <= 0) throw new Error('expected a duration greater than 0');
  return ms;
};

const testName = (v: string): string => {
  if (!/^[A-Za-z0-9._-]+$/.test(v)) throw new Error('expected a name of letters, digits, ".", "_" or "-"');
  return v;
};

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
};
