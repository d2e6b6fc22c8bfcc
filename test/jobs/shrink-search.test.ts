import { describe, expect, it } from 'vitest';
import {
  type Candidate,
  LEAD_MS,
  MIN_DURATION_MS,
  nodesAffected,
  searchSmallerSchedule,
  TAIL_MS,
  withoutNode,
} from '../../src/jobs/shrink-search.ts';
import type { ScheduleStep } from '../../src/nemesis/schedule.ts';

/**
 * The search alone, against predicates whose minimal answer is known (the
 * end-to-end shrink of a real failing run is in shrink.test.ts).
 */
const step = (id: number, atMs: number, healAtMs: number, target: string[] = ['n1']): ScheduleStep => ({
  id,
  lane: 'test',
  atMs,
  healAtMs,
  fault: { kind: 'kill', target },
});

const eight: Candidate = {
  steps: Array.from({ length: 8 }, (_, i) => step(i + 1, 3000 + i * 4000, 6000 + i * 4000, ['n1', 'n2', 'n3'])),
  timeLimitMs: 40_000,
};

const has = (c: Candidate, id: number) => c.steps.some((s) => s.id === id);

describe('searchSmallerSchedule', () => {
  it('finds the two steps that together make the failure, and nothing else', async () => {
    const tested: Candidate[] = [];
    const best = await searchSmallerSchedule(eight, {
      test: async (c) => {
        tested.push(c);
        return has(c, 3) && has(c, 6);
      },
      shouldStop: () => false,
    });
    expect(best.steps.map((s) => s.id)).toEqual([3, 6]);
    expect(tested.length).toBeLessThan(40);
  });

  it('shortens durations, drops nodes, and moves the faults earlier in a shorter run', async () => {
    // Fails while step 5 lasts at least 1 s and still kills n2.
    const best = await searchSmallerSchedule(eight, {
      test: async (c) => {
        const s = c.steps.find((x) => x.id === 5);
        return !!s && s.healAtMs - s.atMs >= 1000 && (s.fault as { target: string[] }).target.includes('n2');
      },
      shouldStop: () => false,
    });
    expect(best.steps).toHaveLength(1);
    const s = best.steps[0]!;
    expect(s.id).toBe(5);
    expect(s.fault).toEqual({ kind: 'kill', target: ['n2'] });
    expect(s.healAtMs - s.atMs).toBeGreaterThanOrEqual(1000);
    expect(s.healAtMs - s.atMs).toBeLessThan(3000);
    expect(s.atMs).toBe(LEAD_MS);
    expect(best.timeLimitMs).toBe(s.healAtMs + TAIL_MS);
    expect(nodesAffected(best.steps)).toEqual(['n2']);
  });

  it('tries no faults at all once one step is left, and keeps it when the claim fails anyway', async () => {
    const best = await searchSmallerSchedule(eight, { test: async () => true, shouldStop: () => false });
    expect(best.steps).toEqual([]);
  });

  it('keeps the original when nothing smaller fails', async () => {
    const best = await searchSmallerSchedule(eight, { test: async () => false, shouldStop: () => false });
    expect(best).toBe(eight);
  });

  it('tries a hint first and stops when told, keeping the best so far', async () => {
    const hint: Candidate = { steps: eight.steps.slice(0, 3), timeLimitMs: 15_000 };
    const whys: string[] = [];
    let calls = 0;
    const best = await searchSmallerSchedule(
      eight,
      {
        test: async (_c, why) => {
          whys.push(why);
          calls += 1;
          return true;
        },
        shouldStop: () => calls >= 2,
      },
      [{ candidate: hint, why: 'the hint' }],
    );
    expect(whys[0]).toBe('the hint');
    expect(calls).toBe(2);
    expect(best.steps.length).toBeLessThan(3);
  });

  it('never shortens a step below the minimum duration', async () => {
    const one: Candidate = { steps: [step(1, 1000, 2000)], timeLimitMs: 10_000 };
    const best = await searchSmallerSchedule(one, {
      test: async (c) => c.steps.length === 1,
      shouldStop: () => false,
    });
    expect(best.steps[0]!.healAtMs - best.steps[0]!.atMs).toBe(MIN_DURATION_MS);
  });
});

describe('withoutNode', () => {
  it('drops a node from a grudge, and gives up when nothing would be cut', () => {
    const cut = {
      kind: 'partition' as const,
      grudge: { n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] },
      label: 'isolate n1',
    };
    expect(withoutNode(cut, 'n3')).toEqual({
      kind: 'partition',
      grudge: { n1: ['n2'], n2: ['n1'] },
      label: 'isolate n1 without n3',
    });
    expect(withoutNode({ kind: 'partition', grudge: { n1: ['n2'] } }, 'n2')).toBeUndefined();
    expect(withoutNode({ kind: 'kill', target: ['n1'] }, 'n1')).toBeUndefined();
    expect(withoutNode({ kind: 'kill', target: 'leader' }, 'n1')).toBeUndefined();
  });
});
