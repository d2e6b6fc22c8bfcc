import { Document, isScalar, isSeq, parse as parseYaml, visit } from 'yaml';
import { z } from 'zod';
import { configError } from '../base/errors.ts';
import { createRandom, type Random } from '../base/random.ts';
import { nodeId, parseWith } from '../base/schema.ts';
import type { NodeId } from '../systems/system.ts';
import { choosePartition } from './partition.ts';
import { encodeFault, type FaultSpec, faultSchema, type Lane, withoutTiming } from './spec.ts';
import { chooseTarget } from './targets.ts';

/**
 * A run's fault schedule as data: an explicit list of timed steps, fixed
 * before the run starts — from the seed (`planSchedule`) or from a
 * schedule file (`--schedule FILE`). Random choices are already made in a
 * step (which node is "random", which halves), so a file replays the same
 * faults on the same nodes; only roles (`leader`, `followers`) are resolved
 * when the step starts, and what they resolved to is recorded in the
 * history. The file format is documented in docs/schedules.md.
 */
export interface ScheduleStep {
  /** 1-based, stable: a shrunk schedule keeps the ids of the steps it kept. */
  id: number;
  /** The lane (preset) it came from. */
  lane: string;
  /** ms after the run phase starts. */
  atMs: number;
  /** ms after the run phase starts; > atMs. */
  healAtMs: number;
  fault: FaultSpec;
}

export interface Schedule {
  /** The nemesis (preset name or composition) it was planned from. */
  nemesis: string;
  /** The seed it was planned with (informational: a file replays without it). */
  seed?: number;
  nodes: readonly NodeId[];
  /** The run phase it was planned for; every step heals by then. */
  timeLimitMs: number;
  steps: readonly ScheduleStep[];
}

export const SCHEDULE_FORMAT_VERSION = 1;

/** A fault needs a moment to matter: none starts in the last second (or its duration, if shorter). */
const MIN_EFFECT_MS = 1000;
/** No fault is planned shorter than this, whatever the jitter. */
const MIN_DURATION_MS = 100;

/** `base` moved by a seeded amount in [-jitter, +jitter], never below `min`. */
const jittered = (base: number, jitter: number, rng: Random, min: number): number =>
  jitter > 0 ? Math.max(min, Math.round(base + (rng.next() * 2 - 1) * jitter)) : Math.max(min, base);

/** A fault with its random choices made (nodes, halves), for a step. */
export const chooseFault = (fault: FaultSpec, nodes: readonly NodeId[], rng: Random): FaultSpec => {
  const bare = withoutTiming(fault);
  if (bare.kind === 'partition') return choosePartition(bare, nodes, rng);
  const target = chooseTarget(bare.target, nodes, rng);
  // A rolling restart goes through its nodes in a seeded order.
  if (bare.kind === 'rolling-restart' && Array.isArray(target) && !Array.isArray(fault.target))
    return { ...bare, target: rng.shuffle(target) };
  return { ...bare, target } as FaultSpec;
};

/** A planned fault before it becomes a step: which lane and which of its faults it came from. */
export interface PlannedFault {
  laneIndex: number;
  /** Index in the lane's `faults`. */
  faultIndex: number;
  lane: string;
  atMs: number;
  healAtMs: number;
  /** With its random choices made. */
  fault: FaultSpec;
}

/**
 * Expands lanes into timed faults. Each lane cycles on its own, from its
 * own seeded streams (so adding a lane does not move another's faults):
 * quiet for the interval, then one of its faults (seeded pick) for the
 * duration, each moved by the jitter; lanes overlap freely. Which nodes a
 * fault hits is drawn from a separate stream, so the timing and the picks
 * do not depend on the node count. Every fault heals by the time limit.
 * Ordered by start time, then lane.
 */
export const planFaults = (
  lanes: readonly Lane[],
  options: { seed: number; nodes: readonly NodeId[]; timeLimitMs: number },
): PlannedFault[] => {
  const { nodes, timeLimitMs } = options;
  const root = createRandom(options.seed).fork('schedule');
  const planned: PlannedFault[] = [];
  lanes.forEach((lane, laneIndex) => {
    if (lane.faults.length === 0) return;
    const rng = root.fork(`lane ${laneIndex}`);
    const choices = root.fork(`lane ${laneIndex} nodes`);
    let t = 0;
    for (;;) {
      const faultIndex = rng.int(lane.faults.length);
      const fault = lane.faults[faultIndex]!;
      const jitter = fault.kind !== 'shape' && fault.jitter !== undefined ? fault.jitter : lane.jitter;
      const start = t + jittered(fault.interval ?? lane.interval, jitter, rng, 0);
      const length = jittered(fault.duration ?? lane.duration, jitter, rng, MIN_DURATION_MS);
      if (start + Math.min(length, MIN_EFFECT_MS) > timeLimitMs) break;
      const stop = Math.min(start + length, timeLimitMs);
      planned.push({
        laneIndex,
        faultIndex,
        lane: lane.name,
        atMs: start,
        healAtMs: stop,
        fault: chooseFault(fault, nodes, choices),
      });
      t = stop;
    }
  });
  return planned.sort((a, b) => a.atMs - b.atMs || a.laneIndex - b.laneIndex);
};

/** The schedule of a run: its planned faults as steps, ids from 1 in start order. */
export const planSchedule = (
  lanes: readonly Lane[],
  options: { nemesis: string; seed: number; nodes: readonly NodeId[]; timeLimitMs: number },
): Schedule => ({
  nemesis: options.nemesis,
  seed: options.seed,
  nodes: [...options.nodes],
  timeLimitMs: options.timeLimitMs,
  steps: planFaults(lanes, options).map((p, i) => ({
    id: i + 1,
    lane: p.lane,
    atMs: p.atMs,
    healAtMs: p.healAtMs,
    fault: p.fault,
  })),
});

// ---------------------------------------------------------------- the file

const stepFileSchema = z.strictObject({
  id: z.number().int().min(1),
  lane: z.string().default('schedule'),
  atMs: z.number().nonnegative(),
  healAtMs: z.number().positive(),
  fault: faultSchema,
});

export const scheduleFileSchema = z.strictObject({
  faultline: z.literal('schedule'),
  version: z.literal(SCHEDULE_FORMAT_VERSION),
  nemesis: z.string().min(1).default('schedule'),
  seed: z.number().int().nonnegative().optional(),
  nodes: z.array(nodeId).min(1),
  timeLimitMs: z.number().positive(),
  steps: z.array(stepFileSchema),
});

/** The schedule as plain data for a file (YAML or JSON): faults written as in a preset. */
export const scheduleToData = (s: Schedule): Record<string, unknown> => ({
  faultline: 'schedule',
  version: SCHEDULE_FORMAT_VERSION,
  nemesis: s.nemesis,
  ...(s.seed !== undefined ? { seed: s.seed } : {}),
  nodes: [...s.nodes],
  timeLimitMs: s.timeLimitMs,
  steps: s.steps.map((st) => ({
    id: st.id,
    lane: st.lane,
    atMs: st.atMs,
    healAtMs: st.healAtMs,
    fault: encodeFault(st.fault),
  })),
});

/** YAML for humans: node lists and grudges on one line each (`target: [n1, n2]`). */
export const formatSchedule = (s: Schedule): string => {
  const doc = new Document(scheduleToData(s));
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i))) node.flow = true;
    },
    Map(_, node) {
      if (node.items.length > 0 && node.items.every((p) => isSeq(p.value) && p.value.items.every((i) => isScalar(i))))
        node.flow = true;
    },
  });
  return `# faultline fault schedule: replay with  faultline run ... --schedule <this file>\n${doc.toString()}`;
};

/**
 * Parses schedule file text (YAML; JSON is YAML). Errors name the file,
 * the key path and the line where the YAML parser knows it.
 */
export const parseSchedule = (
  data: unknown,
  where: { file: string; lineOf?: (path: readonly PropertyKey[]) => number | undefined },
): Schedule => {
  const parsed = parseWith(scheduleFileSchema, data, where);
  const ids = new Set<number>();
  parsed.steps.forEach((s, i) => {
    const at = (key: string) => {
      const line = where.lineOf?.(['steps', i, key]);
      return { file: where.file, path: `steps[${i}].${key}`, ...(line !== undefined ? { line } : {}) };
    };
    if (ids.has(s.id)) throw configError(`step id ${s.id} appears twice`, at('id'));
    ids.add(s.id);
    if (s.healAtMs <= s.atMs) throw configError(`healAtMs ${s.healAtMs} is not after atMs ${s.atMs}`, at('healAtMs'));
    if (s.healAtMs > parsed.timeLimitMs) {
      throw configError(
        `step ${s.id} heals at ${s.healAtMs} ms, after the schedule's time limit ${parsed.timeLimitMs} ms`,
        {
          ...at('healAtMs'),
          hint: 'every fault must heal within the run phase; raise timeLimitMs or heal earlier',
        },
      );
    }
  });
  return {
    nemesis: parsed.nemesis,
    ...(parsed.seed !== undefined ? { seed: parsed.seed } : {}),
    nodes: parsed.nodes,
    timeLimitMs: parsed.timeLimitMs,
    // Replay order is start time, then id (a hand-edited file need not be sorted).
    steps: [...parsed.steps].sort((a, b) => a.atMs - b.atMs || a.id - b.id),
  };
};

/** Parses schedule text that is not in a file with line information (tests, the history header). */
export const parseScheduleText = (text: string, file = '<schedule>'): Schedule =>
  parseSchedule(parseYaml(text), { file });

/** One timeline of a schedule: every start and heal in the order they happen (heals first at equal times). */
export interface ScheduleEvent {
  atMs: number;
  action: 'start' | 'heal';
  step: ScheduleStep;
}

export const scheduleEvents = (s: Schedule): ScheduleEvent[] =>
  s.steps
    .flatMap((step) => [
      { atMs: step.atMs, action: 'start' as const, step },
      { atMs: step.healAtMs, action: 'heal' as const, step },
    ])
    .sort(
      (a, b) =>
        a.atMs - b.atMs ||
        (a.action === b.action ? 0 : a.action === 'heal' ? -1 : 1) ||
        a.step.atMs - b.step.atMs ||
        a.step.id - b.step.id,
    );
