import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { configError } from './errors.ts';

/**
 * The schemas of everything a user writes: cluster, workload and nemesis
 * presets, and a run file that references or inlines them. YAML keys are
 * camelCase; durations are strings like "30s" or numbers of seconds.
 * Parsing only checks shape; cross-checks (a grudge naming a node the
 * cluster doesn't have) live in resolve.ts.
 */

const duration = () =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    try {
      return parseDuration(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

/** "+2s", "-500ms", 250 (ms) → signed ms, for clock offsets. */
const signedDuration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const sign = v.trim().startsWith('-') ? -1 : 1;
  try {
    return sign * parseDuration(v.trim().replace(/^[+-]/, ''));
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `expected a signed duration like +2s or -500ms; got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
});

const nodeId = z.string().regex(/^n[1-9]\d*$/, 'expected a node id like n1, n2, ...');

// ---------------------------------------------------------------- claims

export const claimsSchema = z.strictObject({
  /** The register history must be linearizable (true), or is not claimed to be (false: measured only). */
  linearizable: z.boolean().optional(),
  /** "none": one lost acknowledged write fails the run; "allowed": losses are measured and reported. */
  lostWrites: z.enum(['none', 'allowed']).optional(),
  /** After healing, every node's final read agrees. */
  convergence: z.boolean().optional(),
  /** "none": no read returns a value superseded by a write acknowledged before the read began. */
  staleReads: z.enum(['none', 'allowed']).optional(),
  /** "none": no acknowledged register write is silently beaten by an older one (LWW with skewed clocks does that). */
  lostUpdates: z.enum(['none', 'allowed']).optional(),
  /** "none": a counter's final value accounts for every acknowledged increment. */
  lostIncrements: z.enum(['none', 'allowed']).optional(),
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
  claims: claimsSchema.default({}),
});
export type ClusterPreset = z.output<typeof clusterSchema>;

// ---------------------------------------------------------------- workload

export const WORKLOAD_CLIENTS = ['register', 'set', 'counter'] as const;

export const workloadSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Which client of the system runs it; also selects the operation generator. */
  client: z.enum(WORKLOAD_CLIENTS),
  /** Number of keys (register: independent registers). */
  keys: z.number().int().min(1).max(1000).default(1),
  /** Relative weights of the operations, e.g. {read: 2, write: 1, cas: 1}. */
  mix: z.record(z.string(), z.number().nonnegative()),
  checkers: z.array(z.string()).min(1),
  /** Model for the linearizable checker. */
  model: z.string().optional(),
  initial: z.unknown().optional(),
  /**
   * After the run phase and healing: read every node's own state once (every key, for registers), or
   * nothing. `write-then-read-each-node` (registers) first writes every key once through each node in
   * turn, n1 then n2 ...: a correct last-write-wins keeps the last of them, a node whose clock ran
   * ahead keeps its own — a lost update that the final reads then show.
   */
  final: z.enum(['none', 'read-each-node', 'write-then-read-each-node']).default('none'),
  concurrency: z.number().int().min(1).max(256).optional(),
  /** Total ops/s across all workers; 0 for unlimited. */
  rate: z.number().nonnegative().optional(),
  opTimeout: duration().optional(),
  /** Passed to the system's client. */
  options: z.record(z.string(), z.unknown()).default({}),
});
export type WorkloadPreset = z.output<typeof workloadSchema>;

// ---------------------------------------------------------------- nemesis

/** Which nodes a fault hits: a role, a random choice, or explicit ids. */
export const targetSchema = z.union([
  z.enum(['leader', 'random', 'minority', 'majority', 'all', 'followers']),
  z.array(nodeId).min(1),
]);
export type Target = z.infer<typeof targetSchema>;

export const grudgeSchema = z.union([
  z.enum(['halves', 'isolate-leader', 'isolate-random', 'ring']),
  z.record(nodeId, z.array(nodeId)),
]);
export type GrudgeSpec = z.infer<typeof grudgeSchema>;

export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kill'), target: targetSchema.default('random') }),
  z.strictObject({ kind: z.literal('pause'), target: targetSchema.default('random') }),
  z.strictObject({ kind: z.literal('partition'), grudge: grudgeSchema }),
  z.strictObject({ kind: z.literal('clock'), target: targetSchema.default('random'), offset: signedDuration }),
  z.strictObject({
    kind: z.literal('shape'),
    target: targetSchema.default('all'),
    delay: duration().optional(),
    jitter: duration().optional(),
    loss: z.number().min(0).max(1).optional(),
  }),
]);
export type FaultSpec = z.output<typeof faultSchema>;

export const nemesisSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Quiet time between healing one fault and starting the next. */
  interval: duration().default(5000),
  /** How long each fault lasts before it is healed. */
  duration: duration().default(5000),
  /** Each cycle picks one of these (seeded). Empty: no faults. */
  faults: z.array(faultSchema).default([]),
});
export type NemesisPreset = z.output<typeof nemesisSchema>;

// ---------------------------------------------------------------- run file

const presetRef = <T extends z.ZodType>(schema: T) => z.union([z.string().min(1), schema]);

export const BACKENDS = ['local'] as const;

export const runFileSchema = z.strictObject({
  test: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'expected a name of letters, digits, ".", "_" or "-"')
    .optional(),
  cluster: presetRef(z.record(z.string(), z.unknown())).optional(),
  workload: presetRef(z.record(z.string(), z.unknown())).optional(),
  nemesis: presetRef(z.record(z.string(), z.unknown())).optional(),
  backend: z.enum(BACKENDS).optional(),
  nodes: z.number().int().min(1).max(9).optional(),
  timeLimit: duration().optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
  rate: z.number().nonnegative().optional(),
  seed: z.number().int().nonnegative().optional(),
  opTimeout: duration().optional(),
  quiesce: duration().optional(),
  reportsDir: z.string().optional(),
});
export type RunFile = z.output<typeof runFileSchema>;

/** Turns a zod failure into a FaultlineError that names the file, key path and line. */
export const parseWith = <T extends z.ZodType>(
  schema: T,
  data: unknown,
  where: {
    file: string;
    prefix?: readonly PropertyKey[];
    lineOf?: (path: readonly PropertyKey[]) => number | undefined;
  },
): z.output<T> => {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  let path: PropertyKey[] = [...(where.prefix ?? []), ...issue.path];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [...path, issue.keys[0]!];
    message = `unknown key ${JSON.stringify(issue.keys[0])}`;
  } else if (issue.code === 'invalid_union' && issue.path.length === 0 && data === null) {
    message = 'expected a mapping, got an empty document';
  }
  const line = where.lineOf?.(path.slice((where.prefix ?? []).length));
  throw configError(message, { file: where.file, path: formatPath(path), ...(line !== undefined ? { line } : {}) });
};

/** ["faults", 0, "grudge"] → "faults[0].grudge" */
export const formatPath = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
