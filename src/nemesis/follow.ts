import { sleep } from '../base/time.ts';
import type { ActiveFault, Nemesis } from './index.ts';
import { type Schedule, scheduleEvents } from './schedule.ts';

/**
 * What one step of a schedule actually did: when it was planned and when
 * it took effect, what its targets resolved to (the leader it found), and
 * how it healed. Written to the run folder as schedule-applied.json; the
 * same facts are in the history as the step's nemesis ops.
 */
export interface AppliedStep {
  id: number;
  lane: string;
  kind: string;
  plannedAtMs: number;
  plannedHealAtMs: number;
  /** When the nemesis began to inject it (late when an earlier event took long). */
  startedAtMs?: number;
  /** When the fault was in place. */
  tookEffectAtMs?: number;
  /** When it was healed. */
  healedAtMs?: number;
  /** The start's outcome: targets resolved, grudge, note. */
  did?: Record<string, unknown>;
  /** The heal's outcome. */
  healed?: Record<string, unknown>;
  error?: string;
  /** The run phase ended first. */
  skipped?: boolean;
}

export interface FollowOptions {
  /** Time limit or interrupt: stop starting steps, heal what is in place. */
  stop: AbortSignal;
  /** ms since the run phase started. */
  nowMs(): number;
  /** A step that failed (the run goes on). */
  incident?(message: string): void;
}

/**
 * Follows a schedule: every start and heal at its planned time, one at a
 * time in schedule order (like Jepsen's single nemesis process, so the
 * order of effects is the order of the plan even when an earlier event —
 * finding a leader, restarting a node — runs late). When the run phase
 * stops, whatever is still in place is healed (newest first).
 */
export const followSchedule = async (
  schedule: Schedule,
  nemesis: Nemesis,
  options: FollowOptions,
): Promise<AppliedStep[]> => {
  const { stop, nowMs } = options;
  const applied = new Map<number, AppliedStep>();
  for (const s of schedule.steps) {
    applied.set(s.id, {
      id: s.id,
      lane: s.lane,
      kind: s.fault.kind,
      plannedAtMs: s.atMs,
      plannedHealAtMs: s.healAtMs,
    });
  }
  const active = new Map<number, ActiveFault>();
  const now = () => Math.round(nowMs());

  const heal = async (id: number) => {
    const fault = active.get(id);
    const record = applied.get(id)!;
    if (!fault) return;
    active.delete(id);
    try {
      await nemesis.heal(fault);
      record.healed = await fault.heal(); // healOnce: the outcome nemesis.heal recorded
    } catch (e) {
      record.error = errorText(e);
      options.incident?.(`nemesis: step ${id}: stop-${fault.kind} failed: ${record.error}`);
    }
    record.healedAtMs = now();
  };

  for (const event of scheduleEvents(schedule)) {
    // Never before its time (a timer may fire a fraction of a ms early).
    for (let wait = event.atMs - nowMs(); wait > 0 && !stop.aborted; wait = event.atMs - nowMs()) {
      await sleep(Math.ceil(wait), stop);
    }
    if (stop.aborted) break;
    const record = applied.get(event.step.id)!;
    if (event.action === 'heal') {
      await heal(event.step.id);
      continue;
    }
    record.startedAtMs = now();
    try {
      const fault = await nemesis.inject(event.step.fault, { step: event.step.id });
      if (fault) {
        active.set(event.step.id, fault);
        record.did = fault.value;
        record.tookEffectAtMs = now();
      }
    } catch (e) {
      record.error = errorText(e);
      options.incident?.(`nemesis: step ${event.step.id}: start-${event.step.fault.kind} failed: ${record.error}`);
    }
  }
  for (const id of [...active.keys()].reverse()) await heal(id);
  for (const r of applied.values()) if (r.startedAtMs === undefined && !r.error) r.skipped = true;
  return [...applied.values()];
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
