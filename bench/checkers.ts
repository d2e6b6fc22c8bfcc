/**
 * npx tsx bench/checkers.ts — the staleness, conflicts and counter checkers
 * on synthetic histories of growing size, to show they scale n log n.
 *
 * Register histories: `--concurrency` workers over `--keys` keys, half
 * reads, half writes; each op lasts 0.2–2 ms; a read returns one of the last
 * few values written to its key (so about a third of reads are stale), as
 * an async follower would. Counter histories: adds of 1..5 and reads of a
 * plausible value. Each checker runs `--runs` times per size; the minimum
 * is printed. Generation is not timed.
 *
 * Options: --sizes 10000,100000,1000000 (client ops), --keys 5,
 * --concurrency 10, --runs 3.
 */
import { parseArgs } from 'node:util';
import { createRandom } from '../src/base/random.ts';
import { checkConflicts } from '../src/checker/conflicts.ts';
import { checkCounter } from '../src/checker/counter.ts';
import { checkStaleness } from '../src/checker/staleness.ts';
import type { Op } from '../src/history/op.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    keys: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const keyCount = Number(args.keys);
const concurrency = Number(args.concurrency);
const runs = Math.max(1, Number(args.runs));

/** Per-worker back-to-back ops; `makeOp` is called in invoke order, so "recent" means recent in time. */
const interleave = (n: number, makeOp: () => { f: string; key?: string; value: unknown; out: unknown }): Op[] => {
  const rng = createRandom(1);
  const slots: { worker: number; invoke: number; complete: number }[] = [];
  const perWorker = Math.ceil(n / concurrency);
  for (let worker = 0; worker < concurrency; worker++) {
    let t = rng.int(1_000_000);
    for (let s = 0; s < perWorker; s++) {
      const dur = 200_000 + rng.int(1_800_000);
      slots.push({ worker, invoke: t, complete: t + dur });
      t += dur + rng.int(100_000);
    }
  }
  slots.sort((a, b) => a.invoke - b.invoke);
  const events: Omit<Op, 'index'>[] = [];
  for (const slot of slots) {
    const op = makeOp();
    const base = {
      process: slot.worker,
      f: op.f,
      node: `n${(slot.worker % 3) + 1}`,
      ...(op.key ? { key: op.key } : {}),
    };
    events.push({ ...base, time: slot.invoke, type: 'invoke', value: op.value });
    events.push({ ...base, time: slot.complete, type: 'ok', value: op.out });
  }
  events.sort((a, b) => a.time - b.time);
  return events.map((e, index) => ({ index, ...e }));
};

const registerHistory = (n: number): Op[] => {
  const rng = createRandom(2);
  const recent = new Map<string, number[]>();
  let next = 0;
  return interleave(n, () => {
    const key = `k${rng.int(keyCount)}`;
    const list = recent.get(key) ?? [];
    recent.set(key, list);
    if (rng.next() < 0.5) {
      const v = ++next;
      list.push(v);
      if (list.length > 4) list.shift();
      return { f: 'write', key, value: v, out: v };
    }
    const out = list.length === 0 ? null : list[rng.int(list.length)]!;
    return { f: 'read', key, value: null, out };
  });
};

const counterHistory = (n: number): Op[] => {
  const rng = createRandom(3);
  let sum = 0;
  return interleave(n, () => {
    if (rng.next() < 0.8) {
      const d = 1 + rng.int(5);
      sum += d;
      return { f: 'add', value: d, out: d };
    }
    return { f: 'read', value: null, out: sum };
  });
};

const time = (fn: () => unknown): number => {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
};

const nodes = ['n1', 'n2', 'n3'];
console.log(`keys ${keyCount}, concurrency ${concurrency}, best of ${runs}`);
console.log(
  'ops'.padStart(9),
  'staleness ms'.padStart(13),
  'conflicts ms'.padStart(13),
  'counter ms'.padStart(11),
  '  stale reads',
);
for (const n of sizes) {
  const reg = registerHistory(n);
  const ctr = counterHistory(n);
  let stale = 0;
  const s = time(() => {
    stale = checkStaleness(reg).staleReads;
  });
  const c = time(() => checkConflicts(reg, { nodes }));
  const k = time(() => checkCounter(ctr, { nodes }));
  console.log(
    String(n).padStart(9),
    s.toFixed(1).padStart(13),
    c.toFixed(1).padStart(13),
    k.toFixed(1).padStart(11),
    `  ${stale}`,
  );
}
