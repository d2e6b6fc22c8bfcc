import { z } from 'zod';
import { duration } from '../base/schema.ts';

/** What a user writes in a workload preset (workloads/*.yaml). */

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
  opTimeout: duration({ positive: true }).optional(),
  /** Passed to the system's client. */
  options: z.record(z.string(), z.unknown()).default({}),
});
export type WorkloadPreset = z.output<typeof workloadSchema>;

/** Operations each workload client understands. */
export const WORKLOAD_OPS: Readonly<Record<WorkloadPreset['client'], readonly string[]>> = {
  register: ['read', 'write', 'cas'],
  set: ['add', 'read'],
  counter: ['add', 'read'],
};
