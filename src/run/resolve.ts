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
import { type FaultSpec, type NemesisPreset, nemesisSchema } from '../nemesis/spec.ts';
import { isSystemPath, loadSystem } from '../systems/index.ts';
import { findWorkload, systemClientOf, workloadNames } from '../workload/index.ts';
import { type ResolvedWorkload, type WorkloadPreset, workloadSchema } from '../workload/spec.ts';
import { WorkloadPresetError } from '../workload/workload.ts';
import { type ClusterPreset, clusterSchema, type RunField, type RunFile, runFields, runFileSchema } from './config.ts';
import { locatePreset, type PresetKind } from './presets.ts';

/** What a user gives, from CLI flags (strings) or code. Every field optional. */
export interface RunOptions {
  /** A run YAML file that references or inlines presets; flags override it. */
  config?: string;
  test?: string;
  cluster?: string;
  workload?: string;
  nemesis?: string;
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
  readonly nemesis: Sourced<NemesisPreset>;
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
  const nemesis = await loadPreset(lines, 'nemesis', options.nemesis ?? fromFile.nemesis ?? DEFAULTS.nemesis, {
    flag: options.nemesis ? '--nemesis' : 'nemesis',
    runFile: options.nemesis ? undefined : runFile?.source,
  });

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
  await checkCompatible(cluster, resolvedWorkload, nemesis, nodes, backend, lines);

  return deepFreeze({
    test,
    seed: v.seed ?? randomInt(0, 2 ** 31),
    backend,
    backendOptions,
    nodes,
    timeLimitMs: v.timeLimit ?? DEFAULTS.timeLimitMs,
    concurrency: v.concurrency ?? workload.concurrency ?? DEFAULTS.concurrency,
    rate: v.rate ?? workload.rate ?? DEFAULTS.rate,
    opTimeoutMs: v.opTimeout ?? workload.opTimeout ?? DEFAULTS.opTimeoutMs,
    quiesceMs: v.quiesce ?? cluster.quiesce ?? DEFAULTS.quiesceMs,
    checkTimeoutMs: v.checkTimeout ?? DEFAULTS.checkTimeoutMs,
    reportsDir,
    cluster,
    workload: resolvedWorkload,
    nemesis,
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
  nemesis: Sourced<NemesisPreset>,
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

  const faults = nemesis.faults.map((fault, i) => ({
    kind: faultCapability(fault),
    where: at('nemesis', nemesis.source, ['faults', i, 'kind']),
  }));
  const image = cluster.image ? { name: cluster.image, where: at('cluster', cluster.source, ['image']) } : undefined;
  await checkBackend(backend, system, faults, image);
  nemesis.faults.forEach((fault, i) => {
    const where = (...path: PropertyKey[]) => at('nemesis', nemesis.source, ['faults', i, ...path]);
    if ('target' in fault && Array.isArray(fault.target)) {
      for (const n of fault.target) {
        if (!nodes.includes(n)) {
          throw configError(
            `node ${n} is not in this ${nodes.length}-node cluster (${nodes.join(', ')})`,
            where('target'),
          );
        }
      }
    }
    if (fault.kind === 'partition') {
      if (nodes.length < 2) throw configError('a partition needs at least 2 nodes', where('grudge'));
      if (typeof fault.grudge === 'object') {
        for (const [node, dropped] of Object.entries(fault.grudge)) {
          for (const n of [node, ...dropped]) {
            if (!nodes.includes(n)) {
              const message = `grudge names node ${n}, but the cluster has ${nodes.length} nodes (${nodes.join(', ')})`;
              throw configError(message, where('grudge', node));
            }
          }
        }
      }
    }
  });
};

/** The fault kinds a nemesis preset may inject (what a backend prepares for). */
export const faultKindsOf = (nemesis: Pick<NemesisPreset, 'faults'>): FaultKind[] => [
  ...new Set(nemesis.faults.map(faultCapability)),
];

const faultCapability = (fault: FaultSpec): FaultKind => {
  switch (fault.kind) {
    case 'kill':
    case 'pause':
    case 'partition':
    case 'clock':
      return fault.kind;
    case 'shape':
      return fault.loss !== undefined && !fault.delay ? 'loss' : 'delay';
  }
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

const SCHEMAS = { cluster: clusterSchema, workload: workloadSchema, nemesis: nemesisSchema } as const;
type PresetOf<K extends PresetKind> = K extends 'cluster'
  ? ClusterPreset
  : K extends 'workload'
    ? WorkloadPreset
    : NemesisPreset;

/** A preset by name, by path, or inline in the run file. */
async function loadPreset<K extends PresetKind>(
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
