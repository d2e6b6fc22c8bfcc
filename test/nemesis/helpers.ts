import { randomUUID } from 'node:crypto';
import { expect, onTestFinished } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import { createClock, sleep } from '../../src/base/time.ts';
import type { Backend, FaultKind, Grudge } from '../../src/cluster/backend.ts';
import { createDockerBackend } from '../../src/cluster/docker/backend.ts';
import { createLocalBackend, type LocalBackend } from '../../src/cluster/local.ts';
import { cleanupLeftovers } from '../../src/cluster/registry.ts';
import { createRecorder, type Recorder } from '../../src/history/recorder.ts';
import { createNemesis, type Nemesis } from '../../src/nemesis/index.ts';
import { iptablesMissing } from '../../src/net/iptables.ts';
import type { NodeId } from '../../src/systems/system.ts';
import { createToySystem, httpGet } from '../fixtures/toy-system.ts';
import { dockerMissing } from '../support/environment.ts';

/**
 * Toy clusters with a nemesis over them, on each backend, and a measure of
 * who hears whom taken on the nodes themselves:
 *
 * - `local`: the per-pair link proxies. The toy nodes gossip heartbeats on
 *   held-open TCP streams: a proxy relays each direction on its own, so a
 *   one-way cut stops exactly one direction.
 * - `local-direct` (as root: per-node loopback addresses and iptables) and
 *   `docker` (iptables in each container's namespace): a one-way DROP of
 *   TCP stalls both directions (the ACKs are lost), so hearing is measured
 *   with UDP datagrams, which need no answer.
 */
export type BackendKind = 'local' | 'local-direct' | 'docker';

/** Heartbeat period of the toy nodes' gossip (toy-node.ts --gossip-ms). */
export const GOSSIP_MS = 50;

/** Why a backend cannot run here; undefined when it can. */
export const backendMissing = (kind: BackendKind): string | undefined =>
  kind === 'docker' ? dockerMissing() : kind === 'local-direct' ? iptablesMissing() : undefined;

export interface ToyCluster {
  kind: BackendKind;
  backend: Backend;
  nemesis: Nemesis;
  recorder: Recorder;
  nodes: NodeId[];
}

/** A toy cluster on a backend, down (and cleaned up by run id) when the test ends. */
export const toyCluster = async (
  kind: BackendKind,
  nodes: NodeId[],
  options: { clock?: boolean; faults?: FaultKind[] } = {},
): Promise<ToyCluster> => {
  const gossip = kind === 'local' ? Object.fromEntries(nodes.map((n) => [n, ['--gossip-ms', String(GOSSIP_MS)]])) : {};
  const system = createToySystem({
    flags: gossip,
    ...(kind === 'local-direct' ? { direct: true } : {}),
    ...(options.clock === false ? { clock: false } : {}),
  });
  const runId = `test-${randomUUID().slice(0, 8)}`;
  const backend =
    kind === 'docker' ? createDockerBackend({ stopGraceMs: 1000 }) : createLocalBackend({ stopGraceMs: 1000 });
  onTestFinished(async () => {
    await backend.down().catch(() => {});
    await cleanupLeftovers({ runId, force: true });
  });
  await backend.up(
    { runId, system, nodes, options: {}, workDir: '', ...(options.faults ? { faults: options.faults } : {}) },
    AbortSignal.timeout(kind === 'docker' ? 180_000 : 60_000),
  );
  const recorder = createRecorder({ clock: createClock() });
  const nemesis = createNemesis(
    { backend, system, nodes, rng: createRandom(1), signal: new AbortController().signal },
    recorder,
  );
  return { kind, backend, nemesis, recorder, nodes };
};

/** A toy cluster whose nodes gossip, on the local backend's link proxies. */
export const gossipCluster = async (nodes: NodeId[]): Promise<ToyCluster & { backend: LocalBackend }> => {
  const c = await toyCluster('local', nodes);
  return { ...c, backend: c.backend as LocalBackend };
};

const addressOf = (backend: Backend, node: NodeId) => backend.addresses().find((x) => x.id === node)!;

const heardCounts = async (backend: Backend, node: NodeId): Promise<Record<NodeId, number>> => {
  const { body } = await httpGet(addressOf(backend, node), '/heard', { timeoutMs: 5000 });
  return JSON.parse(body) as Record<NodeId, number>;
};

/** Gossip: heartbeat counts twice, `windowMs` apart (after `settleMs` for in-flight bytes and reconnections). */
const gossipHearing = async (backend: Backend, nodes: readonly NodeId[]): Promise<Set<string>> => {
  await sleep(400);
  const running = nodes.filter((n) => backend.isRunning(n));
  const before = Object.fromEntries(await Promise.all(running.map(async (n) => [n, await heardCounts(backend, n)])));
  await sleep(900);
  const after = Object.fromEntries(await Promise.all(running.map(async (n) => [n, await heardCounts(backend, n)])));
  const heard = new Set<string>();
  for (const a of running) {
    for (const b of nodes) {
      // At least a few beats: one stray in-flight chunk is not hearing.
      if (a !== b && (after[a]![b] ?? 0) - (before[a]![b] ?? 0) >= 3) heard.add(`${a}<${b}`);
    }
  }
  return heard;
};

/** UDP: every running node sends a fresh nonce to every other; who saw whose. */
const udpHearing = async (backend: Backend, nodes: readonly NodeId[]): Promise<Set<string>> => {
  const running = nodes.filter((n) => backend.isRunning(n));
  const pairs = running.flatMap((a) => running.filter((b) => b !== a).map((b) => [a, b] as const));
  const round = randomUUID().slice(0, 8);
  await Promise.all(
    pairs.map(([a, b]) =>
      httpGet(addressOf(backend, b), `/udp/${a}?nonce=${round}-${b}-${a}`, { method: 'POST', timeoutMs: 5000 }),
    ),
  );
  const seen = await Promise.all(
    pairs.map(async ([a, b]) => {
      const { body } = await httpGet(addressOf(backend, a), `/udp-seen?nonce=${round}-${b}-${a}&waitMs=1500`, {
        timeoutMs: 5000,
      });
      return body === '1' ? [`${a}<${b}`] : [];
    }),
  );
  return new Set(seen.flat());
};

/** Who hears whom right now, measured on the nodes: "a<b" means a received b's traffic. */
export const measureHearing = (c: Pick<ToyCluster, 'kind' | 'backend' | 'nodes'>): Promise<Set<string>> =>
  c.kind === 'local' ? gossipHearing(c.backend, c.nodes) : udpHearing(c.backend, c.nodes);

/** Who should hear whom under a grudge: a hears b unless a drops b's traffic (or either is down). */
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

/**
 * Measures until the hearing matches (a node just restarted needs a moment
 * to reconnect), then asserts it. Hearing more than expected fails at once:
 * a cut that lets something through is never a matter of waiting.
 */
export const expectHearing = async (
  c: Pick<ToyCluster, 'kind' | 'backend' | 'nodes'>,
  expected: Set<string>,
  attempts = 4,
): Promise<void> => {
  let measured = new Set<string>();
  for (let i = 0; i < attempts; i++) {
    measured = await measureHearing(c);
    if ([...measured].some((p) => !expected.has(p))) break;
    if (measured.size === expected.size) break;
  }
  expect([...measured].sort()).toEqual([...expected].sort());
};

/** The clock offsets a toy node was set to through its own control (POST /clock), in order. */
export const clockLog = async (backend: Backend, node: NodeId): Promise<{ atMs: number; offsetMs: number }[]> => {
  const { body } = await httpGet(addressOf(backend, node), '/clock/log', { timeoutMs: 5000 });
  return JSON.parse(body) as { atMs: number; offsetMs: number }[];
};

export const clockNow = async (backend: Backend, node: NodeId): Promise<number> =>
  Number((await httpGet(addressOf(backend, node), '/clock', { timeoutMs: 5000 })).body);
