import { configError, FaultlineError, unsupported } from '../base/errors.ts';
import { which } from '../base/which.ts';
import type { System } from '../systems/system.ts';
import type { Backend, Capabilities, FaultKind } from './backend.ts';
import { createDockerBackend } from './docker/backend.ts';
import { dockerCapabilities, validateDockerOptions } from './docker/capabilities.ts';
import { connectEngine, engineUnavailable } from './docker/engine.ts';
import { checkUserImage } from './docker/image.ts';
import { findDockerLeftovers, removeDockerLeftovers } from './docker/leftovers.ts';
import {
  findProcesses,
  findTempDirs,
  type Leftover,
  removeProcesses,
  removeTempDirs,
  selectRemovable,
} from './leftovers.ts';
import { createLocalBackend, localCapabilities } from './local.ts';
import { findFirewallLeftovers, removeFirewallLeftovers } from './local-firewall.ts';
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
  /** Checks a run file's `backendOptions:` for this backend; FL_ERR_CONFIG naming the key (path backendOptions.<key>). */
  validateOptions(options: Readonly<Record<string, unknown>>): void;
  create(options?: Readonly<Record<string, unknown>>): Backend;
  /**
   * For backends that run images: checks that a cluster preset's `image:`
   * can be used (it is on this machine); FL_ERR_CONFIG naming it otherwise.
   * Backends without it ignore `image:`.
   */
  checkImage?(image: string): Promise<void>;
  /** What runs of this backend left behind (all runs, or one). Only reads. */
  findLeftovers(runId: string | undefined): Promise<Leftover[]>;
  /** Removes leftovers that `findLeftovers` returned. */
  removeLeftovers(items: readonly Leftover[]): Promise<void>;
}

const noOptions = (backend: string) => (options: Readonly<Record<string, unknown>>) => {
  const [key] = Object.keys(options);
  if (key !== undefined) {
    throw configError(`the ${backend} backend has no option ${JSON.stringify(key)}`, { path: `backendOptions.${key}` });
  }
};

const local: BackendEntry = {
  name: 'local',
  description: 'child processes on loopback (no daemon; root only for direct-addressing systems’ partitions)',
  unavailable: async () => undefined,
  capabilities: localCapabilities,
  validateOptions: noOptions('local'),
  create: () => createLocalBackend(),
  findLeftovers: async (runId) => [...(await findProcesses(runId)), ...(await findFirewallLeftovers(runId))],
  removeLeftovers: async (items) => {
    await removeProcesses(items);
    await removeFirewallLeftovers(items);
  },
};

const docker: BackendEntry = {
  name: 'docker',
  description: 'one container per node on an internal network of the run (dockerode; needs a Docker engine)',
  unavailable: () => engineUnavailable(),
  capabilities: dockerCapabilities,
  validateOptions: validateDockerOptions,
  create: (options = {}) => createDockerBackend(validateDockerOptions(options)),
  findLeftovers: findDockerLeftovers,
  removeLeftovers: removeDockerLeftovers,
  checkImage: async (image) => checkUserImage(await connectEngine(), image),
};

const BACKENDS: readonly BackendEntry[] = [local, docker];

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

/** A backend instance by name, with its options (a run file's `backendOptions:`). */
export const createBackend = (name: string, options: Readonly<Record<string, unknown>> = {}): Backend =>
  getBackend(name).create(options);

/**
 * Before a run: the backend is reachable, and it can inject every fault
 * kind the nemesis needs for this system. FL_ERR_UNSUPPORTED with the
 * backend's reason otherwise; nothing has been started.
 */
export const checkBackend = async (
  name: string,
  system: System,
  faults: readonly { kind: FaultKind; where?: { file?: string; path?: string; line?: number } }[],
  image?: { name: string; where?: { file?: string; path?: string; line?: number } },
): Promise<void> => {
  const entry = getBackend(name);
  const why = await entry.unavailable();
  if (why) throw unsupported(`the ${name} backend is not available: ${why}`, { path: 'backend' });
  const fromImage = image !== undefined && entry.checkImage !== undefined;
  if (fromImage) {
    try {
      await entry.checkImage!(image.name);
    } catch (e) {
      if (e instanceof FaultlineError) {
        throw new FaultlineError(e.code, e.message, { ...(image.where ?? {}), ...(e.hint ? { hint: e.hint } : {}) });
      }
      throw e;
    }
  }
  // The system's binaries come from the image then, not from this machine.
  for (const r of fromImage ? [] : (system.requires ?? [])) {
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
