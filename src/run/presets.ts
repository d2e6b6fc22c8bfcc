import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { configError } from '../base/errors.ts';
import { packagePath } from '../base/ts-node.ts';

/**
 * Presets are YAML files found by name: first in the current directory's
 * `cluster/`, `workloads/`, `nemeses/` (a user's own), then in faultline's
 * own. A reference containing "/" or ending in .yaml is a path.
 */
export type PresetKind = 'cluster' | 'workload' | 'nemesis';

export const PRESET_DIRS: Readonly<Record<PresetKind, string>> = {
  cluster: 'cluster',
  workload: 'workloads',
  nemesis: 'nemeses',
};

const searchDirs = (kind: PresetKind): string[] => {
  const own = packagePath(PRESET_DIRS[kind]);
  const local = resolve(PRESET_DIRS[kind]);
  return local === own ? [own] : [local, own];
};

export const isPresetPath = (ref: string): boolean => ref.includes('/') || /\.ya?ml$/.test(ref);

/** Names of the presets of a kind, sorted, user presets first shadowing faultline's. */
export const listPresets = (kind: PresetKind): string[] => {
  const names = new Set<string>();
  for (const dir of searchDirs(kind)) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (/\.ya?ml$/.test(f)) names.add(f.replace(/\.ya?ml$/, ''));
  }
  return [...names].sort();
};

/** The file a preset reference points to; an unknown name lists the known ones. */
export const locatePreset = (kind: PresetKind, ref: string, where: { flag: string; file?: string }): string => {
  if (isPresetPath(ref)) {
    const path = isAbsolute(ref) ? ref : resolve(ref);
    if (!existsSync(path))
      throw configError(`${kind} preset file not found: ${ref}`, {
        path: where.flag,
        ...(where.file ? { file: where.file } : {}),
      });
    return path;
  }
  for (const dir of searchDirs(kind)) {
    for (const ext of ['.yaml', '.yml']) {
      const path = join(dir, ref + ext);
      if (existsSync(path)) return path;
    }
  }
  throw configError(`unknown ${kind} preset ${JSON.stringify(ref)}`, {
    path: where.flag,
    ...(where.file ? { file: where.file } : {}),
    hint: `known ${kind} presets: ${listPresets(kind).join(', ') || '(none)'}; or give a path to a YAML file`,
  });
};
