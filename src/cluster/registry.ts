import { configError } from '../base/errors.ts';
import type { Backend, FaultKind } from './backend.ts';
import { createLocalBackend, LOCAL_CAPABILITIES, type LocalBackendOptions } from './local.ts';

/**
 * The backends faultline knows, by the name a run config uses. Docker joins
 * later; each entry says what it can do so a run is rejected before anything
 * starts when it asks for a fault the backend cannot inject.
 */

export { validateGrudge } from '../net/links.ts';
export type { Backend, ClusterSpec, FaultKind, Grudge, Link, LinkShape, NodeLogs } from './backend.ts';
export {
  cleanupLeftovers,
  findLeftovers,
  type Leftovers,
  makeRunTempDir,
  RUN_ID_ENV,
} from './cleanup.ts';
export { createLocalBackend, type LocalBackend, type LocalBackendOptions } from './local.ts';

export type BackendOptions = LocalBackendOptions;

const BACKENDS: Record<string, { capabilities: ReadonlySet<FaultKind>; create: (o: BackendOptions) => Backend }> = {
  local: { capabilities: LOCAL_CAPABILITIES, create: createLocalBackend },
};

export const backendNames = (): string[] => Object.keys(BACKENDS);

const lookup = (name: string) => {
  const entry = Object.hasOwn(BACKENDS, name) ? BACKENDS[name] : undefined;
  if (!entry) {
    throw configError(`unknown backend "${name}"; known backends: ${backendNames().join(', ')}`, { path: 'backend' });
  }
  return entry;
};

/** A backend by name; FL_ERR_CONFIG naming the known ones for an unknown name. */
export const createBackend = (name: 'local' | (string & {}), options: BackendOptions = {}): Backend =>
  lookup(name).create(options);

/** What a backend can inject, without creating it (for validating a run before it starts). */
export const getBackendCapabilities = (name: string): ReadonlySet<FaultKind> => lookup(name).capabilities;
