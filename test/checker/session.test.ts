import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSession, GUARANTEES } from '../../src/checker/session.ts';
import type { Op } from '../../src/history/op.ts';

/**
 * Session histories with explicit sessions (processes): each call is
 * [process, f, key, value, invokeMs, completeMs, node]. A read's value is
 * what it returned.
 */
type Call = [number, 'write' | 'read', string, unknown, number, number, string?];

const history = (calls: readonly Call[]): Op[] => {
  const events: Omit<Op, 'index'>[] = [];
  for (const [process, f, key, value, at, end, node = 'n1'] of calls) {
    events.push({ time: at * 1e6, type: 'invoke', process, f, key, value: f === 'read' ? null : value, node });
    events.push({ time: end * 1e6, type: 'ok', process, f, key, value, node });
  }
  events.sort((a, b) => a.time - b.time || (a.type === 'invoke' ? -1 : 1));
  return events.map((e, index) => ({ index, ...e }));
};

const counts = (ops: Op[]) => {
  const r = checkSession(ops);
  return Object.fromEntries(GUARANTEES.map((g) => [g, r.guarantees[g].violations]));
};

describe('session checker', () => {
  it('read-your-writes: a session that reads an older value than its own acknowledged write', () => {
    const ops = history([
      [0, 'write', 'k', 1, 0, 1, 'n1'],
      [1, 'write', 'k', 2, 2, 3, 'n1'],
      [1, 'read', 'k', 1, 4, 5, 'n2'], // the follower n2 has not applied 2 yet
    ]);
    const r = checkSession(ops);
    expect(r.valid).toBe(false);
    expect(r.guarantees.readYourWrites).toEqual({ violations: 1, sessions: 1 });
    expect(r.violations).toEqual([
      {
        guarantee: 'readYourWrites',
        process: 1,
        key: 'k',
        readIndex: 5,
        node: 'n2',
        value: '1',
        missedIndex: 3,
        missedValue: '2',
        missedNode: 'n1',
        becauseIndex: 3,
        behindMs: 1,
        invokeMs: 4,
      },
    ]);
    expect(r.summary).toContain('read-your-writes violated 1 times (1 sessions)');
  });

  it('read-your-writes holds when the session reads its own write, or a later one', () => {
    const ops = history([
      [1, 'write', 'k', 2, 2, 3],
      [1, 'read', 'k', 2, 4, 5, 'n2'],
      [0, 'write', 'k', 3, 6, 7],
      [1, 'read', 'k', 3, 8, 9, 'n3'],
    ]);
    expect(checkSession(ops)).toMatchObject({ valid: true, reads: 2, writes: 2, sessions: 2 });
  });

  it('another session reading an old value is stale, not a session violation', () => {
    const ops = history([
      [0, 'write', 'k', 1, 0, 1],
      [0, 'write', 'k', 2, 2, 3],
      [1, 'read', 'k', 1, 4, 5, 'n2'],
    ]);
    expect(checkSession(ops).valid).toBe(true);
  });

  it('monotonic reads: a session that sees 2, then 1', () => {
    const ops = history([
      [0, 'write', 'k', 1, 0, 1],
      [0, 'write', 'k', 2, 2, 3],
      [1, 'read', 'k', 2, 4, 5, 'n1'],
      [1, 'read', 'k', 1, 6, 7, 'n2'],
    ]);
    expect(counts(ops)).toEqual({ readYourWrites: 0, monotonicReads: 1, monotonicWrites: 0, consistentPrefix: 0 });
    const v = checkSession(ops).violations[0]!;
    expect(v).toMatchObject({ guarantee: 'monotonicReads', node: 'n2', value: '1', missedValue: '2' });
    // It expected 2 because of its own earlier read (completion index of that read).
    expect(ops[v.becauseIndex]).toMatchObject({ process: 1, f: 'read', type: 'ok', value: 2 });
  });

  it('monotonic reads holds for concurrent writes seen in either order', () => {
    const ops = history([
      [0, 'write', 'k', 1, 0, 5],
      [2, 'write', 'k', 2, 1, 6],
      [1, 'read', 'k', 2, 7, 8],
      [1, 'read', 'k', 1, 9, 10],
    ]);
    expect(checkSession(ops).guarantees.monotonicReads.violations).toBe(0);
  });

  it("monotonic writes: a node shows a session's second write, then misses its first", () => {
    const ops = history([
      [0, 'write', 'a', 1, 0.5, 1],
      [0, 'write', 'b', 2, 2, 3],
      [1, 'read', 'b', 2, 4, 5, 'n2'],
      [1, 'read', 'a', null, 6, 7, 'n2'],
    ]);
    expect(counts(ops)).toEqual({ readYourWrites: 0, monotonicReads: 0, monotonicWrites: 1, consistentPrefix: 0 });
  });

  it("consistent prefix: seeing a session's second write on one node, then missing its first on another", () => {
    const ops = history([
      [0, 'write', 'a', 1, 0.5, 1],
      [0, 'write', 'b', 2, 2, 3],
      [1, 'read', 'b', 2, 4, 5, 'n2'],
      [1, 'read', 'a', null, 6, 7, 'n3'],
    ]);
    expect(counts(ops)).toEqual({ readYourWrites: 0, monotonicReads: 0, monotonicWrites: 0, consistentPrefix: 1 });
  });

  it('consistent prefix: the answer seen before the question', () => {
    // Session 0 asks (a = 1); session 1 reads the question, then answers (b = 2);
    // session 2 sees the answer, then finds no question.
    const ops = history([
      [0, 'write', 'a', 1, 0.5, 1],
      [1, 'read', 'a', 1, 2, 3],
      [1, 'write', 'b', 2, 4, 5],
      [2, 'read', 'b', 2, 6, 7, 'n2'],
      [2, 'read', 'a', null, 8, 9, 'n3'],
    ]);
    expect(counts(ops)).toEqual({ readYourWrites: 0, monotonicReads: 0, monotonicWrites: 0, consistentPrefix: 1 });
    const v = checkSession(ops).violations[0]!;
    expect(v).toMatchObject({ guarantee: 'consistentPrefix', key: 'a', value: 'null', missedValue: '1' });
    expect(ops[v.becauseIndex]).toMatchObject({ process: 2, f: 'read', key: 'b', value: 2 });
  });

  it('sibling reads see a write when any sibling is not older', () => {
    const ops = history([
      [1, 'write', 'k', 2, 2, 3],
      [1, 'read', 'k', [1, 2], 4, 5],
      [0, 'write', 'k', 1, 0, 1],
    ]);
    expect(checkSession(ops).valid).toBe(true);
  });

  it('leaves reads of values nobody wrote to the staleness checker, and is unknown without reads', () => {
    const r = checkSession(history([[1, 'read', 'k', 99, 0, 1]]));
    expect(r).toMatchObject({ valid: 'unknown', reads: 0 });
  });
});

/** Sessions that each do a few writes and reads, sequentially, with random gaps and durations. */
const sessionsArb = fc.array(
  fc.array(
    fc.record({
      write: fc.boolean(),
      key: fc.constantFrom('a', 'b'),
      gap: fc.integer({ min: 0, max: 5 }),
      duration: fc.integer({ min: 1, max: 6 }),
      /** Where in its interval the operation takes effect, 0..1. */
      point: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { minLength: 1, maxLength: 8 },
  ),
  { minLength: 1, maxLength: 5 },
);

/**
 * An atomic register per key: every op takes effect at one instant inside
 * its interval, in that order; a read returns the latest write before it.
 * `lagMs` > 0 makes reads return the state as of lagMs earlier (a follower
 * that applies the leader's writes late).
 */
type SessionSpec = { write: boolean; key: string; gap: number; duration: number; point: number }[][];

const simulate = (sessions: SessionSpec, lagMs: number): Op[] => {
  type Step = { process: number; write: boolean; key: string; at: number; end: number; point: number; value?: number };
  const steps: Step[] = [];
  let value = 0;
  sessions.forEach((ops, process) => {
    let t = process * 0.25;
    for (const o of ops) {
      const at = t + o.gap;
      const end = at + o.duration;
      steps.push({ process, write: o.write, key: o.key, at, end, point: at + o.point * o.duration });
      t = end + 0.1;
    }
  });
  const applied: { key: string; at: number; value: number }[] = [];
  const calls: Call[] = [];
  for (const s of [...steps].sort((a, b) => a.point - b.point)) {
    if (s.write) {
      value += 1;
      applied.push({ key: s.key, at: s.point, value });
      calls.push([s.process, 'write', s.key, value, s.at, s.end, 'leader']);
    } else {
      const seen = applied.filter((w) => w.key === s.key && w.at + lagMs <= s.point).at(-1);
      calls.push([s.process, 'read', s.key, seen?.value ?? null, s.at, s.end, lagMs > 0 ? 'follower' : 'leader']);
    }
  }
  return history(calls);
};

describe('session checker properties', () => {
  it('a real (linearizable) register never violates a session guarantee', () => {
    fc.assert(
      fc.property(sessionsArb, (sessions) => {
        const r = checkSession(simulate(sessions, 0));
        expect(r.valid).not.toBe(false);
        expect(r.violations).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a lagging follower violates read-your-writes whenever a session reads back its write within the lag', () => {
    fc.assert(
      fc.property(sessionsArb, fc.constantFrom('a', 'b'), (sessions, key) => {
        // Append to session 0: write the key, then read it back at once from the follower.
        const withReadBack = sessions.map((s, i) =>
          i === 0
            ? [
                ...s,
                { write: true, key, gap: 1, duration: 1, point: 1 },
                { write: false, key, gap: 0, duration: 1, point: 0 },
              ]
            : s,
        );
        const r = checkSession(simulate(withReadBack, 1000));
        expect(r.valid).toBe(false);
        expect(r.guarantees.readYourWrites.violations).toBeGreaterThan(0);
        expect(
          r.violations.some((v) => v.guarantee === 'readYourWrites' && v.process === 0 && v.node === 'follower'),
        ).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
