import { randomInt } from 'node:crypto';
import { dirname, resolve as resolvePath } from 'node:path';
import type { z } from 'zod';
import { configError, FaultlineError } from '../base/errors.ts';
import { checkWritableDir } from '../base/files.ts';
import { formatPath, parseFlag, parseWith } from '../base/schema.ts';
import { readYamlFile, type YamlSource } from '../base/yaml.ts';
import { isCheckerName, KNOWN_CHECKERS } from '../checker/index.ts';
import type { FaultKind } from '../cluster/backend.ts';
import { checkBackend, getBackend } from '../cluster/registry.ts';
import { planSchedule, type Schedule } from '../nemesis/schedule.ts';
import { capabilitiesOf } from '../nemesis/validate.ts';
import { isSystemPath, loadSystem } from '../systems/index.ts';
import { findWorkload, systemClientOf, workloadNames } from '../workload/index.ts';
import { type ResolvedWorkload, type WorkloadPreset, workloadSchema } from '../workload/spec.ts';
import { WorkloadPresetError } from '../workload/workload.ts';
import { type ClusterPreset, clusterSchema, type RunField, type RunFile, runFields, runFileSchema } from './config.ts';
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
  checkTimeout?: string | number;
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
  /** The run file's `backendOptions:`, checked by that backend. */
  readonly backendOptions: Readonly<Record<string, unknown>>;
  readonly nodes: readonly string[];
  readonly timeLimitMs: number;
  readonly concurrency: number;
  /** Total ops/s; 0 = unlimited. */
  readonly rate: number;
  readonly opTimeoutMs: number;
  readonly quiesceMs: number;
  /** Budget for the linearizability search. */
  readonly checkTimeoutMs: number;
  readonly reportsDir: string;
  readonly cluster: Sourced<ClusterPreset>;
  readonly workload: Sourced<ResolvedWorkload>;
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
  checkTimeoutMs: 60_000,
  reportsDir: 'reports',
} as const;

/** The flag of each run option: a new option does not compile without one. */
export const RUN_FLAGS: Readonly<Record<RunField, `--${string}`>> = {
  test: '--test',
  backend: '--backend',
  nodes: '--nodes',
  timeLimit: '--time-limit',
  concurrency: '--concurrency',
  rate: '--rate',
  seed: '--seed',
  opTimeout: '--op-timeout',
  quiesce: '--quiesce',
  checkTimeout: '--check-timeout',
  reportsDir: '--reports-dir',
};

type RunValues = { [K in RunField]?: z.output<(typeof runFields)[K]> };

/** Flag values, each parsed with the same schema as its run-file key (one schema, the same messages). */
const parseFlags = (options: RunOptions): RunValues => {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(RUN_FLAGS) as RunField[]) {
    const raw = options[key];
    if (raw === undefined) continue;
    out[key] = parseFlag(RUN_FLAGS[key], runFields[key], raw);
  }
  return out as RunValues;
};

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
  if (options.schedule === undefined && options.nemesis === undefined && fromFile.schedule && fromFile.nemesis) {
    const line = runFile?.source.lineOf(['schedule']);
    throw configError('a run file gives a schedule or a nemesis, not both', {
      path: 'schedule',
      ...(file ? { file } : {}),
      ...(line !== undefined ? { line } : {}),
      hint: 'the schedule replays its own faults; remove nemesis (or schedule)',
    });
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

  const v: RunValues = { ...fromFile, ...parseFlags(options) };
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
  let backend: string;
  try {
    backend = getBackend(v.backend ?? DEFAULTS.backend).name;
  } catch (e) {
    // Only a flag can still be wrong here (a run file's value was checked above, with its line).
    throw configError((e as FaultlineError).message, {
      path: '--backend',
      ...((e as FaultlineError).hint ? { hint: (e as FaultlineError).hint } : {}),
    });
  }
  const nodes = Array.from({ length: v.nodes ?? cluster.nodes }, (_, i) => `n${i + 1}`);
  const test = v.test ?? `${cluster.name}-${workload.name}-${nemesis.name}`;
  const reportsDir = resolvePath(v.reportsDir ?? DEFAULTS.reportsDir);
  try {
    checkWritableDir(reportsDir, 'reports dir');
  } catch (e) {
    const flag = options.reportsDir !== undefined;
    const line = flag ? undefined : runFile?.source.lineOf(['reportsDir']);
    throw configError((e as FaultlineError).message, {
      path: flag ? '--reports-dir' : 'reportsDir',
      ...(!flag && file ? { file } : {}),
      ...(line !== undefined ? { line } : {}),
    });
  }
  const backendOptions = fromFile.backendOptions ?? {};
  try {
    getBackend(backend).validateOptions(backendOptions);
  } catch (e) {
    if (!(e instanceof FaultlineError)) throw e;
    const line = e.path ? runFile?.source.lineOf(e.path.split('.')) : undefined;
    throw configError(e.message, {
      ...(e.path ? { path: e.path } : {}),
      ...(file ? { file } : {}),
      ...(line !== undefined ? { line } : {}),
      ...(e.hint ? { hint: e.hint } : {}),
    });
  }

  // A user's system module resolves against its preset's folder, so the config replays from anywhere.
  if (isSystemPath(cluster.system))
    cluster.system = resolvePath(dirname(cluster.source.split('#')[0]!), cluster.system);
  const resolvedWorkload = checkWorkload(workload, lines);
  const timeLimitMs = v.timeLimit ?? replay?.schedule.timeLimitMs ?? DEFAULTS.timeLimitMs;
  const seed = v.seed ?? randomInt(0, 2 ** 31);
  if (replay)
    checkScheduleFits(replay, nodes, timeLimitMs, options.timeLimit !== undefined ? '--time-limit' : 'timeLimit');
  await checkCompatible(cluster, resolvedWorkload, loaded, nodes, backend, lines);
  const schedule = replay?.schedule ?? planSchedule(nemesis.lanes, { nemesis: nemesis.name, seed, nodes, timeLimitMs });

  return deepFreeze({
    test,
    seed,
    backend,
    backendOptions,
    nodes,
    timeLimitMs,
    concurrency: v.concurrency ?? workload.concurrency ?? DEFAULTS.concurrency,
    rate: v.rate ?? workload.rate ?? DEFAULTS.rate,
    opTimeoutMs: v.opTimeout ?? workload.opTimeout ?? DEFAULTS.opTimeoutMs,
    quiesceMs: v.quiesce ?? cluster.quiesce ?? DEFAULTS.quiesceMs,
    checkTimeoutMs: v.checkTimeout ?? DEFAULTS.checkTimeoutMs,
    reportsDir,
    cluster,
    workload: resolvedWorkload,
    nemesis,
    schedule,
    ...(replay ? { scheduleFile: replay.file } : {}),
  });
};

/** Where a key of a preset is: file, key path and line. */
const locate = (
  lines: ReadonlyMap<PresetKind, LineOf>,
  kind: PresetKind,
  source: string,
  path: readonly PropertyKey[],
) => {
  const line = lines.get(kind)?.(path);
  const [file, inlineKey] = source.split('#'); // "run.yaml#workload": inlined in a run file
  const fullPath = inlineKey ? [inlineKey, ...path] : path;
  return { file: file!, path: formatPath(fullPath), ...(line !== undefined ? { line } : {}) };
};

/**
 * The workload preset against its module (src/workload): a known module,
 * operations it issues, a final phase it has, known checkers; the module's
 * defaults filled in and its own checks run.
 */
const checkWorkload = (
  workload: Sourced<WorkloadPreset>,
  lines: ReadonlyMap<PresetKind, LineOf>,
): Sourced<ResolvedWorkload> => {
  const at = (path: readonly PropertyKey[]) => locate(lines, 'workload', workload.source, path);
  const module = findWorkload(workload.client);
  if (!module)
    throw configError(`unknown workload ${JSON.stringify(workload.client)}`, {
      ...at(['client']),
      hint: `known workloads: ${workloadNames().join(', ')}`,
    });
  const ops = Object.keys(module.ops);
  for (const f of Object.keys(workload.mix)) {
    if (!ops.includes(f)) {
      throw configError(`unknown operation ${JSON.stringify(f)} for the ${module.name} workload`, {
        ...at(['mix', f]),
        hint: `known operations: ${ops.join(', ')}`,
      });
    }
  }
  if (!Object.values(workload.mix).some((w) => w > 0))
    throw configError('at least one operation needs a weight above 0', at(['mix']));
  const final = workload.final ?? module.finals[0]!;
  if (!module.finals.includes(final))
    throw configError(`the ${module.name} workload has no final phase ${JSON.stringify(final)}`, {
      ...at(['final']),
      hint: `its final phases: ${module.finals.join(', ')}`,
    });
  const checkers = workload.checkers ?? [...module.checkers];
  checkers.forEach((name, i) => {
    if (!isCheckerName(name)) {
      throw configError(`unknown checker ${JSON.stringify(name)}`, {
        ...at(['checkers', i]),
        hint: `known checkers: ${KNOWN_CHECKERS.join(', ')}`,
      });
    }
  });
  try {
    module.validate?.(workload);
  } catch (e) {
    if (!(e instanceof WorkloadPresetError)) throw e;
    throw configError(e.message, { ...at(e.path), ...(e.hint ? { hint: e.hint } : {}) });
  }
  return { ...workload, final, checkers, model: workload.model ?? module.model };
};

/** Cross-checks between presets: the system runs the workload, grudges name real nodes, the backend can do the faults. */
const checkCompatible = async (
  cluster: Sourced<ClusterPreset>,
  workload: Sourced<ResolvedWorkload>,
  nemesis: LoadedNemesis,
  nodes: readonly string[],
  backend: string,
  lines: ReadonlyMap<PresetKind, LineOf>,
): Promise<void> => {
  const at = (kind: PresetKind, source: string, path: readonly PropertyKey[]) => locate(lines, kind, source, path);
  const systemAt = at('cluster', cluster.source, ['system']);
  const system = await loadSystem(cluster.system, systemAt);
  const client = systemClientOf(workload);
  if (!system.workloads.includes(client)) {
    throw configError(`system ${JSON.stringify(system.name)} has no ${JSON.stringify(client)} client`, {
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

  // Faults name real nodes and fit the cluster; then the backend must be able to inject every kind.
  const image = cluster.image ? { name: cluster.image, where: at('cluster', cluster.source, ['image']) } : undefined;
  await checkBackend(backend, system, checkFaults(nemesis.faults, nodes), image);
};

/**
 * The fault kinds a run may inject, so a backend prepares for them (libfaketime
 * for clock faults): every kind its nemesis lanes hold or its schedule steps use.
 */
export const faultKindsOf = (config: Pick<ResolvedRunConfig, 'nemesis' | 'schedule'>): FaultKind[] => {
  const faults = [
    ...config.nemesis.lanes.flatMap((l) => l.faults),
    ...(config.schedule?.steps.map((s) => s.fault) ?? []),
  ];
  return [...new Set(faults.flatMap(capabilitiesOf))];
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

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
};
