/**
 * Figures for the set and perf checkers and the HTML report on synthetic set
 * histories of growing size. Run: npx tsx bench/report.ts
 * Each figure is the minimum of 3 runs. Reads return every element acknowledged
 * so far, so the cost is dominated by the total size of read values.
 */

import { createRandom } from '../src/base/random.ts';
import { checkPerf } from '../src/checker/perf.ts';
import { checkSet } from '../src/checker/set.ts';
import type { Op } from '../src/history/op.ts';
import { renderRunReport } from '../src/report/html.ts';
import { renderJunit } from '../src/report/junit.ts';
import type { RunResults } from '../src/report/results.ts';

const synthetic = (clientOps: number, readShare: number, workers = 10): Op[] => {
  const rnd = createRandom(1);
  const ops: Op[] = [];
  const acked: number[] = [];
  let t = 0;
  let nextEl = 0;
  const push = (o: Omit<Op, 'index'>) => ops.push({ index: ops.length, ...o });
  push({ time: 1e6, type: 'invoke', process: 'nemesis', f: 'start-kill', value: { targets: ['n1'] } });
  push({ time: 2e6, type: 'info', process: 'nemesis', f: 'start-kill', value: { targets: ['n1'] } });
  t = 2e6;
  for (let i = 0; i < clientOps; i++) {
    const process = i % workers;
    const node = `n${1 + (i % 3)}`;
    t += 2e5 + rnd.int(2e5);
    if (rnd.next() < readShare) {
      push({ time: t, type: 'invoke', process, f: 'read', value: null, node });
      push({ time: t + 1e5, type: 'ok', process, f: 'read', value: acked.slice(), node });
    } else {
      const el = nextEl++;
      push({ time: t, type: 'invoke', process, f: 'add', value: el, node });
      const type = rnd.next() < 0.02 ? 'info' : 'ok';
      push({ time: t + 1e5 + rnd.int(5e6), type, process, f: 'add', value: el, node });
      if (type === 'ok') acked.push(el);
    }
    if (i === Math.floor(clientOps / 2)) {
      push({ time: t + 1, type: 'invoke', process: 'nemesis', f: 'stop-kill', value: null });
      push({ time: t + 2, type: 'info', process: 'nemesis', f: 'stop-kill', value: null });
    }
  }
  ops.sort((a, b) => a.time - b.time);
  ops.forEach((o, i) => {
    o.index = i;
  });
  const end = ops.at(-1)!.time;
  ['n1', 'n2', 'n3'].forEach((node, k) => {
    push({ time: end + 1e9 + k, type: 'invoke', process: 1000 + k, f: 'read', value: null, node });
    push({ time: end + 1e9 + 1e6 + k, type: 'ok', process: 1000 + k, f: 'read', value: acked.slice(), node });
  });
  return ops;
};

const minMs = <T>(fn: () => T): { ms: number; value: T } => {
  let best = Number.POSITIVE_INFINITY;
  let value!: T;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    value = fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, value };
};

const cases = [
  { clientOps: 1_000, readShare: 0.3 },
  { clientOps: 10_000, readShare: 0.1 },
  { clientOps: 100_000, readShare: 0.005 },
  { clientOps: 300_000, readShare: 0.001 },
];
console.log('client ops | read elements | set ms | perf ms | report ms | report MB | junit ms');
for (const c of cases) {
  const history = synthetic(c.clientOps, c.readShare);
  const readElements = history.reduce((n, o) => n + (Array.isArray(o.value) ? o.value.length : 0), 0);
  const set = minMs(() => checkSet(history, { nodes: ['n1', 'n2', 'n3'] }));
  const perf = minMs(() => checkPerf(history));
  const results: RunResults = {
    valid: set.value.valid,
    test: 'bench',
    runId: 'bench',
    seed: 1,
    startedAt: new Date(0).toISOString(),
    durationMs: 1,
    interrupted: false,
    cluster: 'c',
    workload: 'set',
    nemesis: 'n',
    backend: 'local',
    nodes: ['n1', 'n2', 'n3'],
    claims: [{ name: 'lost-writes', expected: 'none', held: true, detail: '' }],
    checkers: { set: set.value, perf: perf.value },
    replay: 'faultline run',
  };
  const html = minMs(() => renderRunReport({ results, history, config: {}, logs: {} }));
  const junit = minMs(() => renderJunit(results));
  console.log(
    [
      c.clientOps,
      readElements,
      set.ms.toFixed(1),
      perf.ms.toFixed(1),
      html.ms.toFixed(1),
      (html.value.length / 1e6).toFixed(2),
      junit.ms.toFixed(2),
    ].join(' | '),
  );
}
