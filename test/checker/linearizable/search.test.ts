import { describe, expect, it } from 'vitest';
import { VisitedCache } from '../../../src/checker/linearizable/cache.ts';
import {
  buildEntryList,
  CALL,
  candidates,
  INFO_CALL,
  lift,
  RETURN,
  unlift,
} from '../../../src/checker/linearizable/entries.ts';
import { resolveModel } from '../../../src/checker/linearizable/model.ts';
import { PartitionCheck, PartitionSearch } from '../../../src/checker/linearizable/search.ts';
import { register } from '../../../src/checker/models/index.ts';
import { read, slowIllegal, write } from './helpers.ts';

const reg = resolveModel(register({ initial: 0 }));

const runToEnd = (s: { run(n: number): string }) => {
  let status = 'running';
  while (status === 'running') status = s.run(1 << 14);
  return status;
};

describe('entry list', () => {
  it('orders calls and returns by time, calls first at equal times, info returns left out', () => {
    const ops = [write(0, 5, 10, 1), read(1, 0, 5, 0), write(2, 3, null, 2)];
    const list = buildEntryList(ops);
    const walk: string[] = [];
    for (let node = list.next[list.head]!; node !== -1; node = list.next[node]!) {
      const kind = list.kind[node] === CALL ? 'call' : list.kind[node] === INFO_CALL ? 'info' : 'ret';
      walk.push(`${kind}${list.opOf[node]}`);
    }
    // read [0,5], info write from 3, write [5,10]: the write's call at 5 comes before the read's return at 5.
    expect(walk).toEqual(['call1', 'info2', 'call0', 'ret1', 'ret0']);
    expect(list.kind[list.match[list.next[list.head]!]!]).toBe(RETURN);
  });

  it('lift and unlift restore the list exactly', () => {
    const ops = [write(0, 0, 4, 1), read(1, 1, 2, 1), write(2, 3, null, 2), read(3, 3, 6, 2)];
    const list = buildEntryList(ops);
    const snapshot = () => [Array.from(list.next), Array.from(list.prev)];
    const before = snapshot();
    const first = list.next[list.head]!;
    lift(list, first);
    expect(candidates(list)).not.toContain(list.opOf[first]);
    const info = [...Array(2 * ops.length).keys()].find((n) => list.kind[n] === INFO_CALL)!;
    lift(list, info);
    unlift(list, info);
    unlift(list, first);
    expect(snapshot()).toEqual(before);
  });

  it('sorts histories given out of time order', () => {
    const ops = Array.from({ length: 200 }, (_, i) => write(i, 1000 - 5 * i, 1002 - 5 * i, i));
    const list = buildEntryList(ops);
    let last = -1;
    for (let node = list.next[list.head]!; node !== -1; node = list.next[node]!) {
      const op = ops[list.opOf[node]!]!;
      const t = list.kind[node] === RETURN ? op.return : op.call;
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
  });
});

describe('visited cache', () => {
  it('finds an exact configuration again, and tells states apart', () => {
    const cache = new VisitedCache(2, 0, false, 4);
    const bits = Int32Array.of(5, 1);
    expect(cache.addBits(bits, 42, 3)).toBe(true);
    expect(cache.addBits(bits, 42, 3)).toBe(false);
    expect(cache.addBits(bits, 42, 4)).toBe(true);
    expect(cache.addBits(Int32Array.of(5, 3), 42, 3)).toBe(true);
  });

  it('treats a configuration with extra indeterminate operations as visited', () => {
    // Word 0: determinate operations, word 1: indeterminate ones.
    const cache = new VisitedCache(1, 1, true, 4);
    expect(cache.addBits(Int32Array.of(7, 0b01), 9, 1)).toBe(true);
    expect(cache.addBits(Int32Array.of(7, 0b11), 9, 1)).toBe(false); // superset of indeterminate ones: dominated
    expect(cache.addBits(Int32Array.of(7, 0b10), 9, 1)).toBe(true); // not a superset
    expect(cache.addBits(Int32Array.of(6, 0b11), 9, 1)).toBe(true); // other determinate set
  });

  it('grows past its first size', () => {
    const cache = new VisitedCache(1, 0, false, 1);
    for (let i = 0; i < 10_000; i++)
      expect(cache.addBits(Int32Array.of(i), VisitedCache.key(i * 7919, 0), 0)).toBe(true);
    for (let i = 0; i < 10_000; i += 97)
      expect(cache.addBits(Int32Array.of(i), VisitedCache.key(i * 7919, 0), 0)).toBe(false);
    expect(cache.count).toBe(10_000);
  });

  it('stops storing at its byte limit', () => {
    const cache = new VisitedCache(1, 0, false, 1, 64 * 1024);
    for (let i = 0; i < 100_000; i++) cache.addBits(Int32Array.of(i), VisitedCache.key(i, 0), 0);
    expect(cache.full).toBe(true);
    expect(cache.bytes).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('partition search', () => {
  it('is resumable: slices of one iteration give the same verdict', () => {
    const ops = [write(0, 0, 10, 1), write(1, 1, 10, 2), read(2, 11, 12, 1), read(3, 13, 14, 2)];
    const search = new PartitionSearch(reg, ops);
    let status = 'running';
    let slices = 0;
    while (status === 'running') {
      status = search.run(1);
      slices++;
    }
    expect(status).toBe('illegal');
    expect(slices).toBeGreaterThan(3);
  });

  it('stays exact when the cache is full', () => {
    const ops = slowIllegal(7);
    const search = new PartitionSearch(reg, ops, undefined, { cacheLimitBytes: 16 * 1024 });
    expect(runToEnd(search)).toBe('illegal');
    expect(search.cache.full).toBe(true);
  });

  it('both orders of trying indeterminate operations agree', () => {
    const ops = [write(0, 0, null, 1), write(1, 0, null, 2), read(2, 5, 6, 2), read(2, 7, 8, 1), read(3, 9, 10, 1)];
    for (const infoLate of [false, true]) {
      expect(runToEnd(new PartitionSearch(reg, ops, undefined, { infoLate }))).toBe('ok');
      const bad = [...ops, read(3, 11, 12, 2)];
      expect(runToEnd(new PartitionSearch(reg, bad, undefined, { infoLate }))).toBe('illegal');
    }
  });

  it('runs a second search only when the first does not decide at once', () => {
    const easy = new PartitionCheck(reg, [write(0, 0, null, 1), read(1, 1, 2, 1)]);
    expect(runToEnd(easy)).toBe('ok');
    expect(easy.searches).toHaveLength(1);
    const hard = new PartitionCheck(reg, [...slowIllegal(9), write(99, 0, null, 5)]);
    expect(runToEnd(hard)).toBe('illegal');
    expect(hard.searches).toHaveLength(2);
  });
});
