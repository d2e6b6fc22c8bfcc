import { z } from 'zod';
import { duration, nodeId, signedDuration } from '../base/schema.ts';

/**
 * What a user writes in a nemesis preset (nemeses/*.yaml): the faults and
 * how they are scheduled. Parsing only checks shape; cross-checks against
 * the cluster (a grudge naming a node it doesn't have, a fault the backend
 * cannot inject) live in run/resolve.ts.
 */

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
  duration: duration({ positive: true }).default(5000),
  /** Each cycle picks one of these (seeded). Empty: no faults. */
  faults: z.array(faultSchema).default([]),
});
export type NemesisPreset = z.output<typeof nemesisSchema>;
