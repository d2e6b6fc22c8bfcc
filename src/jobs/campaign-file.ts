import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { configError, FaultlineError } from '../base/errors.ts';
import { duration, formatPath, integer, parseWith } from '../base/schema.ts';
import { readYamlFile } from '../base/yaml.ts';
import { runFields } from '../run/config.ts';
import { isPresetPath, locatePreset, type PresetKind } from '../run/presets.ts';

/**
 * A campaign file: the matrix a night runs. Clusters × workloads × nemeses,
 * each cell `runs` times (or once per listed seed), minus `exclude`d cells,
 * plus `include`d ones; the run options every run shares; and a time budget.
 *
 *   name: nightly
 *   seed: 1                 # the runs' seeds derive from it; --seed varies it per night
 *   timeLimit: 20s
 *   budget: 2h              # wall clock for one invocation (one shard)
 *   runs: 3
 *   clusters: [single-leader-sync, single-leader-async]
 *   workloads: [set, register]
 *   nemeses: [leader-kill, partition-halves]
 *   exclude:
 *     - { cluster: single-leader-async, workload: register }
 *   include:
 *     - { cluster: multi-leader-lww, workload: conflicts, nemesis: clock-skew, timeLimit: 10s }
 *
 * Preset paths are relative to the campaign file, so it replays from anywhere.
 */
const name = z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected a name of letters, digits, ".", "_" or "-"');
const presets = z.array(z.string().min(1)).min(1, 'list at least one preset');
const cellFilter = z
  .strictObject({ cluster: z.string().optional(), workload: z.string().optional(), nemesis: z.string().optional() })
  .refine((f) => f.cluster || f.workload || f.nemesis, 'name at least one of cluster, workload, nemesis');

export const campaignSchema = z
  .strictObject({
    name,
    description: z.string().optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    /** Repetitions per cell; their seeds derive from the campaign seed. */
    runs: z.number().int().min(1).max(1000).optional(),
    /** Explicit seeds per cell instead of `runs` (the same list for every cell, so clusters are paired). */
    seeds: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(2 ** 32 - 1),
      )
      .min(1)
      .optional(),
    clusters: presets,
    workloads: presets,
    nemeses: presets,
    exclude: z.array(cellFilter).default([]),
    include: z
      .array(
        z.strictObject({
          cluster: z.string().min(1),
          workload: z.string().min(1),
          nemesis: z.string().min(1),
          timeLimit: runFields.timeLimit.optional(),
          runs: integer(1, 1000).optional(),
        }),
      )
      .default([]),
    budget: duration({ positive: true }).optional(),
    // What `faultline run` takes, for every run, with the run file's schemas and messages.
    backend: runFields.backend.optional(),
    timeLimit: runFields.timeLimit.optional(),
    nodes: runFields.nodes.optional(),
    concurrency: runFields.concurrency.optional(),
    rate: runFields.rate.optional(),
    opTimeout: runFields.opTimeout.optional(),
    quiesce: runFields.quiesce.optional(),
    checkTimeout: runFields.checkTimeout.optional(),
  })
  .refine((c) => !(c.runs !== undefined && c.seeds !== undefined), {
    message: 'give either runs or seeds, not both',
    path: ['seeds'],
  });
export type CampaignSpec = z.output<typeof campaignSchema>;

export interface LoadedCampaign {
  file: string;
  spec: CampaignSpec;
  /** 1-based line of a key path in the file, for errors found later (a preset that does not resolve). */
  lineOf(path: readonly PropertyKey[]): number | undefined;
  /** A preset reference as written, made absolute when it is a path (relative to the file). */
  ref(ref: string): string;
}

/** Reads and validates a campaign file; every preset it names must exist. Throws FL_ERR_CONFIG with file:line. */
export const loadCampaign = async (file: string): Promise<LoadedCampaign> => {
  const source = await readYamlFile(file);
  const spec = parseWith(campaignSchema, source.data ?? null, { file, lineOf: source.lineOf });
  const ref = (r: string) => (isPresetPath(r) && !isAbsolute(r) ? resolve(dirname(file), r) : r);
  const at = (path: readonly PropertyKey[]) => {
    const line = source.lineOf(path);
    return { file, path: formatPath(path), ...(line !== undefined ? { line } : {}) };
  };
  const check = (kind: PresetKind, r: string, path: readonly PropertyKey[]) => {
    try {
      locatePreset(kind, ref(r), { flag: formatPath(path), file });
    } catch (e) {
      if (!(e instanceof FaultlineError)) throw e;
      throw configError(e.message, { ...at(path), ...(e.hint ? { hint: e.hint } : {}) });
    }
  };
  spec.clusters.forEach((r, i) => {
    check('cluster', r, ['clusters', i]);
  });
  spec.workloads.forEach((r, i) => {
    check('workload', r, ['workloads', i]);
  });
  spec.nemeses.forEach((r, i) => {
    check('nemesis', r, ['nemeses', i]);
  });
  spec.include.forEach((c, i) => {
    check('cluster', c.cluster, ['include', i, 'cluster']);
    check('workload', c.workload, ['include', i, 'workload']);
    check('nemesis', c.nemesis, ['include', i, 'nemesis']);
  });
  return { file, spec, lineOf: source.lineOf, ref };
};
