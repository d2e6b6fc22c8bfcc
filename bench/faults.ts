/**
 * How long each fault takes to be in effect after it is scheduled, on each
 * backend, measured on the nodes; and how long a 3- and a 5-node toy
 * cluster take to come up and go down.
 *
 * Every toy node sends each peer a heartbeat every millisecond and records
 * when each peer's heartbeats arrive (test/fixtures/toy-node.ts --beat).
 * A fault is scheduled at T0 (the backend call begins); it is in effect
 * when n2 stops hearing n1 (partition n2 ✕ n1, kill n1, pause n1: the last
 * arrival before the gap) or hears it again (heal, restart, resume: the
 * first arrival after T0). Heartbeats are datagrams where faults are
 * iptables rules (docker, local for direct-addressing systems) and a
 * streamed TCP request through the link proxies (local, per-pair systems:
 * only TCP passes a proxy; after a heal the sender reconnects, which is
 * part of the measured time). Restart counts until the new incarnation's
 * first heartbeat, so it includes the node's process start-up.
 *
 * Usage: npx tsx bench/faults.ts [--rounds 5] [--backends local,local-direct,docker]
 */
import { parseArgs } from 'node:util';
import { sleep } from '../src/base/time.ts';
import type { Backend } from '../src/cluster/backend.ts';
import { createDockerBackend } from '../src/cluster/docker/backend.ts';
import { engineUnavailable } from '../src/cluster/docker/engine.ts';
import { createLocalBackend } from '../src/cluster/local.ts';
import { localFirewallMissing } from '../src/cluster/local-firewall.ts';
import { cleanupLeftovers } from '../src/cluster/registry.ts';
import type { NodeAddress, System } from '../src/systems/system.ts';
import { createToySystem, httpGet } from '../test/fixtures/toy-system.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    backends: { type: 'string', default: 'local,local-direct,docker' },
  },
});
const rounds = Number(values.rounds);

interface Target {
  label: string;
  make: () => Backend;
  system: (beat: boolean) => System;
  unavailable: () => Promise<string | undefined>;
}

const all: Target[] = [
  {
    label: 'local (link proxies)',
    make: () => createLocalBackend({ stopGraceMs: 2000 }),
    system: (beat: boolean) => createToySystem(beat ? { beat: 'tcp' } : {}),
    unavailable: async () => undefined,
  },
  {
    label: 'local (iptables, direct)',
    make: () => createLocalBackend({ stopGraceMs: 2000 }),
    system: (beat: boolean) => createToySystem({ direct: true, ...(beat ? { beat: 'udp' as const } : {}) }),
    unavailable: async () => localFirewallMissing(),
  },
  {
    label: 'docker',
    make: () => createDockerBackend({ stopGraceMs: 2000 }),
    system: (beat: boolean) => createToySystem(beat ? { beat: 'udp' } : {}),
    unavailable: () => engineUnavailable(),
  },
];
const targets = all.filter((t) =>
  values.backends
    .split(',')
    .some((b) => t.label.startsWith(b === 'local-direct' ? 'local (iptables' : b === 'local' ? 'local (link' : b)),
);

const wallNow = () => performance.timeOrigin + performance.now();
let runs = 0;

const up = async (t: Target, nodes: number, beat: boolean) => {
  const backend = t.make();
  const runId = `bench-${process.pid}-${runs++}`;
  const ids = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  const t0 = performance.now();
  await backend.up(
    { runId, system: t.system(beat), nodes: ids, options: {}, workDir: '' },
    AbortSignal.timeout(180_000),
  );
  return { backend, runId, upMs: performance.now() - t0 };
};

/** Arrival times at `at` of heartbeats from `from`, since `since`. */
const beatsAt = async (at: NodeAddress, from: string, since: number): Promise<number[]> =>
  JSON.parse((await httpGet(at, `/beats/${from}?since=${since}`, { timeoutMs: 10_000 })).body) as number[];

/** A fault that stops n1's heartbeats reaching n2: in effect at the last arrival (never before T0). */
const stops = async (n2: NodeAddress, t0: number, settleMs = 700): Promise<number> => {
  await sleep(settleMs);
  const arrivals = await beatsAt(n2, 'n1', t0 - 2000);
  const before = arrivals.filter((a) => a <= wallNow() - settleMs / 2);
  const last = before.at(-1) ?? t0;
  return Math.max(0, last - t0);
};

/** A fault lifted: in effect at the first arrival after T0. */
const resumes = async (n2: NodeAddress, t0: number): Promise<number> => {
  for (let i = 0; i < 200; i++) {
    const first = (await beatsAt(n2, 'n1', t0))[0];
    if (first !== undefined) return first - t0;
    await sleep(25);
  }
  return Number.NaN;
};

interface Sample {
  [fault: string]: number[];
}

const measureFaults = async (t: Target): Promise<Sample> => {
  const { backend, runId } = await up(t, 3, true);
  const samples: Sample = {};
  const add = (k: string, v: number) => {
    samples[k] ??= [];
    samples[k].push(v);
  };
  try {
    const [, n2] = backend.addresses();
    await sleep(1000); // heartbeats flowing
    for (let r = 0; r < rounds; r++) {
      let t0 = wallNow();
      await backend.partition({ n2: ['n1'] });
      add('partition', await stops(n2!, t0));
      t0 = wallNow();
      await backend.heal();
      add('heal', await resumes(n2!, t0));
      t0 = wallNow();
      await backend.kill('n1');
      add('kill', await stops(n2!, t0));
      t0 = wallNow();
      await backend.start('n1', AbortSignal.timeout(120_000));
      add('restart', await resumes(n2!, t0));
      await sleep(300);
      t0 = wallNow();
      await backend.pause('n1');
      add('pause', await stops(n2!, t0));
      t0 = wallNow();
      await backend.resume('n1');
      add('resume', await resumes(n2!, t0));
      await sleep(300);
    }
  } finally {
    await backend.down().catch(() => {});
    await cleanupLeftovers({ runId, force: true });
  }
  return samples;
};

const measureLifecycle = async (t: Target): Promise<Sample> => {
  const samples: Sample = {};
  for (const n of [3, 5]) {
    for (let r = 0; r < Math.max(1, Math.ceil(rounds / 2)); r++) {
      const { backend, runId, upMs } = await up(t, n, false);
      const t0 = performance.now();
      await backend.down();
      const downMs = performance.now() - t0;
      await cleanupLeftovers({ runId, force: true });
      samples[`up ${n} nodes`] = [...(samples[`up ${n} nodes`] ?? []), upMs];
      samples[`down ${n} nodes`] = [...(samples[`down ${n} nodes`] ?? []), downMs];
    }
  }
  return samples;
};

const median = (xs: number[]) => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const cell = (xs: number[] | undefined) => {
  if (!xs || xs.length === 0) return '-';
  const ok = xs.filter(Number.isFinite);
  return `${median(ok).toFixed(0)} (${Math.min(...ok).toFixed(0)}–${Math.max(...ok).toFixed(0)})`;
};

const results = new Map<string, Sample>();
for (const t of targets) {
  const why = await t.unavailable();
  if (why) {
    console.log(`skipping ${t.label}: ${why}`);
    continue;
  }
  console.log(`measuring ${t.label} ...`);
  results.set(t.label, { ...(await measureFaults(t)), ...(await measureLifecycle(t)) });
}

const rows = [
  'partition',
  'heal',
  'kill',
  'restart',
  'pause',
  'resume',
  'up 3 nodes',
  'down 3 nodes',
  'up 5 nodes',
  'down 5 nodes',
];
const cols = [...results.keys()];
const width = 26;
console.log(`\nms until in effect after scheduled, median (min–max) of ${rounds} rounds; up/down of toy clusters\n`);
console.log(['fault'.padEnd(14), ...cols.map((c) => c.padEnd(width))].join(''));
for (const row of rows) {
  console.log([row.padEnd(14), ...cols.map((c) => cell(results.get(c)?.[row]).padEnd(width))].join(''));
}
