/**
 * Fault timing: how long after its planned time a fault is in effect, and
 * how long healing it takes, per kind, on the local backend (toy nodes).
 * A schedule of one step per kind is followed as a run follows it; each
 * step records when the nemesis began (lag behind the plan), when the
 * fault was in place, and when it was healed. Where the effect can be seen
 * on the node itself it is measured there too:
 *  - kill: the process is gone (/proc), restart: the node answers again;
 *  - pause: the process is stopped (state T) / running again;
 *  - clock bump, strobe, drift: the offsets the toy node was told, with
 *    the node's own timestamps (strobe period and drift error measured);
 *  - rolling restart: each node's downtime, and the whole roll.
 * Side by side in one table. The docker backend's figures go in the same
 * table once it lands (bench/faults.ts measures partition/heal/kill/restart
 * on both).
 * Usage: npx tsx bench/nemesis.ts [--rounds 5]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createRandom } from '../src/base/random.ts';
import { createClock, sleep } from '../src/base/time.ts';
import { createLocalBackend } from '../src/cluster/local.ts';
import { cleanupLeftovers } from '../src/cluster/registry.ts';
import { createRecorder } from '../src/history/recorder.ts';
import { followSchedule } from '../src/nemesis/follow.ts';
import { createNemesis } from '../src/nemesis/index.ts';
import type { Schedule, ScheduleStep } from '../src/nemesis/schedule.ts';
import type { FaultSpec } from '../src/nemesis/spec.ts';
import { createToySystem, httpGet } from '../test/fixtures/toy-system.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const nodes = ['n1', 'n2', 'n3'];
const runId = `bench-${process.pid}`;

const procState = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
};
const median = (xs: number[]) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]! : Number.NaN;
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : Number.NaN);
const fmt = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(1));

/** Polls every ms until `done` or `limitMs`; returns ms waited. */
const until = async (done: () => boolean, limitMs = 10_000): Promise<number> => {
  const t0 = performance.now();
  while (!done() && performance.now() - t0 < limitMs) await new Promise((r) => setImmediate(r));
  return performance.now() - t0;
};

interface Row {
  kind: string;
  lag: number[];
  inject: number[];
  heal: number[];
  onNode: number[];
  onNodeWhat: string;
  note: string[];
}
const rows = new Map<string, Row>();
const row = (kind: string, onNodeWhat = ''): Row => {
  let r = rows.get(kind);
  if (!r) {
    r = { kind, lag: [], inject: [], heal: [], onNode: [], onNodeWhat, note: [] };
    rows.set(kind, r);
  }
  return r;
};

const system = createToySystem();
const backend = createLocalBackend({ stopGraceMs: 1000 });
const stopAll = new AbortController();
process.on('SIGINT', () => stopAll.abort());
try {
  await backend.up({ runId, system, nodes, options: {}, workDir: '' }, AbortSignal.timeout(60_000));
  const recorder = createRecorder({ clock: createClock() });
  const nemesis = createNemesis({ backend, system, nodes, rng: createRandom(1), signal: stopAll.signal }, recorder);
  const addr = (n: string) => backend.addresses().find((a) => a.id === n)!;
  const clockLog = async (n: string) =>
    JSON.parse((await httpGet(addr(n), '/clock/log', { timeoutMs: 5000 })).body) as {
      atMs: number;
      offsetMs: number;
    }[];

  const one = async (fault: FaultSpec, lengthMs: number, probe?: (startWall: number) => Promise<void>) => {
    const step: ScheduleStep = { id: 1, lane: 'bench', atMs: 200, healAtMs: 200 + lengthMs, fault };
    const schedule: Schedule = { nemesis: 'bench', nodes, timeLimitMs: 200 + lengthMs + 100, steps: [step] };
    const began = performance.now();
    const wallAtPlan = Date.now() + 200;
    const following = followSchedule(schedule, nemesis, {
      stop: stopAll.signal,
      nowMs: () => performance.now() - began,
    });
    await probe?.(wallAtPlan);
    const [a] = await following;
    const r = row(
      fault.kind === 'partition' ? `partition ${String((fault as { label?: string }).label ?? '')}` : fault.kind,
    );
    r.lag.push(a!.startedAtMs! - a!.plannedAtMs);
    r.inject.push(a!.tookEffectAtMs! - a!.startedAtMs!);
    r.heal.push(a!.healedAtMs! - a!.plannedHealAtMs);
    return { r, a: a!, wallAtPlan };
  };

  for (let round = 0; round < rounds && !stopAll.signal.aborted; round++) {
    // kill: the process gone, measured from the planned moment; heal restarts and waits until ready.
    {
      const pid = backend.pids().n1!;
      let seen = Number.NaN;
      const { r } = await one({ kind: 'kill', target: ['n1'] }, 1000, async () => {
        const t0 = performance.now();
        await sleep(150);
        await until(() => procState(pid) === undefined || procState(pid) === 'Z');
        seen = performance.now() - t0 - 200;
      });
      r.onNodeWhat = 'process gone';
      r.onNode.push(seen);
    }
    // pause: stopped (T) on the node.
    {
      let seen = Number.NaN;
      const pid = backend.pids().n2!;
      const { r } = await one({ kind: 'pause', target: ['n2'] }, 800, async () => {
        const t0 = performance.now();
        await sleep(150);
        await until(() => procState(pid) === 'T');
        seen = performance.now() - t0 - 200;
      });
      r.onNodeWhat = 'process stopped (T)';
      r.onNode.push(seen);
    }
    // partitions: in place when partition() returns (the proxies cut synchronously).
    await one({ kind: 'partition', grudge: { n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] }, label: 'isolate' }, 800);
    await one({ kind: 'partition', grudge: { n2: ['n1'], n3: ['n1'] }, label: 'mute (one-way)' }, 800);
    await one({ kind: 'shape', target: ['n3'], delay: 50, jitter: 10 }, 800);
    // clock bump: the node's own timestamp of the offset, against the planned moment (same host clock).
    {
      const before = (await clockLog('n3')).length;
      const { r, wallAtPlan } = await one({ kind: 'clock', target: ['n3'], offset: 5000 }, 600);
      const log = (await clockLog('n3')).slice(before);
      r.onNodeWhat = 'offset set on node';
      r.onNode.push(log.length ? log[0]!.atMs - wallAtPlan : Number.NaN);
    }
    // strobe: the flips the node saw, and their period.
    {
      const before = (await clockLog('n3')).length;
      const { r } = await one({ kind: 'clock-strobe', target: ['n3'], offset: 3000, period: 100 }, 2000);
      const log = (await clockLog('n3')).slice(before);
      const gaps = log.slice(1, -1).map((e, i) => e.atMs - log[i]!.atMs);
      r.onNodeWhat = 'flip period (100 ms planned)';
      r.onNode.push(median(gaps));
      r.note.push(`${log.length - 1} flips, max gap ${max(gaps)} ms`);
    }
    // drift: the offsets the node was told vs rate × elapsed.
    {
      const before = (await clockLog('n3')).length;
      const { r } = await one({ kind: 'clock-drift', target: ['n3'], rate: 0.5, every: 100 }, 2000);
      const log = (await clockLog('n3')).slice(before, -1);
      const t0 = log.length ? log[0]!.atMs - log[0]!.offsetMs / 0.5 : 0;
      const errors = log.map((e) => Math.abs(e.offsetMs - (e.atMs - t0) * 0.5));
      r.onNodeWhat = 'max drift error vs rate';
      r.onNode.push(max(errors));
      r.note.push(`${log.length} steps, final offset ${log.at(-1)?.offsetMs ?? 0} ms`);
    }
    // rolling restart: each node's downtime (kill, 300 ms down, restart until ready).
    {
      const from = recorder.ops.length;
      const { r, a } = await one({ kind: 'rolling-restart', target: nodes, downtime: 300 }, 15_000);
      const downs = recorder.ops
        .slice(from)
        .filter((o) => o.f === 'restart-node' && o.type === 'info')
        .map((o) => (o.value as { downMs: number }).downMs);
      r.onNodeWhat = 'per node: down → ready (300 ms planned down)';
      r.onNode.push(median(downs));
      r.note.push(`${(a.healed as { restarted?: string[] })?.restarted?.length ?? 0} of 3 restarted`);
    }
  }

  const header = ['fault', 'lag ms', 'inject ms', 'heal ms', 'on the node ms', 'measured', 'notes'];
  const table = [...rows.values()].map((r) => [
    r.kind,
    fmt(median(r.lag)),
    fmt(median(r.inject)),
    fmt(median(r.heal)),
    fmt(median(r.onNode)),
    r.onNodeWhat,
    r.note.at(-1) ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(
    `local backend, 3 toy nodes, ${rounds} rounds, medians (lag: plan → nemesis starts; inject: → in place; heal: planned heal → healed)`,
  );
  console.log(line(header));
  for (const t of table) console.log(line(t));
} finally {
  await backend.down().catch(() => {});
  await cleanupLeftovers({ runId, force: true });
}
