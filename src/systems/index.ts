import { configError, type FaultlineErrorOptions } from '../base/errors.ts';
import { replicaSystem } from './replica/system.ts';
import type { System } from './system.ts';

/** Systems under test, by the name a cluster preset's `system:` uses. */
const SYSTEMS: Readonly<Record<string, System>> = {
  replica: replicaSystem,
};

export const knownSystems = (): string[] => Object.keys(SYSTEMS).sort();

export const getSystem = (name: string, where: FaultlineErrorOptions = {}): System => {
  const system = SYSTEMS[name];
  if (!system) {
    throw configError(`unknown system ${JSON.stringify(name)}`, {
      ...where,
      hint: `known systems: ${knownSystems().join(', ')}`,
    });
  }
  return system;
};
