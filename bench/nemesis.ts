/**
 * Fault timing, side by side on the local and docker backends (toy nodes):
 * how long after its planned time a fault is in effect, and how long
 * healing it takes, per kind. A schedule of one step per kind is followed
 * as a run follows it; each step records when the nemesis began (lag
 * behind the plan), when the fault was in place (inject), and when it was
 * healed after its planned heal (heal; a kill's heal is a restart until
 * ready). Where the effect shows on the node it is measured there too,
 * from the planned moment:
 *  - kill: the node's process is gone (/proc);
 *  - clock bump: the node reads the new offset; strobe: the period of the
 *    flips it reads; drift: how far its offset strays from rate × time —
 *    through the toy's own clock control on local, libfaketime on docker;
 *  - rolling restart: each node's time from kill to ready again.
 * Partitions on docker are iptables rules entered with nsenter; on local,
 * link proxies. Every figure is a median over the rounds.
 * Usage: npx tsx bench/nemesis.ts [--rounds 5] [--backends local,docker]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createRandom } from '../src/base/random.ts';
import { createClock, sleep } from '../src/base/time.ts';
import type { Backend } from '../src/cluster/backend.ts';
import { createDockerBackend } from '../src/cluster/docker/backend.ts';
import { createLocalBackend } from '../src/cluster/local.ts';
import { cleanupLeftovers } from '../src/cluster/registry.ts';
import { createRecorder, type Recorder } from '../src/history/recorder.ts';
import { followSchedule } from '../src/nemesis/follow.ts';
import { createNemesis, type Nemesis } from '../src/nemesis/index.ts';
import type { Schedule, ScheduleStep } from '../src/nemesis/schedule.ts';
import type { FaultSpec } from '../src/nemesis/spec.ts';
import { clockOffsetOf, createToySystem, httpGet } from '../test/fixtures/toy-system.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, backends: { type: 'string', default: 'local,docker' } },
});
const rounds = Number(values.rounds);
const backends = values.backends.split(',').filter(Boolean) as ('local' | 'docker')[];
const nodes = ['n1', 'n2', 'n3'];

const procGone = (pid: number | undefined): boolean => {
  if (pid === undefined) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
  } catch {
    return true;
  }
};
const median = (xs: number[]) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]! : Number.NaN;
const fmt = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(0));

interface Figures {
  lag: number[];
  inject: number[];
  heal: number[];
  onNode: number[];
}
/** figures[kind][backend] */
const figures = new Map<string, Map<string, Figures>>();
const what = new Map<string, string>();
const fig = (kind: string, backend: string): Figures => {
  const byBackend = figures.get(kind) ?? new Map<string, Figures>();
  figures.set(kind, byBackend);
  const f = byBackend.get(backend) ?? { lag: [], inject: [], heal: [], onNode: [] };
  byBackend.set(backend, f);
  return f;
};

const benchBackend = async (name: 'local' | 'docker', stop: AbortSignal) => {
  // On docker the toy has no clock control of its own: clock faults go through libfaketime.
  const system = createToySystem(name === 'docker' ? { clock: false } : {});
  const runId = `bench-${name}-${process.pid}`;
  const backend: Backend & { pids(): Record<string, number | undefined> } =
    name === 'docker' ? createDockerBackend({ stopGraceMs: 1000 }) : createLocalBackend({ stopGraceMs: 1000 });
  try {
    await backend.up({ runId, system, nodes, options: {}, workDir: '' }, AbortSignal.timeout(180_000));
    const recorder: Recorder = createRecorder({ clock: createClock() });
    const nemesis: Nemesis = createNemesis({ backend, system, nodes, rng: createRandom(1), signal: stop }, recorder);
    const addr = (n: string) => backend.addresses().find((a) => a.id === n)!;
    /** The node's clock offset as it reads it. */
    const offsetOf = async (n: string): Promise<number> =>
      name === 'docker' ? clockOffsetOf(addr(n)) : Number((await httpGet(addr(n), '/clock', { timeoutMs: 5000 })).body);

    /** Follows a one-step schedule; `probe` runs meanwhile with the plan's start on performance.now(). */
    const one = async (
      label: string,
      fault: FaultSpec,
      lengthMs: number,
      probe?: (planAt: number) => Promise<number>,
    ) => {
      const step: ScheduleStep = { id: 1, lane: 'bench', atMs: 300, healAtMs: 300 + lengthMs, fault };
      const schedule: Schedule = { nemesis: 'bench', nodes, timeLimitMs: 300 + lengthMs + 100, steps: [step] };
      const began = performance.now();
      const following = followSchedule(schedule, nemesis, { stop, nowMs: () => performance.now() - began });
      const onNode = probe ? await probe(began + 300) : Number.NaN;
      const [a] = await following;
      const f = fig(label, name);
      f.lag.push(a!.startedAtMs! - a!.plannedAtMs);
      f.inject.push(a!.tookEffectAtMs! - a!.startedAtMs!);
      f.heal.push(a!.healedAtMs! - a!.plannedHealAtMs);
      if (!Number.isNaN(onNode)) f.onNode.push(onNode);
      return a!;
    };
    /** Polls `read` until `ok` (or `limitMs`); ms after `from`. */
    const until = async (from: number, ok: () => Promise<boolean> | boolean, limitMs = 10_000): Promise<number> => {
      while (!(await ok()) && performance.now() - from < limitMs) await new Promise((r) => setTimeout(r, 1));
      return performance.now() - from;
    };

    for (let round = 0; round < rounds && !stop.aborted; round++) {
      what.set('kill', 'process gone');
      const pid = backend.pids().n1;
      await one('kill', { kind: 'kill', target: ['n1'] }, 1500, (at) => until(at, () => procGone(pid)));
      await one('pause', { kind: 'pause', target: ['n2'] }, 800);
      await one('partition isolate', { kind: 'partition', grudge: { n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] } }, 800);
      await one('partition one-way (mute n1)', { kind: 'partition', grudge: { n2: ['n1'], n3: ['n1'] } }, 800);
      if (name === 'local')
        await one('shape 50 ms ± 10', { kind: 'shape', target: ['n3'], delay: 50, jitter: 10 }, 800);
      await one('shape loss 20%', { kind: 'shape', target: ['n3'], loss: 0.2 }, 800);

      what.set('clock bump +5 s', 'node reads the offset');
      await one('clock bump +5 s', { kind: 'clock', target: ['n3'], offset: 5000 }, 1500, (at) =>
        until(at, async () => Math.abs((await offsetOf('n3')) - 5000) < 100),
      );
      await sleep(200);

      what.set('clock strobe 5 s / 200 ms', 'flip period the node reads');
      await one(
        'clock strobe 5 s / 200 ms',
        { kind: 'clock-strobe', target: ['n3'], offset: 5000, period: 200 },
        2500,
        async (at) => {
          await until(at, async () => Math.abs((await offsetOf('n3')) - 5000) < 100);
          const flips: number[] = [];
          let on = true;
          const end = at + 2400;
          while (performance.now() < end) {
            const high = Math.abs((await offsetOf('n3')) - 5000) < 1000;
            if (high !== on) {
              flips.push(performance.now());
              on = high;
            }
          }
          const gaps = flips.slice(1).map((t, i) => t - flips[i]!);
          return median(gaps);
        },
      );
      await sleep(200);

      what.set('clock drift 0.5 s/s', 'max stray from rate × time');
      await one(
        'clock drift 0.5 s/s',
        { kind: 'clock-drift', target: ['n2'], rate: 0.5, every: 100 },
        2000,
        async (at) => {
          await sleep(at + 200 - performance.now());
          let worst = 0;
          while (performance.now() < at + 1900) {
            const t = performance.now();
            const off = await offsetOf('n2');
            worst = Math.max(worst, Math.abs(off - (t - at) * 0.5));
            await sleep(50);
          }
          return worst;
        },
      );

      what.set('rolling restart (300 ms down)', 'per node: kill → ready');
      const from = recorder.ops.length;
      await one('rolling restart (300 ms down)', { kind: 'rolling-restart', target: nodes, downtime: 300 }, 30_000);
      const downs = recorder.ops
        .slice(from)
        .filter((o) => o.f === 'restart-node' && o.type === 'info')
        .map((o) => (o.value as { downMs: number }).downMs);
      fig('rolling restart (300 ms down)', name).onNode.push(median(downs));
    }
  } finally {
    await backend.down().catch(() => {});
    await cleanupLeftovers({ runId, force: true });
  }
};

const stopAll = new AbortController();
process.on('SIGINT', () => stopAll.abort());
for (const b of backends) await benchBackend(b, stopAll.signal);

const header = ['fault', ...backends.flatMap((b) => [`${b} lag`, 'inject', 'heal', 'on node']), 'on node means'];
const rows = [...figures.entries()].map(([kind, byBackend]) => [
  kind,
  ...backends.flatMap((b) => {
    const f = byBackend.get(b);
    return f
      ? [fmt(median(f.lag)), fmt(median(f.inject)), fmt(median(f.heal)), fmt(median(f.onNode))]
      : ['–', '–', '–', '–'];
  }),
  what.get(kind) ?? '',
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(
  `fault timing, 3 toy nodes, ${rounds} rounds, medians in ms — lag: plan → nemesis starts; inject: → in place; heal: planned heal → healed`,
);
console.log(line(header));
for (const r of rows) console.log(line(r));
