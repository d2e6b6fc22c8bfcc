import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPerf, MAX_BUCKETS, perfChecker } from '../../src/checker/perf.ts';
import { faultWindows } from '../../src/history/faults.ts';
import { HistoryBuilder } from '../fixtures/history-builder.ts';

describe('perf checker', () => {
  it('computes latency quantiles of ok ops, overall and per f, and counts outcomes', async () => {
    const b = new HistoryBuilder();
    // 10 ok reads with latencies 1..10 ms, 1 ok write of 100 ms, 1 failed and 1 info write.
    let t = 0;
    for (let i = 1; i <= 10; i++) {
      b.at(t)
        .op(0, 'invoke', 'read', null)
        .at(t + i)
        .op(0, 'ok', 'read', 1);
      t += 20;
    }
    b.at(t)
      .op(1, 'invoke', 'write', 1)
      .at(t + 100)
      .op(1, 'ok', 'write', 1);
    b.op(1, 'invoke', 'write', 2).op(1, 'fail', 'write', 2);
    b.op(1, 'invoke', 'write', 3)
      .at(t + 5000)
      .op(1, 'info', 'write', 3);
    const r = await perfChecker.check(b.ops, { nodes: [] });
    expect(r.valid).toBe(true);
    expect(r.ops).toBe(13);
    expect(r.counts).toEqual({ ok: 11, fail: 1, info: 1 });
    expect(r.byF.read).toEqual({
      ok: 10,
      fail: 0,
      info: 0,
      latencyMs: { count: 10, p50: 5, p90: 9, p99: 10, max: 10 },
    });
    expect(r.byF.write).toMatchObject({ ok: 1, fail: 1, info: 1, latencyMs: { count: 1, p50: 100, max: 100 } });
    expect(r.latencyMs).toEqual({ count: 11, p50: 6, p90: 10, p99: 100, max: 100 });
    expect(Object.keys(r.byF)).toEqual(['read', 'write']);
  });

  it('counts an op with no completion as info and unfinished, with no latency', () => {
    const b = new HistoryBuilder().op(0, 'invoke', 'read', null);
    const r = checkPerf(b.ops);
    expect(r).toMatchObject({
      ops: 1,
      unfinished: 1,
      counts: { ok: 0, fail: 0, info: 1 },
      latencyMs: { count: 0, p50: null },
    });
  });

  it('buckets completions per second by outcome', () => {
    const b = new HistoryBuilder();
    b.at(100).op(0, 'invoke', 'read', null).op(0, 'ok', 'read', 1);
    b.at(900).op(0, 'invoke', 'read', null).op(0, 'ok', 'read', 1);
    b.at(1500).op(0, 'invoke', 'read', null).op(0, 'fail', 'read', null);
    b.at(3200).op(0, 'invoke', 'read', null).op(0, 'info', 'read', null);
    const r = checkPerf(b.ops);
    expect(r.throughput).toEqual({ bucketMs: 1000, ok: [2, 0, 0, 0], fail: [0, 1, 0, 0], info: [0, 0, 0, 1] });
  });

  it('widens buckets for long runs so results.json stays small', () => {
    const b = new HistoryBuilder();
    b.at(0).op(0, 'invoke', 'read', null).op(0, 'ok', 'read', 1);
    b.at(10 * 3600 * 1000)
      .op(0, 'invoke', 'read', null)
      .op(0, 'ok', 'read', 1);
    const r = checkPerf(b.ops);
    expect(r.throughput.ok.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(r.throughput.bucketMs).toBeGreaterThan(1000);
    expect(r.throughput.ok.reduce((a, x) => a + x, 0)).toBe(2);
  });

  it('measures availability inside each fault window and outside them', () => {
    const b = new HistoryBuilder();
    const ok = (ms: number, type: 'ok' | 'fail' | 'info' = 'ok') =>
      b.at(ms).op(0, 'invoke', 'write', 1).op(0, type, 'write', 1);
    ok(0);
    ok(10);
    b.at(100).nemesis('start-partition', { grudge: { n1: ['n2'] }, description: 'isolate n1' });
    ok(200, 'info');
    ok(300, 'fail');
    ok(400);
    b.at(500).nemesis('stop-partition', null);
    ok(600);
    b.at(700).nemesis('start-kill', { targets: ['n2'] });
    ok(800, 'info');
    const r = checkPerf(b.ops);
    const [part, kill] = r.availability.windows;
    expect(part).toEqual({
      f: 'partition',
      description: 'partition: isolate n1',
      startMs: 101,
      endMs: 501,
      ok: 1,
      fail: 1,
      info: 1,
      total: 3,
      share: 0.333,
    });
    expect(kill).toMatchObject({ f: 'kill', description: 'kill n2', endMs: null, info: 1, total: 1, share: 0 });
    expect(r.availability.outside).toEqual({ ok: 3, fail: 0, info: 0, total: 3, share: 1 });
    expect(r.availability.overall.total).toBe(7);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('counts availability per window as the definition says, for overlapping and open windows (property)', () => {
    const kinds = ['partition', 'kill', 'pause'] as const;
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 1000 }), outcome: fc.constantFrom('ok', 'fail', 'info') }), {
          maxLength: 40,
        }),
        fc.array(
          fc.record({
            kind: fc.constantFrom(...kinds),
            start: fc.integer({ min: 0, max: 1000 }),
            len: fc.option(fc.integer({ min: 0, max: 400 })),
          }),
          { maxLength: 6 },
        ),
        (ops, faults) => {
          // One lane per fault kind, so windows of different kinds overlap freely.
          const events: { at: number; f: string; start: boolean }[] = [];
          const lastEnd = new Map<string, number>();
          for (const w of [...faults].sort((a, b) => a.start - b.start)) {
            if (w.start <= (lastEnd.get(w.kind) ?? -1)) continue;
            events.push({ at: w.start, f: w.kind, start: true });
            const end = w.len === null ? Number.POSITIVE_INFINITY : w.start + w.len;
            lastEnd.set(w.kind, end);
            if (Number.isFinite(end)) events.push({ at: end, f: w.kind, start: false });
          }
          const b = new HistoryBuilder();
          const items = [
            ...events.map((e) => ({
              at: e.at,
              add: () => b.nemesis(`${e.start ? 'start' : 'stop'}-${e.f}`, e.start ? { targets: ['n1'] } : null),
            })),
            ...ops.map((o) => ({ at: o.at, add: () => b.op(0, 'invoke', 'write', 1).op(0, o.outcome, 'write', 1) })),
          ].sort((x, y) => x.at - y.at);
          for (const it of items) {
            b.at(it.at);
            it.add();
          }
          const history = b.ops;
          const r = checkPerf(history);
          const windows = faultWindows(history);
          const completions = history.filter((op) => op.process !== 'nemesis' && op.type !== 'invoke');
          windows.forEach((w, i) => {
            const inside = completions.filter((op) => op.time >= w.start && op.time <= w.end);
            expect(r.availability.windows[i]!.total).toBe(inside.length);
            expect(r.availability.windows[i]!.ok).toBe(inside.filter((op) => op.type === 'ok').length);
          });
          const outside = completions.filter((op) => !windows.some((w) => op.time >= w.start && op.time <= w.end));
          expect(r.availability.outside.total).toBe(outside.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is valid and empty on an empty history', () => {
    const r = checkPerf([]);
    expect(r).toMatchObject({ valid: true, ops: 0, throughput: { ok: [0] }, availability: { windows: [] } });
    expect(r.availability.overall.share).toBeNull();
  });
});
