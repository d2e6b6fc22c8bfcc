import { describe, expect, it } from 'vitest';
import { faultWindows } from '../../src/history/faults.ts';
import { pairClientOps } from '../../src/history/pairs.ts';
import { attributeLostWrites } from '../../src/jobs/attribution.ts';
import { attribute } from '../../src/report/attribution.ts';
import type { RunResults } from '../../src/report/results.ts';
import { HistoryBuilder } from '../fixtures/history-builder.ts';

/**
 * Two leader kills (at 100 ms and 300 ms) and a partition (at 500 ms). An
 * acknowledged write is lost by the fault in place when it was acknowledged,
 * or by the next one to start.
 */
const history = () => {
  const b = new HistoryBuilder();
  b.at(10).add(0, 1).add(0, 2); // before kill 1
  b.at(100).nemesis('start-kill', { targets: ['n1'] });
  b.at(120).add(1, 3); // during kill 1
  b.at(150).nemesis('stop-kill', { targets: ['n1'] });
  b.at(200).add(0, 4); // between: next fault is kill 2
  b.at(300).nemesis('start-kill', { targets: ['n2'] });
  b.at(350).nemesis('stop-kill', { targets: ['n2'] });
  b.at(400).add(0, 5).add(0, 6, 'info');
  b.at(500).nemesis('start-partition', { description: 'halves' });
  b.at(600).nemesis('stop-partition', null);
  b.at(700).add(0, 7); // after every fault
  return b.ops;
};

describe('lost-write attribution', () => {
  it('puts each lost write on the fault in place at its acknowledgement, or the next one', () => {
    const a = attributeLostWrites(history(), [1, 3, 4, 5, 7]);
    expect(a.windows).toEqual([
      { f: 'kill', window: 0, lost: 2 }, // 1 (before), 3 (during)
      { f: 'kill', window: 1, lost: 1 }, // 4
      { f: 'partition', window: 2, lost: 1 }, // 5
      { f: null, window: -1, lost: 1 }, // 7, after every fault
    ]);
    expect(a.byKind).toEqual([
      { f: 'kill', faults: 2, lost: 3 },
      { f: 'partition', faults: 1, lost: 1 },
    ]);
    expect(a.unattributed).toBe(1);
  });

  it('attributes nothing when nothing was lost, and counts faults all the same', () => {
    const a = attributeLostWrites(history(), []);
    expect(a.windows.map((w) => w.lost)).toEqual([0, 0, 0]);
    expect(a.byKind).toEqual([
      { f: 'kill', faults: 2, lost: 0 },
      { f: 'partition', faults: 1, lost: 0 },
    ]);
  });

  it('counts a lost element the history never acknowledged as unattributed, never as a fault’s', () => {
    // 6 ended info (never acknowledged); 99 was never added.
    const a = attributeLostWrites(history(), [6, 99]);
    expect(a.unattributed).toBe(2);
    expect(a.byKind.every((k) => k.lost === 0)).toBe(true);
  });

  it('agrees with the run report’s attribution table, window by window', () => {
    const ops = history();
    const lost = [1, 3, 4, 5, 7];
    const mine = attributeLostWrites(ops, lost);
    const results = {
      checkers: { set: { valid: false, lost: lost.length, lostElements: lost } },
    } as unknown as RunResults;
    const report = attribute(results, ops, pairClientOps(ops), faultWindows(ops));
    const rows = report.kinds.find((k) => k.kind === 'lost write')!.rows;
    for (const w of mine.windows)
      expect(rows.filter((r) => r.windowIndex === w.window).length, String(w.window)).toBe(w.lost);
  });
});
