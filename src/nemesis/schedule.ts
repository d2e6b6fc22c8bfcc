import type { Random } from '../base/random.ts';
import type { FaultSpec, NemesisPreset } from './spec.ts';

/**
 * The fault schedule of a run, fixed by the seed before anything starts:
 * quiet for `interval`, a fault for `duration`, healed, quiet again, ...
 * until the time limit. The last fault is healed no later than the time
 * limit so that the run phase ends without one in place.
 */
export interface ScheduledFault {
  /** 0-based position in the schedule. */
  index: number;
  /** ms after the run phase starts. */
  startMs: number;
  /** ms after the run phase starts. */
  stopMs: number;
  fault: FaultSpec;
}

export const faultSchedule = (nemesis: NemesisPreset, rng: Random, timeLimitMs: number): ScheduledFault[] => {
  if (nemesis.faults.length === 0) return [];
  const schedule: ScheduledFault[] = [];
  let t = nemesis.interval;
  // A fault needs a moment to matter: don't start one in the last second.
  while (t + Math.min(nemesis.duration, 1000) <= timeLimitMs) {
    const stop = Math.min(t + nemesis.duration, timeLimitMs);
    schedule.push({ index: schedule.length, startMs: t, stopMs: stop, fault: rng.pick(nemesis.faults) });
    t = stop + nemesis.interval;
  }
  return schedule;
};
