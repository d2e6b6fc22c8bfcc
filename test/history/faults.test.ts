import { describe, expect, it } from 'vitest';
import { describeFault, faultWindows } from '../../src/history/faults.ts';
import { HistoryBuilder } from '../fixtures/history-builder.ts';

const ns = (ms: number) => ms * 1_000_000;

describe('faultWindows', () => {
  it('runs a window from the start completion to the matching stop completion', () => {
    const b = new HistoryBuilder();
    b.at(10).op('nemesis', 'invoke', 'start-kill', { targets: ['n2'] });
    b.at(12).op(0, 'invoke', 'read', null);
    b.at(15).op('nemesis', 'info', 'start-kill', { targets: ['n2'] });
    b.at(40).op('nemesis', 'invoke', 'stop-kill', null).at(45).op('nemesis', 'info', 'stop-kill', null);
    expect(faultWindows(b.ops)).toEqual([{ f: 'kill', start: ns(15), end: ns(45), value: { targets: ['n2'] } }]);
  });

  it('leaves a never-healed window open until Infinity', () => {
    const b = new HistoryBuilder().at(5).nemesis('start-pause', { targets: ['n1'] });
    expect(faultWindows(b.ops)).toEqual([{ f: 'pause', start: ns(6), end: Infinity, value: { targets: ['n1'] } }]);
  });

  it('opens a window at the invocation when the start never completed', () => {
    const b = new HistoryBuilder().at(5).op('nemesis', 'invoke', 'start-partition', { description: 'halves' });
    expect(faultWindows(b.ops)).toEqual([
      { f: 'partition', start: ns(5), end: Infinity, value: { description: 'halves' } },
    ]);
  });

  it('opens no window for a start that failed', () => {
    const b = new HistoryBuilder()
      .op('nemesis', 'invoke', 'start-kill', null)
      .op('nemesis', 'fail', 'start-kill', null);
    expect(faultWindows(b.ops)).toEqual([]);
  });

  it('heals only the windows whose targets a stop names, else every window of that kind', () => {
    const b = new HistoryBuilder();
    b.at(0).nemesis('start-kill', { targets: ['n1'] });
    b.at(10).nemesis('start-kill', { targets: ['n2'] });
    b.at(20).nemesis('start-clock', { targets: ['n3'] });
    b.at(30).nemesis('stop-kill', { targets: ['n2'] });
    b.at(40).nemesis('stop-kill', null);
    const ws = faultWindows(b.ops);
    expect(ws.map((w) => [w.f, w.start, w.end])).toEqual([
      ['kill', ns(1), ns(41)],
      ['kill', ns(11), ns(31)],
      ['clock', ns(21), Infinity],
    ]);
  });

  it('pairs a scheduled fault by its step: overlapping partitions heal one at a time', () => {
    const b = new HistoryBuilder();
    b.at(0).nemesis('start-partition', { step: 1, description: 'isolate n1' });
    b.at(10).nemesis('start-partition', { step: 2, description: 'isolate n2' });
    b.at(20).nemesis('stop-partition', { step: 1, leadersBeforeHeal: [] });
    b.at(30).nemesis('restart-node', { node: 'n3' });
    b.at(40).nemesis('stop-partition', { step: 2 });
    expect(faultWindows(b.ops).map((w) => [(w.value as { step: number }).step, w.start, w.end])).toEqual([
      [1, ns(1), ns(21)],
      [2, ns(11), ns(41)],
    ]);
  });

  it('ignores client ops and nemesis ops that are not start-/stop-', () => {
    const b = new HistoryBuilder().add(0, 1).nemesis('leader', { leader: 'n1' });
    expect(faultWindows(b.ops)).toEqual([]);
  });

  it('describes a window by its description, its targets or its kind', () => {
    expect(describeFault({ f: 'partition', start: 0, end: 1, value: { description: 'isolate n1' } })).toBe(
      'partition: isolate n1',
    );
    expect(describeFault({ f: 'kill', start: 0, end: 1, value: { targets: ['n1', 'n2'] } })).toBe('kill n1, n2');
    expect(describeFault({ f: 'shape', start: 0, end: 1, value: 'x'.repeat(500) })).toBe('shape');
    expect(describeFault({ f: 'p', start: 0, end: 1, value: { description: 'y'.repeat(500) } }).length).toBe(80);
  });
});
