import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSync } from '../../../src/checker/linearizable/check.ts';
import { resolveCheckerModel } from '../../../src/checker/linearizable/checker.ts';
import { fromHistory } from '../../../src/checker/linearizable/from-history.ts';
import {
  formatPorcupineKv,
  generateHistory,
  type SyntheticHistory,
  type SyntheticSpec,
} from '../../../src/checker/linearizable/synthetic.ts';
import { getModel } from '../../../src/checker/models/index.ts';
import { parsePorcupineKv } from '../../../src/history/formats/index.ts';
import type { Op } from '../../../src/history/op.ts';

/**
 * The generator's histories come from a sequential execution (each operation
 * takes effect at one instant inside its interval), so they must be
 * linearizable; with a stale read injected they must not be. Both are
 * checked by the checker, which also checks the generator's claims.
 */

const spec = fc
  .record({
    shape: fc.constantFrom('kv' as const, 'register' as const),
    ops: fc.integer({ min: 10, max: 300 }),
    clients: fc.integer({ min: 1, max: 12 }),
    keys: fc.integer({ min: 1, max: 4 }),
    overlap: fc.constantFrom(1, 0.7, 0.3),
    latency: fc.constantFrom('heavy-tailed' as const, 'uniform' as const),
    info: fc.constantFrom(0, 0, 0.03),
    seed: fc.nat(),
  })
  // Uniform latency with many clients per key is exponentially hard for any checker: keep it small. So are
  // many concurrent appends (every order is another state; porcupine explores them too): at most 8 clients.
  .map((s) => (s.latency === 'uniform' ? { ...s, clients: Math.min(s.clients, 5) } : s))
  .map((s) => (s.shape === 'kv' ? { ...s, clients: Math.min(s.clients, 8) } : s));

/**
 * A few random histories are still exponentially hard (crashed appends, each
 * of which may take effect anywhere later): a check may run out of time and
 * answer unknown, on a loaded machine more often. A wrong verdict fails at
 * once; unknowns are counted, and only a few are allowed.
 */
const CHECK_TIMEOUT_MS = 10_000;
const MAX_UNKNOWN = 3;

const verdict = (g: SyntheticHistory, options: { partition?: boolean } = {}) => {
  const model =
    options.partition === false
      ? getModel(g.model === 'kv-append' ? 'kv-append' : 'kv', { initial: g.initial, partition: false })
      : resolveCheckerModel(g.history, g.model, g.initial);
  return checkSync(model, fromHistory(g.history), { timeoutMs: CHECK_TIMEOUT_MS }).result;
};

/** Per process: invoke, then at most one completion, then (after info) never again. */
const wellFormed = (history: readonly Op[]): void => {
  const open = new Map<unknown, Op>();
  const crashed = new Set<unknown>();
  let last = -1;
  for (const op of history) {
    expect(op.time).toBeGreaterThan(last);
    last = op.time;
    expect(crashed.has(op.process)).toBe(false);
    if (op.type === 'invoke') {
      expect(open.has(op.process)).toBe(false);
      open.set(op.process, op);
    } else {
      const invoke = open.get(op.process);
      expect(invoke?.f).toBe(op.f);
      expect(invoke?.key).toBe(op.key);
      open.delete(op.process);
      if (op.type === 'info') crashed.add(op.process);
    }
  }
};

describe('synthetic histories', () => {
  it('are well formed, of the size asked for, and linearizable', () => {
    let unknown = 0;
    fc.assert(
      fc.property(spec, (s) => {
        const g = generateHistory(s);
        wellFormed(g.history);
        expect(g.history.filter((o) => o.type === 'invoke')).toHaveLength(s.ops);
        expect(g.expected).toBe('valid');
        const v = verdict(g);
        if (v === 'unknown') unknown++;
        else expect(v).toBe('ok');
      }),
      { numRuns: 150 },
    );
    expect(unknown).toBeLessThanOrEqual(MAX_UNKNOWN);
  }, 240_000);

  it('are not linearizable once a stale read is injected', () => {
    let injected = 0;
    let unknown = 0;
    fc.assert(
      fc.property(spec, fc.double({ min: 0, max: 1, noNaN: true }), (s, at) => {
        const g = generateHistory({ ...s, violation: true, violationAt: at });
        fc.pre(g.violation !== undefined);
        injected++;
        expect(g.expected).toBe('invalid');
        expect(g.history[g.violation!.index]!.value).toEqual(g.violation!.stale);
        const v = verdict(g);
        if (v === 'unknown') unknown++;
        else expect(v).toBe('illegal');
      }),
      { numRuns: 150 },
    );
    expect(injected).toBeGreaterThan(75);
    expect(unknown).toBeLessThanOrEqual(MAX_UNKNOWN);
  }, 240_000);

  it('give the same verdict checked per key and as one map-valued state', () => {
    fc.assert(
      fc.property(spec, fc.boolean(), (s, violation) => {
        const g = generateHistory({ ...s, ops: Math.min(s.ops, 60), clients: Math.min(s.clients, 4), violation });
        const perKey = verdict(g);
        fc.pre(perKey !== 'unknown');
        expect(verdict(g, { partition: false })).toBe(perKey);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('are a function of their spec', () => {
    const s: SyntheticSpec = { shape: 'kv', ops: 200, clients: 7, info: 0.05, violation: true, seed: 42 };
    expect(generateHistory(s)).toEqual(generateHistory(s));
    expect(generateHistory({ ...s, seed: 43 }).history).not.toEqual(generateHistory(s).history);
  });

  it('read back through porcupine-kv format as the same operations', () => {
    const g = generateHistory({ shape: 'kv', ops: 300, clients: 10, info: 0.05, violation: true, seed: 7 });
    const back = parsePorcupineKv(formatPorcupineKv(g.history));
    expect(back.map(({ process, type, f, key, value }) => ({ process, type, f, key, value }))).toEqual(
      g.history.map(({ process, type, f, key, value }) => ({ process, type, f, key, value })),
    );
  });

  it('honour the mix and the number of keys', () => {
    const g = generateHistory({
      shape: 'register',
      ops: 2000,
      clients: 10,
      keys: 3,
      mix: { read: 1, write: 0, update: 0 },
      seed: 1,
    });
    const invokes = g.history.filter((o) => o.type === 'invoke');
    expect(new Set(invokes.map((o) => o.f))).toEqual(new Set(['read']));
    expect(new Set(invokes.map((o) => o.key))).toEqual(new Set(['0', '1', '2']));
  });
});
