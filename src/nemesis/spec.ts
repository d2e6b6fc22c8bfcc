import { z } from 'zod';
import { duration, nodeId, signedDuration } from '../base/schema.ts';

/**
 * What a user writes in a nemesis preset (nemeses/*.yaml): the faults and
 * how they are scheduled. Parsing only checks shape; cross-checks against
 * the cluster (a grudge naming a node it doesn't have, a fault the backend
 * cannot inject) live in validate.ts and run/resolve.ts.
 *
 * A preset is one *lane*: quiet for `interval`, then one of its `faults`
 * (picked by the seed) for `duration`, healed, quiet again, ... `jitter`
 * moves each interval and duration by up to ± that much. `compose` adds
 * more lanes — other presets by name, or inline lanes — that run at the
 * same time, so their faults overlap.
 */

/** Which nodes a fault hits: a role, a random choice, or explicit ids. */
export const targetSchema = z.union([
  z.enum(['leader', 'random', 'minority', 'majority', 'all', 'followers']),
  z.array(nodeId).min(1),
]);
export type Target = z.infer<typeof targetSchema>;

/**
 * Partition shapes (Jepsen's catalogue): `halves` a minority and a majority;
 * `bridge` two halves that share one node; `majorities-ring` (alias `ring`)
 * every node sees only its two ring neighbours; `isolate` the targets each
 * alone; `mute` the targets hear but are not heard; `deaf` the reverse.
 * `isolate-leader` and `isolate-random` are `isolate` with that target.
 */
export const PARTITION_SHAPES = [
  'halves',
  'bridge',
  'majorities-ring',
  'ring',
  'isolate',
  'mute',
  'deaf',
  'isolate-leader',
  'isolate-random',
] as const;
export type PartitionShape = (typeof PARTITION_SHAPES)[number];
/** The shapes that take a `target`. */
export const TARGETED_SHAPES: readonly PartitionShape[] = ['isolate', 'mute', 'deaf'];

export const grudgeSchema = z.union([z.enum(PARTITION_SHAPES), z.record(nodeId, z.array(nodeId))]);
export type GrudgeSpec = z.infer<typeof grudgeSchema>;

/** Per-fault timing, overriding the lane's when this fault is picked. */
const timing = {
  interval: duration().optional(),
  duration: duration({ positive: true }).optional(),
  jitter: duration().optional(),
};

export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kill'), target: targetSchema.default('random'), ...timing }),
  z.strictObject({ kind: z.literal('pause'), target: targetSchema.default('random'), ...timing }),
  z.strictObject({
    kind: z.literal('partition'),
    grudge: grudgeSchema,
    /** Only for isolate, mute and deaf; default random. */
    target: targetSchema.optional(),
    /** A description of an explicit grudge ("halves: n1 | n2 n3"), written by the planner. */
    label: z.string().optional(),
    ...timing,
  }),
  /** Bump: one step of `offset`, held for the duration. */
  z.strictObject({
    kind: z.literal('clock'),
    target: targetSchema.default('random'),
    offset: signedDuration,
    ...timing,
  }),
  /** Strobe: flip between the true time and `offset` every `period`, for the duration. */
  z.strictObject({
    kind: z.literal('clock-strobe'),
    target: targetSchema.default('random'),
    offset: signedDuration,
    period: duration({ positive: true }).default(200),
    ...timing,
  }),
  /**
   * Drift: the clock runs fast (rate > 0) or slow (rate < 0) by `rate`
   * seconds per second, stepped `every` so often; it jumps back when healed.
   */
  z.strictObject({
    kind: z.literal('clock-drift'),
    target: targetSchema.default('random'),
    rate: z
      .number()
      .min(-0.99)
      .max(100)
      .refine((r) => r !== 0, 'a drift rate of 0 changes nothing'),
    every: duration({ positive: true }).default(250),
    ...timing,
  }),
  /** Every target in turn: SIGKILL, down for `downtime`, restart and wait until ready, then the next. */
  z.strictObject({
    kind: z.literal('rolling-restart'),
    target: targetSchema.default('all'),
    downtime: duration().default(1000),
    ...timing,
  }),
  /** Slow or lossy links: every link to and from the targets. */
  z.strictObject({
    kind: z.literal('shape'),
    target: targetSchema.default('all'),
    delay: duration().optional(),
    jitter: duration().optional(),
    loss: z.number().min(0).max(1).optional(),
    interval: timing.interval,
    duration: timing.duration,
  }),
]);
export type FaultSpec = z.output<typeof faultSchema>;

/** One lane of faults: a preset's own, or one of its `compose` entries. */
export const laneSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  /** Quiet time between healing one fault and starting the next. */
  interval: duration().default(5000),
  /** How long each fault lasts before it is healed. */
  duration: duration({ positive: true }).default(5000),
  /** Each interval and duration moves by a seeded amount in [-jitter, +jitter]. */
  jitter: duration().default(0),
  /** Each cycle picks one of these (seeded). Empty: no faults. */
  faults: z.array(faultSchema).default([]),
});

export const nemesisSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  interval: duration().default(5000),
  duration: duration({ positive: true }).default(5000),
  jitter: duration().default(0),
  faults: z.array(faultSchema).default([]),
  /** More lanes at the same time: preset names (or paths), or inline lanes. */
  compose: z.array(z.union([z.string().min(1), laneSchema])).default([]),
});
export type NemesisPreset = z.output<typeof nemesisSchema>;

/** A lane as the planner sees it: resolved timing (ms) and its faults. */
export interface Lane {
  readonly name: string;
  readonly interval: number;
  readonly duration: number;
  readonly jitter: number;
  readonly faults: readonly FaultSpec[];
}

/** A preset's own lane (empty faults: none). Composed lanes are resolved by run/ (presets are files). */
export const ownLane = (preset: Pick<NemesisPreset, 'name' | 'interval' | 'duration' | 'jitter' | 'faults'>): Lane => ({
  name: preset.name,
  interval: preset.interval,
  duration: preset.duration,
  jitter: preset.jitter ?? 0,
  faults: preset.faults,
});

const ms = (v: number): string => `${v}ms`;
const signedMs = (v: number): string => `${v < 0 ? '-' : '+'}${Math.abs(v)}ms`;

/**
 * A fault as YAML data that parses back to the same FaultSpec: durations as
 * "250ms" strings (a bare number in a preset means seconds, but offsets mean
 * ms; strings are unambiguous). Timing overrides are dropped when
 * `withTiming` is false (a planned step carries its own times).
 */
export const encodeFault = (fault: FaultSpec, withTiming = false): Record<string, unknown> => {
  const out: Record<string, unknown> = { kind: fault.kind };
  const put = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  switch (fault.kind) {
    case 'kill':
    case 'pause':
      put('target', fault.target);
      break;
    case 'partition':
      put('grudge', fault.grudge);
      put('target', fault.target);
      put('label', fault.label);
      break;
    case 'clock':
      put('target', fault.target);
      put('offset', signedMs(fault.offset));
      break;
    case 'clock-strobe':
      put('target', fault.target);
      put('offset', signedMs(fault.offset));
      put('period', ms(fault.period));
      break;
    case 'clock-drift':
      put('target', fault.target);
      put('rate', fault.rate);
      put('every', ms(fault.every));
      break;
    case 'rolling-restart':
      put('target', fault.target);
      put('downtime', ms(fault.downtime));
      break;
    case 'shape':
      put('target', fault.target);
      if (fault.delay !== undefined) put('delay', ms(fault.delay));
      if (fault.jitter !== undefined) put('jitter', ms(fault.jitter));
      put('loss', fault.loss);
      break;
  }
  if (withTiming) {
    if (fault.interval !== undefined) out.interval = ms(fault.interval);
    if (fault.duration !== undefined) out.duration = ms(fault.duration);
    if ('jitter' in fault && fault.kind !== 'shape' && fault.jitter !== undefined) out.jitter = ms(fault.jitter);
  }
  return out;
};

/** The fault without its timing overrides (interval, duration, jitter). */
export const withoutTiming = (fault: FaultSpec): FaultSpec => {
  const { interval: _i, duration: _d, ...rest } = fault;
  if (rest.kind !== 'shape' && 'jitter' in rest) {
    const { jitter: _j, ...noJitter } = rest;
    return noJitter as FaultSpec;
  }
  return rest as FaultSpec;
};
