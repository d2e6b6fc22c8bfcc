import { expect } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import { createClock, sleep } from '../../src/base/time.ts';
import type { Backend, Grudge } from '../../src/cluster/backend.ts';
import type { LocalBackend } from '../../src/cluster/local.ts';
import { createRecorder, type Recorder } from '../../src/history/recorder.ts';
import { createNemesis, type Nemesis } from '../../src/nemesis/index.ts';
import type { NodeId } from '../../src/systems/system.ts';
import { upToyCluster } from '../cluster/helpers.ts';
import { createToySystem, httpGet } from '../fixtures/toy-system.ts';

/** Heartbeat period of the toy nodes' gossip (toy-node.ts --gossip-ms). */
export const GOSSIP_MS = 50;

/** A toy cluster whose nodes gossip, with a nemesis over it recording into memory. */
export const gossipCluster = async (
  nodes: NodeId[],
): Promise<{ backend: LocalBackend; nemesis: Nemesis; recorder: Recorder; nodes: NodeId[] }> => {
  const flags = Object.fromEntries(nodes.map((n) => [n, ['--gossip-ms', String(GOSSIP_MS)]]));
  const system = createToySystem({ flags });
  const { backend } = await upToyCluster({ nodes, system });
  const recorder = createRecorder({ clock: createClock() });
  const nemesis = createNemesis(
    { backend, system, nodes, rng: createRandom(1), signal: new AbortController().signal },
    recorder,
  );
  return { backend, nemesis, recorder, nodes };
};

const heardCounts = async (backend: Backend, node: NodeId): Promise<Record<NodeId, number>> => {
  const a = backend.addresses().find((x) => x.id === node)!;
  const { body } = await httpGet(a, '/heard', { timeoutMs: 5000 });
  return JSON.parse(body) as Record<NodeId, number>;
};

/**
 * Who hears whom right now, measured on the nodes: each running node's
 * heartbeat counts per peer, twice, `windowMs` apart (after `settleMs` for
 * in-flight bytes and reconnections). "a<b" means a heard b's heartbeats
 * in the window. A cut link delivers nothing (the proxy drops, never
 * buffers), so waiting longer cannot make a cut look open.
 */
export const measureHearing = async (
  backend: Backend,
  nodes: readonly NodeId[],
  options: { settleMs?: number; windowMs?: number } = {},
): Promise<Set<string>> => {
  await sleep(options.settleMs ?? 600);
  const running = nodes.filter((n) => backend.isRunning(n));
  const before = Object.fromEntries(await Promise.all(running.map(async (n) => [n, await heardCounts(backend, n)])));
  await sleep(options.windowMs ?? 1200);
  const after = Object.fromEntries(await Promise.all(running.map(async (n) => [n, await heardCounts(backend, n)])));
  const heard = new Set<string>();
  for (const a of running) {
    for (const b of nodes) {
      if (a === b) continue;
      // At least a few beats: one stray in-flight chunk is not hearing.
      if ((after[a]![b] ?? 0) - (before[a]![b] ?? 0) >= 3) heard.add(`${a}<${b}`);
    }
  }
  return heard;
};

/** Who should hear whom under a grudge (every node running): a hears b unless a drops b's traffic. */
export const expectedHearing = (
  grudge: Grudge,
  nodes: readonly NodeId[],
  down: readonly NodeId[] = [],
): Set<string> => {
  const heard = new Set<string>();
  for (const a of nodes) {
    for (const b of nodes) {
      if (a === b || down.includes(a) || down.includes(b)) continue;
      if (!(grudge[a] ?? []).includes(b)) heard.add(`${a}<${b}`);
    }
  }
  return heard;
};

/** Measures until the hearing matches (a node just restarted needs a moment to reconnect), then asserts it. */
export const expectHearing = async (
  backend: Backend,
  nodes: readonly NodeId[],
  expected: Set<string>,
  attempts = 4,
): Promise<void> => {
  let measured = new Set<string>();
  for (let i = 0; i < attempts; i++) {
    measured = await measureHearing(backend, nodes);
    // A cut that lets something through fails at once: extra hearing is never a matter of waiting.
    const extra = [...measured].filter((p) => !expected.has(p));
    if (extra.length > 0) break;
    if (measured.size === expected.size) break;
  }
  expect([...measured].sort()).toEqual([...expected].sort());
};

/** The clock offsets a toy node was set to, in order. */
export const clockLog = async (backend: Backend, node: NodeId): Promise<{ atMs: number; offsetMs: number }[]> => {
  const a = backend.addresses().find((x) => x.id === node)!;
  const { body } = await httpGet(a, '/clock/log', { timeoutMs: 5000 });
  return JSON.parse(body) as { atMs: number; offsetMs: number }[];
};

export const clockNow = async (backend: Backend, node: NodeId): Promise<number> => {
  const a = backend.addresses().find((x) => x.id === node)!;
  return Number((await httpGet(a, '/clock', { timeoutMs: 5000 })).body);
};
