import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configError, type FaultlineErrorOptions } from '../base/errors.ts';
import { etcdSystem } from './etcd/system.ts';
import { postgresSystem } from './postgres/system.ts';
import { redisSystem } from './redis/system.ts';
import { replicaSystem } from './replica/system.ts';
import type { System } from './system.ts';

/**
 * Systems under test, by the name a cluster preset's `system:` uses, or a
 * user's own module given by path (`system: ./my-db.ts`) whose default
 * export (or `system` export) is a System — the same interface the
 * built-in ones implement.
 */
const SYSTEMS: Readonly<Record<string, System>> = {
  replica: replicaSystem,
  etcd: etcdSystem,
  redis: redisSystem,
  postgres: postgresSystem,
};

export const knownSystems = (): string[] => Object.keys(SYSTEMS).sort();

/** A reference with a "/" or a .ts/.js/.mjs ending is a module path. */
export const isSystemPath = (ref: string): boolean => ref.includes('/') || /\.(ts|mts|js|mjs)$/.test(ref);

/** Checks that a user's module exports something shaped like a System, naming what is missing. */
const checkShape = (value: unknown, file: string, where: FaultlineErrorOptions): System => {
  const s = value as Partial<System> | undefined;
  const missing = (['name', 'workloads', 'launch', 'ready', 'openClient', 'leader'] as const).filter(
    (k) => s?.[k] === undefined,
  );
  if (!s || typeof s !== 'object' || missing.length > 0) {
    throw configError(`${file} does not export a system: missing ${missing.join(', ') || 'a default export'}`, {
      ...where,
      hint: 'export default a System (see docs/systems.md)',
    });
  }
  return s as System;
};

/**
 * A system by name or module path. Relative paths resolve against `baseDir`
 * (the directory of the preset that names it).
 */
export const loadSystem = async (
  ref: string,
  where: FaultlineErrorOptions & { baseDir?: string } = {},
): Promise<System> => {
  const { baseDir, ...at } = where;
  if (!isSystemPath(ref)) {
    const system = Object.hasOwn(SYSTEMS, ref) ? SYSTEMS[ref] : undefined;
    if (!system) {
      throw configError(`unknown system ${JSON.stringify(ref)}`, {
        ...at,
        hint: `known systems: ${knownSystems().join(', ')}; or give the path of a module that exports one`,
      });
    }
    return system;
  }
  const file = isAbsolute(ref) ? ref : resolve(baseDir ?? process.cwd(), ref);
  if (!existsSync(file)) throw configError(`system module not found: ${file}`, at);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (cause) {
    throw configError(
      `system module ${file} could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        ...at,
        cause,
      },
    );
  }
  return checkShape(mod.default ?? mod.system, file, at);
};
