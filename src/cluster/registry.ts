import { configError, unsupported } from '../base/errors.ts';
import { which } from '../base/which.ts';
import type { System } from '../systems/system.ts';
import type { Backend, Capabilities, FaultKind } from './backend.ts';
import {
  findProcesses,
  findTempDirs,
  type Leftover,
  removeProcesses,
  removeTempDirs,
  selectRemovable,
} from './leftovers.ts';
import { createLocalBackend, localCapabilities } from './local.ts';
import { validateRunId } from './markers.ts';

/**
 * The one list of backends. The config schema (`backend:`), the check that
 * a run's faults can be injected before anything starts, and `faultline
 * cleanup` all read it; adding a backend is one entry here.
 */
export interface BackendEntry {
  readonly name: string;
  readonly description: string;
  /** Why this backend cannot run here now (no Docker engine reachable), with how to fix it; undefined when it can. */
  unavailable(): Promise<string | undefined>;
  /** What it can inject for this system: true, or why not. */
  capabilities(system: System): Capabilities;
  create(): Backend;
  /** What runs of this backend left behind (all runs, or one). Only reads. */
  findLeftovers(runId: string | undefined): Promise<Leftover[]>;
  /** Removes leftovers that `findLeftovers` returned. */
  removeLeftovers(items: readonly Leftover[]): Promise<void>;
}

const local: BackendEntry = {
  name: 'local',
  description: 'child processes on 127.0.0.1 (no root, no daemon)',
  unavailable: async () => undefined,
  capabilities: localCapabilities,
  create: () => createLocalBackend(),
  findLeftovers: findProcesses,
  removeLeftovers: removeProcesses,
};

const BACKENDS: readonly BackendEntry[] = [local];

export const backendNames = (): string[] => BACKENDS.map((b) => b.name);

/** A backend by name; FL_ERR_CONFIG naming the known ones for an unknown name. */
export const getBackend = (name: string): BackendEntry => {
  const entry = BACKENDS.find((b) => b.name === name);
  if (!entry) {
    throw configError(`unknown backend ${JSON.stringify(name)}`, {
      path: 'backend',
      hint: `known backends: ${backendNames().join(', ')}`,
    });
  }
  return entry;
};

/** A backend instance by name. */
export const createBackend = (name: string): Backend => getBackend(name).create();

/**
 * Before a run: the backend is reachable, and it can inject every fault
 * kind the nemesis needs for this system. FL_ERR_UNSUPPORTED with the
 * backend's reason otherwise; nothing has been started.
 */
export const checkBackend = async (
  name: string,
  system: System,
  faults: readonly { kind: FaultKind; where?: { file?: string; path?: string; line?: number } }[],
): Promise<void> => {
  const entry = getBackend(name);
  const why = await entry.unavailable();
  if (why) throw unsupported(`the ${name} backend is not available: ${why}`, { path: 'backend' });
  for (const r of system.requires ?? []) {
    if (!which(r.command)) {
      throw unsupported(`system ${system.name} needs ${r.command}, which is not installed`, {
        path: 'cluster.system',
        hint: `install the Debian package: apt-get install ${r.package}`,
      });
    }
  }
  const can = entry.capabilities(system);
  for (const f of faults) {
    const verdict = can[f.kind];
    if (verdict !== true)
      throw unsupported(`the ${name} backend cannot inject ${f.kind} faults here: ${verdict}`, f.where ?? {});
  }
};

/** Every leftover of every backend, plus the runs' temp dirs. Only reads. */
export const findLeftovers = async (runId?: string): Promise<Leftover[]> => {
  if (runId !== undefined) validateRunId(runId);
  const lists = await Promise.all([...BACKENDS.map((b) => b.findLeftovers(runId)), findTempDirs(runId)]);
  return lists.flat();
};

export interface CleanupOptions {
  runId?: string;
  /** Also remove a live run's leftovers (its controller is still running). */
  force?: boolean;
  /** Only say what would be removed. */
  dryRun?: boolean;
}

export interface CleanupResult {
  /** Removed, or with dryRun what would be. */
  removed: Leftover[];
  /** Found but spared: a live run's (without force). */
  spared: Leftover[];
}

/**
 * `faultline cleanup`: removes what `findLeftovers` found and
 * `selectRemovable` allows — backends' things first (they may live in the
 * temp dirs), then the temp dirs.
 */
export const cleanupLeftovers = async (options: CleanupOptions = {}): Promise<CleanupResult> => {
  const found = await findLeftovers(options.runId);
  const removed = selectRemovable(found, options.runId, options.force);
  const spared = found.filter(
    (l) => !removed.includes(l) && (options.runId === undefined || l.runId === options.runId),
  );
  if (!options.dryRun) {
    for (const b of BACKENDS) await b.removeLeftovers(removed);
    await removeTempDirs(removed);
  }
  return { removed, spared };
};
