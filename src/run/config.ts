import { z } from 'zod';
import { duration, integer, nonNegative } from '../base/schema.ts';

/**
 * The schemas of everything a user writes: cluster, workload and nemesis
 * presets, and a run file that references or inlines them. YAML keys are
 * camelCase; durations are strings like "30s" or numbers of seconds.
 * The workload and nemesis schemas belong to their modules; this file
 * composes them. Parsing only checks shape; cross-checks (a grudge naming a
 * node the cluster doesn't have) live in resolve.ts.
 */

// ---------------------------------------------------------------- claims

/**
 * A bound on stale reads: how far behind a read may be, in ms and in
 * versions, for every read or for a quantile of them, and a PBS-style
 * t-visibility bound: of the reads that begin at least `afterMs` after a
 * write's acknowledgement, at least `atLeast` (a share, 0..1) see it.
 * Each given part must hold. Staleness is measured by the `staleness`
 * checker (docs/results.md); a fresh read is 0 ms and 0 versions behind.
 */
export const staleBoundSchema = z
  .strictObject({
    /** No read more than this many ms behind (at the quantile). */
    maxMs: z.number().nonnegative().optional(),
    /** No read more than this many acknowledged writes behind (at the quantile). */
    maxVersions: z.number().int().nonnegative().optional(),
    /** The share of reads the bounds apply to, e.g. 0.99; default 1 (every read). */
    quantile: z.number().gt(0).max(1).optional(),
    visibility: z
      .strictObject({
        /** t: reads that begin at least this many ms after an acknowledgement. */
        afterMs: z.number().nonnegative(),
        /** p: the share of them that must see it (or something newer). */
        atLeast: z.number().min(0).max(1),
      })
      .optional(),
  })
  .refine((b) => b.maxMs !== undefined || b.maxVersions !== undefined || b.visibility !== undefined, {
    message: 'a stale-read bound needs maxMs, maxVersions or visibility',
  });
export type StaleBound = z.infer<typeof staleBoundSchema>;

export const claimsSchema = z.strictObject({
  /** The register history must be linearizable (true), or is not claimed to be (false: measured only). */
  linearizable: z.boolean().optional(),
  /** "none": one lost acknowledged write fails the run; "allowed": losses are measured and reported. */
  lostWrites: z.enum(['none', 'allowed']).optional(),
  /** After healing, every node's final read agrees. */
  convergence: z.boolean().optional(),
  /**
   * "none": no read returns a value superseded by a write acknowledged before the read began;
   * "allowed": measured only; or a bound (staleBoundSchema).
   */
  staleReads: z.union([z.enum(['none', 'allowed']), staleBoundSchema]).optional(),
  /** "none": no acknowledged register write is silently beaten by an older one (LWW with skewed clocks does that). */
  lostUpdates: z.enum(['none', 'allowed']).optional(),
  /** "none": a counter's final value accounts for every acknowledged increment. */
  lostIncrements: z.enum(['none', 'allowed']).optional(),
  /** Session guarantees (the `session` checker): true is claimed, false is measured only. */
  readYourWrites: z.boolean().optional(),
  monotonicReads: z.boolean().optional(),
  monotonicWrites: z.boolean().optional(),
  consistentPrefix: z.boolean().optional(),
  /** "none": never two nodes acknowledging writes as leader at once; "allowed": measured only. */
  splitBrain: z.enum(['none', 'allowed']).optional(),
  /** No write acknowledged by a deposed leader after a newer leader acknowledged one (false: measured only). */
  fencing: z.boolean().optional(),
  /** Bank: every read of all balances adds up to the initial total (false: measured only). */
  totalConserved: z.boolean().optional(),
});
export type Claims = z.infer<typeof claimsSchema>;

// ---------------------------------------------------------------- cluster

export const clusterSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  system: z.string().min(1),
  nodes: z.number().int().min(1).max(9),
  /** Passed to the system (validated by it), e.g. topology and replication mode. */
  options: z.record(z.string(), z.unknown()).default({}),
  /**
   * How long this system needs after healing before its nodes can agree
   * (Sentinel waits 8 s before demoting a restarted old primary); the
   * run's quiesce unless a flag or the run file sets one.
   */
  quiesce: duration().optional(),
  /**
   * A container image already on this machine to run the system's binaries
   * from, on the docker backend (nothing is pulled). Without it, the docker
   * backend runs the host's binaries in faultline's base image. Ignored by
   * backends without containers.
   */
  image: z.string().min(1).optional(),
  claims: claimsSchema.default({}),
});
export type ClusterPreset = z.output<typeof clusterSchema>;

// ---------------------------------------------------------------- run file

const presetRef = <T extends z.ZodType>(schema: T) => z.union([z.string().min(1), schema]);

/** A test name: it names a folder under the reports dir, so no path tricks ("." , "..", "a/b", ".hidden"). */
export const testNameSchema = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : v),
  z
    .string()
    .regex(
      /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/,
      'expected a name of letters, digits, ".", "_" or "-", not starting with "."',
    ),
);

/**
 * The run options a user sets in a run file or on the command line. Flags
 * are parsed with these same schemas (resolve.ts), so a value one rejects the
 * other rejects too, with the same message.
 */
export const runFields = {
  test: testNameSchema,
  /** A backend of the registry (src/cluster/registry.ts); checked in resolve.ts. */
  backend: z.string().min(1),
  nodes: integer(1, 9),
  timeLimit: duration({ positive: true }),
  concurrency: integer(1, 256),
  /** Total ops/s; 0 = unlimited. */
  rate: nonNegative(),
  seed: integer(0, 2 ** 32 - 1),
  opTimeout: duration({ positive: true }),
  quiesce: duration(),
  /** Budget for the linearizability search; beyond it the verdict is unknown. */
  checkTimeout: duration({ positive: true }),
  reportsDir: z.string().min(1),
} as const;
export type RunField = keyof typeof runFields;

export const runFileSchema = z.strictObject({
  cluster: presetRef(z.record(z.string(), z.unknown())).optional(),
  workload: presetRef(z.record(z.string(), z.unknown())).optional(),
  /** A nemesis preset, several joined with + to run at once, or one inline. */
  nemesis: presetRef(z.record(z.string(), z.unknown())).optional(),
  /** A schedule file to replay (relative to this file) in place of the nemesis. */
  schedule: z.string().min(1).optional(),
  /** Options of the backend, checked by it (docker: `subnet`). Only in a run file: they are not flags. */
  backendOptions: z.record(z.string(), z.unknown()).optional(),
  ...(Object.fromEntries(Object.entries(runFields).map(([k, s]) => [k, s.optional()])) as {
    [K in RunField]: z.ZodOptional<(typeof runFields)[K]>;
  }),
});
export type RunFile = z.output<typeof runFileSchema>;
