/**
 * The harness's own throughput, side by side in one run:
 *  - "noop": the generator, rate limiter off, recorder writing history.jsonl,
 *    against a client that does nothing (the ceiling the harness allows);
 *  - "replica": a real `faultline run` against the 3-node replica over the
 *    link proxy, no faults, rate unlimited.
 * The gap is what the system under test costs; the noop figure is the
 * harness's overhead per op. Usage: npm run bench:harness [-- --seconds 10 --concurrency 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRandom } from '../src/base/random.ts';
import { createClock, deadlineSignal } from '../src/base/time.ts';
import { runWorkers } from '../src/generator/workers.ts';
import type { Op } from '../src/history/op.ts';
import { createRecorder } from '../src/history/recorder.ts';
import { resolveRunConfig } from '../src/run/resolve.ts';
import { runTest } from '../src/run/run.ts';
import type { Client } from '../src/systems/system.ts';
import { createOpSource } from '../src/workload/ops.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '8' } },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

interface Row {
  target: string;
  workload: string;
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

const completedLatencies = (ops: readonly Op[]): { count: number; lat: number[] } => {
  const open = new Map<unknown, number>();
  const lat: number[] = [];
  for (const op of ops) {
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') open.set(op.process, op.time);
    else {
      const t = open.get(op.process);
      if (t !== undefined && op.type === 'ok') lat.push((op.time - t) / 1e6);
      open.delete(op.process);
    }
  }
  lat.sort((a, b) => a - b);
  return { count: lat.length, lat };
};
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;

const noop = async (workload: string): Promise<Row> => {
  const config = await resolveRunConfig({ workload, nemesis: 'none', seed: 1, concurrency, rate: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-'));
  try {
    const recorder = createRecorder({ file: join(dir, 'history.jsonl'), clock: createClock() });
    const client: Client = {
      invoke: async (op) => ({ type: 'ok', value: op.f === 'read' ? null : op.value }),
      close: async () => {},
    };
    const started = performance.now();
    await runWorkers({
      source: (w, rng) => createOpSource(config.workload, rng, w, concurrency),
      concurrency,
      rate: 0,
      opTimeoutMs: 1000,
      addresses: [{ id: 'n1', host: '127.0.0.1', port: 0, ports: { main: 0 } }],
      open: async () => client,
      recorder,
      stop: deadlineSignal(new AbortController().signal, seconds * 1000).signal,
      interrupt: new AbortController().signal,
      rng: createRandom(1),
    });
    const elapsed = (performance.now() - started) / 1000;
    recorder.close();
    const { count, lat } = completedLatencies(recorder.ops);
    return {
      target: 'noop client',
      workload,
      ops: count,
      opsPerSec: count / elapsed,
      p50Ms: q(lat, 0.5),
      p99Ms: q(lat, 0.99),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const replica = async (workload: string): Promise<Row> => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-'));
  try {
    const config = await resolveRunConfig({
      workload,
      nemesis: 'none',
      seed: 1,
      concurrency,
      rate: 0,
      timeLimit: seconds,
      reportsDir: dir,
      quiesce: 0,
    });
    const { results } = await runTest(config, { checkTimeoutMs: 1000 });
    const perf = results.checkers.perf as unknown as {
      counts: { ok: number };
      latencyMs: { p50: number; p99: number };
    };
    return {
      target: '3-node replica',
      workload,
      ops: perf.counts.ok,
      opsPerSec: perf.counts.ok / seconds,
      p50Ms: perf.latencyMs.p50,
      p99Ms: perf.latencyMs.p99,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const rows: Row[] = [];
for (const workload of ['register', 'set']) {
  rows.push(await noop(workload));
  rows.push(await replica(workload));
}
console.log(
  `faultline harness throughput — ${seconds}s per case, concurrency ${concurrency}, rate unlimited, no faults\n`,
);
console.log(
  [
    'target'.padEnd(16),
    'workload'.padEnd(9),
    'ok ops'.padStart(8),
    'ops/s'.padStart(9),
    'p50 ms'.padStart(8),
    'p99 ms'.padStart(8),
  ].join(' '),
);
for (const r of rows) {
  console.log(
    [
      r.target.padEnd(16),
      r.workload.padEnd(9),
      String(r.ops).padStart(8),
      r.opsPerSec.toFixed(0).padStart(9),
      r.p50Ms.toFixed(3).padStart(8),
      r.p99Ms.toFixed(3).padStart(8),
    ].join(' '),
  );
}
