import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadChecker } from '../../src/checker/index.ts';
import { quantiles } from '../../src/checker/quantiles.ts';
import { checkStaleness, VISIBILITY_AFTER_MS } from '../../src/checker/staleness.ts';
import type { Op } from '../../src/history/op.ts';
import { RegisterHistory } from './register-ops.ts';

/** Three sequential acknowledged writes of 1, 2, 3 to key k, done by 5 ms. */
const threeWrites = (): RegisterHistory =>
  new RegisterHistory().write('k', 1, 0, 1).write('k', 2, 2, 3).write('k', 3, 4, 5);

describe('staleness checker', () => {
  it('flags a read two versions behind, with staleMs from the first superseding acknowledgement', () => {
    const r = checkStaleness(threeWrites().read('k', 1, 10, 11, 'n2').ops);
    expect(r.valid).toBe(false);
    expect(r).toMatchObject({ reads: 1, staleReads: 1, staleFraction: 1, maxStaleMs: 7, unexpected: 0 });
    expect(r.versionsBehind).toMatchObject({ count: 1, max: 2 });
    expect(r.staleMs).toMatchObject({ count: 1, p50: 7 });
    expect(r.examples).toEqual([
      {
        key: 'k',
        value: 1,
        supersededBy: 2,
        versionsBehind: 2,
        staleMs: 7,
        node: 'n2',
        readIndex: 7,
        writeIndex: 1,
        supersedingIndex: 3,
        invokeMs: 10,
      },
    ]);
    expect(r.byNode).toEqual({ n2: { reads: 1, staleReads: 1 } });
    expect(r.summary).toBe('1 of 1 reads stale (100%), up to 2 versions and 7 ms behind');
  });

  it('does not flag a read of the latest acknowledged value', () => {
    const r = checkStaleness(threeWrites().read('k', 3, 10, 11).ops);
    expect(r.valid).toBe(true);
    expect(r.staleReads).toBe(0);
    expect(r.maxStaleMs).toBe(0);
    expect(r.versionsBehind).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null });
    expect(r.examples).toEqual([]);
    expect(r.summary).toBe('0 of 1 reads stale');
  });

  it('does not count a write still in flight when the read began as superseding', () => {
    // 2 completes after the read was invoked: reading 1 is allowed.
    const r = checkStaleness(new RegisterHistory().write('k', 1, 0, 1).write('k', 2, 2, 12).read('k', 1, 10, 11).ops);
    expect(r.staleReads).toBe(0);
    expect(r.valid).toBe(true);
  });

  it('does not count a write concurrent with the read value write as superseding', () => {
    // 2 was invoked before 1 completed: the two are concurrent, either may be last.
    const r = checkStaleness(new RegisterHistory().write('k', 1, 0, 3).write('k', 2, 2, 4).read('k', 1, 10, 11).ops);
    expect(r.staleReads).toBe(0);
  });

  it('treats closed intervals that touch as overlapping', () => {
    const h = new RegisterHistory().write('k', 1, 0, 2).write('k', 2, 2, 5).read('k', 1, 5, 6);
    expect(checkStaleness(h.ops).staleReads).toBe(0);
  });

  it('counts as versions behind only the writes invoked strictly after the read value completed', () => {
    // 2 starts the instant 1 completes: concurrent with it, so not superseding; 3 is.
    const h = new RegisterHistory().write('k', 1, 0, 2).write('k', 2, 2, 3).write('k', 3, 4, 5).read('k', 1, 10, 11);
    const r = checkStaleness(h.ops);
    expect(r.examples[0]).toMatchObject({ versionsBehind: 1, staleMs: 5, supersededBy: 3 });
  });

  it('counts only the superseding writes on the same key', () => {
    const h = new RegisterHistory().write('a', 1, 0, 1).write('b', 2, 2, 3).write('b', 3, 4, 5).read('a', 1, 10, 11);
    expect(checkStaleness(h.ops).staleReads).toBe(0);
  });

  it('a read of null after an acknowledged write is stale; before any write it is fresh', () => {
    const h = new RegisterHistory().read('k', null, 0, 1).write('k', 1, 2, 3).read('k', null, 5, 6);
    const r = checkStaleness(h.ops);
    expect(r).toMatchObject({ reads: 2, staleReads: 1, staleFraction: 0.5 });
    expect(r.examples[0]).toMatchObject({
      value: null,
      supersededBy: 1,
      versionsBehind: 1,
      staleMs: 2,
      writeIndex: -1,
    });
  });

  it('with siblings, a read is stale only when every sibling is superseded', () => {
    // 1 and 2 concurrent; 3 follows both and is acknowledged before the reads; 4 is in flight during them.
    const base = () =>
      new RegisterHistory().write('k', 1, 0, 2).write('k', 2, 1, 3).write('k', 3, 5, 6).write('k', 4, 7, 30);
    const allOld = checkStaleness(base().read('k', [1, 2], 10, 11).ops);
    expect(allOld.staleReads).toBe(1);
    expect(allOld.examples[0]).toMatchObject({ value: [1, 2], versionsBehind: 1, staleMs: 4, supersededBy: 3 });
    const oneFresh = checkStaleness(base().read('k', [1, 4], 10, 11).ops);
    expect(oneFresh.staleReads).toBe(0);
    expect(oneFresh.valid).toBe(true);
  });

  it('a compare-and-set writes its new value and can supersede', () => {
    const h = new RegisterHistory().write('k', 1, 0, 1).cas('k', 1, 5, 2, 3).read('k', 1, 10, 11).read('k', 5, 12, 13);
    const r = checkStaleness(h.ops);
    expect(r.staleReads).toBe(1);
    expect(r.examples[0]).toMatchObject({ value: 1, supersededBy: 5 });
  });

  it('failed and indeterminate writes never supersede; an indeterminate value is never stale', () => {
    const h = new RegisterHistory()
      .write('k', 1, 0, 1)
      .write('k', 2, 2, 3, 'fail')
      .write('k', 3, 4, 5, 'info')
      .read('k', 1, 10, 11)
      .write('k', 4, 12, 13)
      .read('k', 3, 20, 21);
    const r = checkStaleness(h.ops);
    expect(r.staleReads).toBe(0);
    expect(r.unexpected).toBe(0);
  });

  it('tells values apart by type: a write of 1 does not produce "1", true or "null"; -0 reads as 0', () => {
    const h = new RegisterHistory()
      .write('k', 1, 0, 1)
      .write('b', true, 0, 1)
      .write('z', 0, 0, 1)
      .read('k', '1', 2, 3)
      .read('b', 'true', 2, 3)
      .read('k', 'null', 2, 3)
      .read('k', 1, 2, 3)
      .read('b', true, 2, 3)
      .read('z', -0, 2, 3);
    const r = checkStaleness(h.ops);
    expect(r).toMatchObject({ reads: 6, unexpected: 3, staleReads: 0 });
    expect([...r.unexpectedValues].sort()).toEqual(['"1"', '"null"', '"true"']);
  });

  it('reports values nobody wrote (never written, written only by a failed write, malformed) as unexpected', () => {
    const h = new RegisterHistory()
      .write('k', 1, 0, 1)
      .write('k', 2, 2, 3, 'fail')
      .read('k', 99, 5, 6)
      .read('k', 2, 7, 8)
      .read('k', { nested: [1] }, 9, 10)
      .read('k', [], 11, 12)
      .read('k', [1, 99], 13, 14)
      .read('other', 1, 15, 16);
    const r = checkStaleness(h.ops);
    expect(r.valid).toBe(false);
    expect(r).toMatchObject({ reads: 6, unexpected: 6, staleReads: 0 });
    expect(r.unexpectedValues).toEqual(['99', '2', '{"nested":[1]}', '[]', '[1,99]', '1']);
    expect(r.summary).toBe('0 of 6 reads stale; 6 reads returned values nobody wrote');
  });

  it('answers unknown without an ok read, and ignores nemesis ops', () => {
    const r = checkStaleness(new RegisterHistory().write('k', 1, 0, 1).nemesis('start-partition', 0.5).ops);
    expect(r.valid).toBe('unknown');
    expect(r.reads).toBe(0);
    expect(r.staleFraction).toBeNull();
    expect(r.summary).toBe('no ok read: nothing to judge');
  });

  it('counts reads and stale reads per serving node', () => {
    const h = threeWrites().read('k', 3, 10, 11, 'n1').read('k', 2, 10, 11, 'n2').read('k', 1, 12, 13, 'n2');
    expect(checkStaleness(h.ops).byNode).toEqual({ n1: { reads: 1, staleReads: 0 }, n2: { reads: 2, staleReads: 2 } });
  });

  it('keeps the stalest reads as examples, stalest first', () => {
    const h = new RegisterHistory().write('k', 1, 0, 1).write('k', 2, 2, 3);
    for (let i = 0; i < 15; i++) h.read('k', 1, 10 + i, 10.5 + i);
    const r = checkStaleness(h.ops);
    expect(r.staleReads).toBe(15);
    expect(r.examples).toHaveLength(10);
    expect(r.examples[0]!.staleMs).toBe(21);
    expect(r.examples[9]!.staleMs).toBe(12);
  });

  it('t-visibility: buckets reads by ms since the latest acknowledged write, consistent when they saw it', () => {
    const h = new RegisterHistory()
      .write('k', 1, 0, 1)
      .write('k', 2, 2, 3)
      .read('k', 1, 3.5, 4) // t = 0.5 ms, saw an older value
      .read('k', 2, 3.6, 4) // t = 0.6 ms, saw it
      .read('k', 2, 4.5, 5) // t = 1.5 ms
      .read('k', 2, 1500, 1501) // t ≈ 1497 ms
      .write('k', 3, 2000, 2010)
      .read('k', 3, 2005, 2006); // concurrent with 3, latest acknowledged is 2: 3 is not older, consistent
    const r = checkStaleness(h.ops);
    const byEdge = Object.fromEntries(r.tVisibility.map((b) => [String(b.ltMs), b]));
    expect(r.tVisibility).toHaveLength(11);
    expect(byEdge['1']).toEqual({ geMs: 0, ltMs: 1, reads: 2, consistent: 1, probability: 0.5 });
    expect(byEdge['2']).toEqual({ geMs: 1, ltMs: 2, reads: 1, consistent: 1, probability: 1 });
    expect(byEdge.null).toEqual({ geMs: 1000, ltMs: null, reads: 2, consistent: 2, probability: 1 });
    expect(byEdge['5']).toEqual({ geMs: 2, ltMs: 5, reads: 0, consistent: 0, probability: null });
  });

  it('is registered as "staleness"', async () => {
    const r = await loadChecker('staleness').check(threeWrites().read('k', 1, 10, 11).ops, { nodes: ['n1'] });
    expect(r.valid).toBe(false);
  });
});

// ---- properties

interface Spec {
  read: boolean;
  start: number;
  dur: number;
  lin: number;
  outcome: 'ok' | 'fail' | 'info';
  key: number;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  read: fc.boolean(),
  start: fc.integer({ min: 1, max: 400 }), // dense: ties between endpoints are common
  dur: fc.integer({ min: 0, max: 40 }),
  lin: fc.double({ min: 0, max: 1, noNaN: true }),
  outcome: fc.constantFrom<Spec['outcome']>('ok', 'ok', 'ok', 'fail', 'info'),
  key: fc.integer({ min: 0, max: 2 }),
});

interface Executed {
  ops: Op[];
  /** Per read op (completion index): the key. */
  reads: { index: number; key: string; invoke: number }[];
  writes: { value: number; key: string; invoke: number; complete: number; ok: boolean }[];
}

/**
 * Runs the specs against one real register per key: each op takes effect at
 * a point inside its interval (a failed write never, an info write maybe
 * later), a read returns the value in place at its point. Times are in
 * units of 0.1 ms.
 */
const execute = (specs: readonly Spec[]): Executed => {
  const at = (s: Spec): number => s.start + s.lin * s.dur;
  const effects = specs
    .map((s, i) => ({ s, i, t: s.outcome === 'info' ? at(s) + s.lin * 500 : at(s) }))
    .filter(({ s }) => s.read || s.outcome !== 'fail')
    .sort((a, b) => a.t - b.t || a.i - b.i);
  const state = new Map<number, number | null>();
  const readValue = new Map<number, number | null>();
  for (const { s, i } of effects) {
    if (s.read) readValue.set(i, state.get(s.key) ?? null);
    else state.set(s.key, i + 1);
  }
  const h = new RegisterHistory();
  const unit = 0.1;
  specs.forEach((s, i) => {
    const key = `k${s.key}`;
    const [a, b] = [s.start * unit, (s.start + s.dur) * unit];
    if (s.read) h.read(key, readValue.get(i), a, b);
    else h.write(key, i + 1, a, b, s.outcome);
  });
  const ops = h.ops;
  const reads: Executed['reads'] = [];
  const writes: Executed['writes'] = [];
  const invokes = new Map<number | 'nemesis', Op>();
  for (const op of ops) {
    if (op.type === 'invoke') {
      invokes.set(op.process, op);
      continue;
    }
    const inv = invokes.get(op.process)!;
    if (op.f === 'read') reads.push({ index: op.index, key: op.key!, invoke: inv.time });
    else
      writes.push({
        value: op.value as number,
        key: op.key!,
        invoke: inv.time,
        complete: op.type === 'info' ? Number.POSITIVE_INFINITY : op.time,
        ok: op.type === 'ok',
      });
  }
  return { ops, reads, writes };
};

/** Replaces read `pick`'s value by that of a write some acknowledged write superseded before the read began, if any. */
const withStaleRead = (e: Executed, pick: number): Op[] | undefined => {
  if (e.reads.length === 0) return undefined;
  const r = e.reads[pick % e.reads.length]!;
  const sameKey = e.writes.filter((w) => w.key === r.key && w.ok);
  const initial = { value: null as number | null, complete: 0 };
  const candidates = [initial, ...sameKey].filter((w) =>
    sameKey.some((x) => x.invoke > w.complete && x.complete < r.invoke),
  );
  if (candidates.length === 0) return undefined;
  const old = candidates[pick % candidates.length]!;
  return e.ops.map((op) => (op.index === r.index ? { ...op, value: old.value } : op));
};

/** The write whose value read `r` returned in `ops` (the latest-completing one), or the initial state. */
const producerOf = (e: Executed, ops: readonly Op[], r: Executed['reads'][number]): { complete: number } => {
  const value = ops[r.index]!.value;
  if (value === null) return { complete: 0 };
  return e.writes.filter((w) => w.value === value && w.key === r.key).sort((a, b) => b.complete - a.complete)[0]!;
};

/** The definition, quadratically: per stale read, [versionsBehind, staleMs]. */
const bruteForce = (e: Executed, ops: readonly Op[]): [number, number][] => {
  const out: [number, number][] = [];
  for (const r of e.reads) {
    const from = producerOf(e, ops, r);
    const sup = e.writes.filter((x) => x.ok && x.key === r.key && x.invoke > from.complete && x.complete < r.invoke);
    if (sup.length > 0) out.push([sup.length, (r.invoke - Math.min(...sup.map((x) => x.complete))) / 1e6]);
  }
  return out;
};

/** The t-visibility curve by its definition, quadratically: per t, [reads, consistent]. */
const bruteForceCurve = (e: Executed, ops: readonly Op[]): [number, number][] =>
  VISIBILITY_AFTER_MS.map((t) => {
    let reads = 0;
    let consistent = 0;
    for (const r of e.reads) {
      const from = producerOf(e, ops, r);
      const before = e.writes.filter(
        (w) => w.ok && w.key === r.key && (t === 0 ? w.complete < r.invoke : w.complete <= r.invoke - t * 1e6),
      );
      if (before.length === 0) continue;
      // The latest acknowledged write at least t before the read (ties: the later invoked).
      const latest = before.reduce((a, b) =>
        b.complete > a.complete || (b.complete === a.complete && b.invoke >= a.invoke) ? b : a,
      );
      reads++;
      if (!(from.complete < latest.invoke)) consistent++;
    }
    return [reads, consistent];
  });

describe('property: histories of a real register', () => {
  const specs = fc.array(spec, { minLength: 1, maxLength: 60 });

  it('have no stale read and no unexpected value', () => {
    fc.assert(
      fc.property(specs, (s) => {
        const r = checkStaleness(execute(s).ops);
        expect(r.staleReads).toBe(0);
        expect(r.unexpected).toBe(0);
        expect(r.valid).toBe(r.reads === 0 ? 'unknown' : true);
      }),
      { numRuns: 300 },
    );
  });

  it('have at least one stale read once a read returns a superseded value', () => {
    let mutated = 0;
    fc.assert(
      fc.property(specs, fc.nat(), (s, pick) => {
        const e = execute(s);
        const bad = withStaleRead(e, pick);
        fc.pre(bad !== undefined);
        mutated++;
        const r = checkStaleness(bad!);
        expect(r.staleReads).toBeGreaterThanOrEqual(1);
        expect(r.valid).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect(mutated).toBeGreaterThan(50);
  });

  it('agree with the quadratic definition on the t-visibility curve', () => {
    fc.assert(
      fc.property(specs, fc.array(fc.nat(), { maxLength: 5 }), (s, picks) => {
        const e = execute(s);
        let ops = e.ops;
        for (const p of picks) ops = withStaleRead({ ...e, ops }, p) ?? ops;
        const curve = checkStaleness(ops).tVisibilityCurve.map((p) => [p.reads, p.consistent]);
        expect(curve).toEqual(bruteForceCurve(e, ops));
      }),
      { numRuns: 300 },
    );
  });

  it('agree with the quadratic definition on versionsBehind and staleMs', () => {
    fc.assert(
      fc.property(specs, fc.array(fc.nat(), { maxLength: 5 }), (s, picks) => {
        const e = execute(s);
        let ops = e.ops;
        for (const p of picks) ops = withStaleRead({ ...e, ops }, p) ?? ops;
        const expected = bruteForce(e, ops);
        const r = checkStaleness(ops);
        expect(r.staleReads).toBe(expected.length);
        expect(r.versionsBehind).toEqual(quantiles(expected.map(([v]) => v)));
        expect(r.staleMs).toEqual(quantiles(expected.map(([, ms]) => ms)));
        expect(r.maxStaleMs).toBe(expected.length ? r.staleMs.max : 0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('staleness distribution and t-visibility curve', () => {
  it('ranks every judged read, fresh ones at 0, by nearest rank', () => {
    // Writes 1, 2, 3 done by 5 ms; eight fresh reads and two stale ones (7 ms / 2 versions, 9 ms / 1 version).
    const h = threeWrites();
    for (let i = 0; i < 8; i++) h.read('k', 3, 10, 11);
    h.read('k', 1, 10, 11).read('k', 2, 14, 15);
    const r = checkStaleness(h.ops, { quantiles: [0.85] });
    const at = (q: number) => r.distribution.find((d) => d.q === q);
    expect(at(0.5)).toEqual({ q: 0.5, ms: 0, versions: 0 });
    // Rank 9 of 10, each measure ranked on its own: the smaller stale figure of each.
    expect(at(0.85)).toEqual({ q: 0.85, ms: 7, versions: 1 });
    expect(at(1)).toEqual({ q: 1, ms: 9, versions: 2 });
    expect(r.distribution.map((d) => d.q)).toEqual([0.5, 0.85, 0.9, 0.95, 0.99, 0.999, 1]);
  });

  it('t-visibility: of the reads t ms after an acknowledgement, the share that saw it', () => {
    // 1 acknowledged at 2 ms. Reads at 4 ms (2 ms later) miss it twice and see it once; reads at 60 ms see it.
    const h = new RegisterHistory().write('k', 1, 1, 2);
    h.read('k', null, 4, 5).read('k', null, 4, 5).read('k', 1, 4, 5);
    h.read('k', 1, 60, 61).read('k', 1, 60, 61);
    const r = checkStaleness(h.ops, { visibilityAfterMs: [3] });
    const point = (t: number) => r.tVisibilityCurve.find((p) => p.afterMs === t);
    expect(point(0)).toEqual({ afterMs: 0, reads: 5, consistent: 3, probability: 0.6 });
    expect(point(2)).toEqual({ afterMs: 2, reads: 5, consistent: 3, probability: 0.6 });
    expect(point(3)).toEqual({ afterMs: 3, reads: 2, consistent: 2, probability: 1 });
    expect(point(100)).toEqual({ afterMs: 100, reads: 0, consistent: 0, probability: null });
  });

  it('lists stale reads for attribution, stalest first', () => {
    const h = threeWrites().read('k', 2, 10, 11, 'n3').read('k', 1, 20, 21, 'n2');
    const r = checkStaleness(h.ops);
    expect(r.items.map((i) => [i.node, i.staleMs])).toEqual([
      ['n2', 17],
      ['n3', 5],
    ]);
  });

  it('property: a sequential history read back in order has no stale read and visibility 1 everywhere', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 30 }), (gaps) => {
        const h = new RegisterHistory();
        let t = 1;
        gaps.forEach((g, i) => {
          h.write('k', i + 1, t, t + 1);
          h.read('k', i + 1, t + 1 + g, t + 2 + g);
          t += g + 3;
        });
        const r = checkStaleness(h.ops);
        expect(r.staleReads).toBe(0);
        for (const p of r.tVisibilityCurve) if (p.reads > 0) expect(p.probability).toBe(1);
        expect(r.distribution.every((d) => d.ms === 0)).toBe(true);
      }),
    );
  });
});
