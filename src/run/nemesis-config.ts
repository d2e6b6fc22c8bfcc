import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { configError, type FaultlineErrorOptions } from '../base/errors.ts';
import { formatPath, parseWith } from '../base/schema.ts';
import { readYamlFile, type YamlSource } from '../base/yaml.ts';
import type { FaultKind } from '../cluster/backend.ts';
import { parseSchedule, type Schedule } from '../nemesis/schedule.ts';
import { type FaultSpec, type Lane, type NemesisPreset, nemesisSchema, ownLane } from '../nemesis/spec.ts';
import { capabilitiesOf, faultProblems } from '../nemesis/validate.ts';
import { isPresetPath, locatePreset } from './presets.ts';

/**
 * The nemesis side of a run's config: a preset by name or path, inline in
 * a run file, or a composition (`--nemesis leader-kill+partition-halves`,
 * or `compose:` in a preset) flattened into lanes that run at the same
 * time; or a schedule file (`--schedule FILE`) replayed step by step.
 * Every fault keeps where it was written, so a cross-check error points at
 * the file and line of the fault, whichever preset of a composition it is in.
 */

/** Where a key is: file, key path, line. */
type Where = (path: readonly PropertyKey[]) => FaultlineErrorOptions & { file: string; path: string };

/** A fault with where it was written. */
export interface LocatedFault {
  fault: FaultSpec;
  where: Where;
}

/** A resolved nemesis: the preset as written, plus the lanes it runs (its own and every composed one). */
export type ResolvedNemesis = NemesisPreset & { source: string; lanes: readonly Lane[] };

export interface LoadedNemesis {
  nemesis: ResolvedNemesis;
  faults: LocatedFault[];
}

const locator =
  (
    file: string,
    lineOf: ((p: readonly PropertyKey[]) => number | undefined) | undefined,
    prefix: readonly PropertyKey[],
  ): Where =>
  (path) => {
    const line = lineOf?.([...prefix, ...path]);
    return { file, path: formatPath([...prefix, ...path]), ...(line !== undefined ? { line } : {}) };
  };

/** A composition by name: "a+b", unless that is a file. */
const isComposition = (ref: string): boolean => ref.includes('+') && !existsSync(resolvePath(ref));

/**
 * Loads a nemesis reference. `runFile` is the run YAML file an inline
 * preset (or a name) came from, for error locations.
 */
export const loadNemesis = async (
  ref: string | Record<string, unknown>,
  where: { flag: string; runFile: YamlSource | undefined },
): Promise<LoadedNemesis> => loadRef(ref, where, []);

const loadRef = async (
  ref: string | Record<string, unknown>,
  where: { flag: string; runFile: YamlSource | undefined },
  stack: readonly string[],
): Promise<LoadedNemesis> => {
  if (typeof ref !== 'string') {
    const file = where.runFile?.file ?? '<options>';
    const lineOf = (p: readonly PropertyKey[]) => where.runFile?.lineOf(['nemesis', ...p]);
    const preset = parseWith(nemesisSchema, ref, { file, prefix: ['nemesis'], lineOf });
    return expand(preset, `${file}#nemesis`, locator(file, where.runFile?.lineOf, ['nemesis']), where, stack);
  }
  if (isComposition(ref)) {
    const parts = ref.split('+').map((p) => p.trim());
    if (parts.some((p) => p === '')) {
      throw configError(`empty preset name in the composition ${JSON.stringify(ref)}`, {
        path: where.flag,
        hint: 'join preset names with +, e.g. leader-kill+partition-halves',
      });
    }
    const loaded = [];
    for (const p of parts) loaded.push(await loadRef(p, where, stack));
    return {
      nemesis: {
        name: ref,
        description: `${parts.join(', ')} at the same time`,
        interval: 5000,
        duration: 5000,
        jitter: 0,
        faults: [],
        compose: parts,
        source: ref,
        lanes: loaded.flatMap((l) => l.nemesis.lanes),
      },
      faults: loaded.flatMap((l) => l.faults),
    };
  }
  const path = locatePreset('nemesis', ref, {
    flag: where.flag,
    ...(where.runFile ? { file: where.runFile.file } : {}),
  });
  if (stack.includes(path)) {
    throw configError(`nemesis presets compose each other in a cycle: ${[...stack, path].join(' → ')}`, {
      path: where.flag,
    });
  }
  const source = await readYamlFile(path);
  const preset = parseWith(nemesisSchema, source.data, { file: path, lineOf: source.lineOf });
  return expand(preset, path, locator(path, source.lineOf, []), { flag: where.flag, runFile: source }, [
    ...stack,
    path,
  ]);
};

/** A preset's own lane plus each composed one. */
const expand = async (
  preset: NemesisPreset,
  source: string,
  at: Where,
  where: { flag: string; runFile: YamlSource | undefined },
  stack: readonly string[],
): Promise<LoadedNemesis> => {
  const lanes: Lane[] = [];
  const faults: LocatedFault[] = [];
  if (preset.faults.length > 0) {
    lanes.push(ownLane(preset));
    preset.faults.forEach((fault, i) => {
      faults.push({ fault, where: (p) => at(['faults', i, ...p]) });
    });
  }
  for (const [i, entry] of preset.compose.entries()) {
    if (typeof entry === 'string') {
      // A path in a preset is relative to that preset's file.
      const file = source.split('#')[0]!;
      const ref =
        isPresetPath(entry) && !isAbsolute(entry) && !entry.includes('+') ? resolvePath(dirname(file), entry) : entry;
      const inner = await loadRef(ref, { flag: at(['compose', i]).path, runFile: where.runFile }, stack);
      lanes.push(...inner.nemesis.lanes);
      faults.push(...inner.faults);
      continue;
    }
    const name = entry.name ?? `${preset.name}[${i}]`;
    lanes.push({ ...ownLane({ ...entry, name }) });
    entry.faults.forEach((fault, j) => {
      faults.push({ fault, where: (p) => at(['compose', i, 'faults', j, ...p]) });
    });
  }
  return { nemesis: { ...preset, source, lanes }, faults };
};

/** Cross-checks every fault against the cluster's nodes; returns what the backend must be able to inject. */
export const checkFaults = (
  faults: readonly LocatedFault[],
  nodes: readonly string[],
): { kind: FaultKind; where: ReturnType<Where> }[] => {
  const needs: { kind: FaultKind; where: ReturnType<Where> }[] = [];
  for (const { fault, where } of faults) {
    const problem = faultProblems(fault, nodes)[0];
    if (problem)
      throw configError(problem.message, { ...where(problem.path), ...(problem.hint ? { hint: problem.hint } : {}) });
    for (const kind of capabilitiesOf(fault)) needs.push({ kind, where: where(['kind']) });
  }
  return needs;
};

// ---------------------------------------------------------------- --schedule FILE

export interface LoadedSchedule {
  schedule: Schedule;
  file: string;
  faults: LocatedFault[];
}

/** A schedule file for `--schedule`: parsed and located; checked against the cluster by `checkScheduleFits`. */
export const loadScheduleFile = async (ref: string, flag: string): Promise<LoadedSchedule> => {
  const file = resolvePath(ref);
  if (!existsSync(file)) throw configError(`schedule file not found: ${ref}`, { path: flag });
  const source = await readYamlFile(file);
  const schedule = parseSchedule(source.data, { file, lineOf: source.lineOf });
  // parseSchedule sorted the steps; locate each by its id in the file's own order.
  const raw = (source.data as { steps?: { id?: unknown }[] }).steps ?? [];
  const faults = schedule.steps.map((s) => {
    const i = raw.findIndex((r) => r?.id === s.id);
    return { fault: s.fault, where: locator(file, source.lineOf, ['steps', i, 'fault']) };
  });
  return { schedule, file, faults };
};

/** The schedule was planned for this many nodes, and heals within the time limit. */
export const checkScheduleFits = (
  loaded: LoadedSchedule,
  nodes: readonly string[],
  timeLimitMs: number,
  timeLimitFlag: string,
): void => {
  const { schedule, file } = loaded;
  if (schedule.nodes.length !== nodes.length) {
    throw configError(
      `the schedule was planned for ${schedule.nodes.length} nodes (${schedule.nodes.join(', ')}); this cluster has ${nodes.length}`,
      { file, path: 'nodes', hint: `replay with --nodes ${schedule.nodes.length}` },
    );
  }
  const last = Math.max(0, ...schedule.steps.map((s) => s.healAtMs));
  if (last > timeLimitMs) {
    throw configError(
      `the schedule's last step heals at ${last / 1000}s, after the time limit ${timeLimitMs / 1000}s`,
      {
        path: timeLimitFlag,
        hint: `give a time limit of at least ${Math.ceil(last / 1000)}s, or leave it out to use the schedule's`,
      },
    );
  }
};
