import { grudgeNodes } from '../nemesis/grudges.ts';
import type { ScheduleStep } from '../nemesis/schedule.ts';
import type { FaultSpec } from '../nemesis/spec.ts';

/**
 * The search behind `faultline shrink`, on its own: which smaller schedules
 * to try, in which order, given a `test` that says whether a candidate
 * still fails. It knows nothing of runs — shrink.ts runs the attempts —
 * so it can be checked against a known predicate.
 *
 * A candidate is a list of steps and a time limit. Passes, each keeping a
 * smaller candidate whenever it still fails:
 *
 * 0. hints — candidates the caller expects to fail, tried first (the steps
 *    that started before the original run's violation, with the run cut
 *    short soon after it).
 * 1. steps — delta debugging (Zeller's ddmin) over the steps: try halves,
 *    then complements, then finer splits, down to a 1-minimal list; with
 *    one step left, try none (the claim may fail without faults).
 * 2. time — move every step earlier (one quiet second kept before the
 *    first) and end the run soon after the last heal.
 * 3. durations — halve each step's duration (not below MIN_DURATION_MS).
 * 4. nodes — drop one node at a time from a step's explicit targets or
 *    grudge.
 * 5. time again, since shorter durations end the last fault earlier.
 *
 * Stops when `shouldStop` says so (budget, Ctrl-C): the best so far stands.
 */
export interface Candidate {
  steps: readonly ScheduleStep[];
  timeLimitMs: number;
}

export interface SearchHooks {
  /** Whether the candidate still fails (at least once in k attempts). `undefined`: stopped before it could tell. */
  test(candidate: Candidate, why: string): Promise<boolean | undefined>;
  shouldStop(): boolean;
  /** A smaller candidate that still fails. */
  onAccept?(candidate: Candidate, why: string): void;
}

export const MIN_DURATION_MS = 500;
/** Quiet time before the first fault, and after the last heal, in a shrunk schedule. */
export const LEAD_MS = 1000;
export const TAIL_MS = 1500;

/** Nodes a fault names explicitly (a role names none: it is resolved at run time). */
export const nodesOf = (fault: FaultSpec): string[] => {
  if (fault.kind === 'partition') {
    if (typeof fault.grudge === 'object') return grudgeNodes(fault.grudge);
    return Array.isArray(fault.target) ? [...fault.target] : [];
  }
  return Array.isArray(fault.target) ? [...fault.target] : [];
};

/** Distinct nodes the steps name. */
export const nodesAffected = (steps: readonly ScheduleStep[]): string[] =>
  [...new Set(steps.flatMap((s) => nodesOf(s.fault)))].sort();

/** The fault without node `n`, or undefined when nothing would be left of it. */
export const withoutNode = (fault: FaultSpec, n: string): FaultSpec | undefined => {
  if (fault.kind === 'partition' && typeof fault.grudge === 'object') {
    const grudge: Record<string, string[]> = {};
    for (const [r, senders] of Object.entries(fault.grudge)) {
      if (r === n) continue;
      const rest = senders.filter((s) => s !== n);
      if (rest.length > 0) grudge[r] = rest;
    }
    if (Object.keys(grudge).length === 0) return undefined;
    const { label: _, ...rest } = fault;
    return { ...rest, grudge, label: `${fault.label ?? 'grudge'} without ${n}` };
  }
  if (!('target' in fault) || !Array.isArray(fault.target)) return undefined;
  const target = fault.target.filter((t) => t !== n);
  if (target.length === 0 || target.length === fault.target.length) return undefined;
  return { ...fault, target } as FaultSpec;
};

const lastHeal = (steps: readonly ScheduleStep[]): number => Math.max(0, ...steps.map((s) => s.healAtMs));

/** Ends the run TAIL_MS after the last heal (never later than it was). */
export const trimmed = (c: Candidate): Candidate => ({
  steps: c.steps,
  timeLimitMs: Math.min(c.timeLimitMs, Math.max(lastHeal(c.steps) + TAIL_MS, LEAD_MS + TAIL_MS)),
});

/** Every step moved earlier so the first starts at LEAD_MS, and the run trimmed. */
export const shifted = (c: Candidate): Candidate => {
  const first = Math.min(...c.steps.map((s) => s.atMs));
  const by = c.steps.length === 0 ? 0 : Math.max(0, first - LEAD_MS);
  const steps = c.steps.map((s) => ({ ...s, atMs: s.atMs - by, healAtMs: s.healAtMs - by }));
  return trimmed({ steps, timeLimitMs: c.timeLimitMs - by });
};

const key = (c: Candidate): string => JSON.stringify([c.timeLimitMs, c.steps]);

/** Splits into n nearly equal consecutive chunks. */
const chunks = <T>(items: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    out.push(items.slice(start, end));
    start = end;
  }
  return out.filter((c) => c.length > 0);
};

export const searchSmallerSchedule = async (
  start: Candidate,
  hooks: SearchHooks,
  hints: readonly { candidate: Candidate; why: string }[] = [],
): Promise<Candidate> => {
  let best = start;
  const tried = new Map<string, boolean | undefined>();
  /** Tests a candidate once; keeps it when it fails. */
  const attempt = async (c: Candidate, why: string): Promise<boolean> => {
    if (hooks.shouldStop()) return false;
    const k = key(c);
    if (k === key(best)) return false;
    if (!tried.has(k)) tried.set(k, await hooks.test(c, why));
    if (tried.get(k) !== true) return false;
    best = c;
    hooks.onAccept?.(c, why);
    return true;
  };
  // The time limit stays while steps change: the ops that show a violation
  // may come well after the last heal, so trimming is a pass of its own.
  const withSteps = (steps: readonly ScheduleStep[]): Candidate => ({ steps, timeLimitMs: best.timeLimitMs });

  for (const h of hints) await attempt(h.candidate, h.why);

  // 1. ddmin over the steps.
  let n = 2;
  while (best.steps.length >= 2 && !hooks.shouldStop()) {
    const parts = chunks(best.steps, Math.min(n, best.steps.length));
    let reduced = false;
    for (const part of parts) {
      if (await attempt(withSteps(part), `${part.length} of ${best.steps.length} steps (${ids(part)})`)) {
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && parts.length > 2) {
      for (const part of parts) {
        const rest = best.steps.filter((s) => !part.includes(s));
        if (await attempt(withSteps(rest), `${rest.length} of ${best.steps.length} steps (without ${ids(part)})`)) {
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (reduced) continue;
    if (n >= best.steps.length) break;
    n = Math.min(n * 2, best.steps.length);
  }
  if (best.steps.length === 1) await attempt(withSteps([]), 'no faults at all');

  // 2. earlier and shorter.
  const time = async () => {
    if (best.steps.length > 0) await attempt(shifted(best), 'faults earlier, run shorter');
    await attempt(trimmed(best), 'run ends sooner after the last heal');
  };
  await time();

  // 3. shorter durations, each step in turn, halving while it still fails.
  for (const id of best.steps.map((s) => s.id)) {
    for (let i = 0; i < 3; i++) {
      const step = best.steps.find((s) => s.id === id)!;
      const length = step.healAtMs - step.atMs;
      const shorter = Math.max(MIN_DURATION_MS, Math.round(length / 2));
      if (shorter >= length) break;
      const steps = best.steps.map((s) => (s.id === id ? { ...s, healAtMs: s.atMs + shorter } : s));
      if (!(await attempt(withSteps(steps), `step ${id} lasts ${shorter / 1000}s instead of ${length / 1000}s`))) break;
    }
  }

  // 4. fewer nodes.
  for (const id of best.steps.map((s) => s.id)) {
    for (const node of nodesOf(best.steps.find((s) => s.id === id)!.fault)) {
      const step = best.steps.find((s) => s.id === id)!;
      const fault = withoutNode(step.fault, node);
      if (!fault) continue;
      const steps = best.steps.map((s) => (s.id === id ? { ...s, fault } : s));
      await attempt(withSteps(steps), `step ${id} without ${node}`);
    }
  }

  // 5. time again.
  await time();
  return best;
};

const ids = (steps: readonly ScheduleStep[]): string => steps.map((s) => s.id).join(', ');
