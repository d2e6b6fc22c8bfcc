import { z } from 'zod';
import { duration } from '../base/schema.ts';

/** What a user writes in a workload preset (workloads/*.yaml). */

/** Final phases a workload module may offer (`final:`); each module says which it supports. */
export const FINAL_MODES = ['none', 'read-each-node', 'write-then-read-each-node'] as const;
export type FinalMode = (typeof FINAL_MODES)[number];

export const workloadSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /**
   * The workload module (src/workload/<name>.ts: register, set, counter,
   * session, bank), which is also the client the system is asked for.
   * Checked against the registry in resolve.ts.
   */
  client: z.string().min(1),
  /** Number of keys (register, session: independent registers; bank: accounts). */
  keys: z.number().int().min(1).max(1000).default(1),
  /** Relative weights of the operations, e.g. {read: 2, write: 1, cas: 1}. */
  mix: z.record(z.string(), z.number().nonnegative()),
  /** Checkers to run; default: the module's. */
  checkers: z.array(z.string()).min(1).optional(),
  /** Model for the linearizable checker; default: the module's. */
  model: z.string().optional(),
  /** Initial state: the linearizable model's initial value; bank: each account's opening balance. */
  initial: z.unknown().optional(),
  /**
   * After the run phase and healing: `read-each-node` reads every node's own state once (every key),
   * `none` nothing. `write-then-read-each-node` (registers) first writes every key once through each
   * node in turn, n1 then n2 ...: a correct last-write-wins keeps the last of them, a node whose clock
   * ran ahead keeps its own — a lost update that the final reads then show. Default: the module's.
   */
  final: z.enum(FINAL_MODES).optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
  /** Total ops/s across all workers; 0 for unlimited. */
  rate: z.number().nonnegative().optional(),
  opTimeout: duration({ positive: true }).optional(),
  /** Passed to the system's client. */
  options: z.record(z.string(), z.unknown()).default({}),
});
export type WorkloadPreset = z.output<typeof workloadSchema>;

/** A workload preset as a run uses it: module defaults filled in by resolve.ts. */
export type ResolvedWorkload = WorkloadPreset & { final: FinalMode; checkers: string[] };
