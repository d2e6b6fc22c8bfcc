import { expect, onTestFinished } from 'vitest';
import type { Backend, ClusterSpec, Grudge } from '../../src/cluster/backend.ts';
import { createDockerBackend, type DockerBackend } from '../../src/cluster/docker/backend.ts';
import { createLocalBackend, type LocalBackend } from '../../src/cluster/local.ts';
import { cleanupLeftovers } from '../../src/cluster/registry.ts';
import type { NodeAddress, System } from '../../src/systems/system.ts';
import { canReach, datagramArrives } from '../fixtures/toy-system.ts';
import { newRunId } from './helpers.ts';

/**
 * Measuring a cluster's links from the nodes themselves, with the toy
 * node: a datagram from A to B shows one direction (what a grudge states:
 * B drops traffic from A); a TCP request from A to B needs both.
 */

export type Matrix = Record<string, boolean>;
const key = (from: string, to: string) => `${from}->${to}`;

/** What a grudge leaves open: datagrams from A reach B unless B drops A; TCP needs both ways. */
export const expectedLinks = (grudge: Grudge, nodes: readonly string[]): { datagrams: Matrix; tcp: Matrix } => {
  const open = (from: string, to: string) => !(grudge[to] ?? []).includes(from);
  const datagrams: Matrix = {};
  const tcp: Matrix = {};
  for (const a of nodes) {
    for (const b of nodes) {
      if (a === b) continue;
      datagrams[key(a, b)] = open(a, b);
      tcp[key(a, b)] = open(a, b) && open(b, a);
    }
  }
  return { datagrams, tcp };
};

/** Measures every ordered pair at once (a cut pair costs its wait; an open one answers at once). */
export const measureLinks = async (nodes: readonly NodeAddress[]): Promise<{ datagrams: Matrix; tcp: Matrix }> => {
  const pairs = nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b) => [a, b] as const));
  const datagrams: Matrix = {};
  const tcp: Matrix = {};
  await Promise.all(
    pairs.map(async ([a, b]) => {
      // Long enough that a loaded machine cannot fake a cut; a cut pair simply waits it out.
      datagrams[key(a.id, b.id)] = await datagramArrives(a, b, 1500);
      tcp[key(a.id, b.id)] = await canReach(a, b.id, 1500);
    }),
  );
  return { datagrams, tcp };
};

/** Asserts that the measured links are exactly what the grudge says. */
export const expectLinks = async (nodes: readonly NodeAddress[], grudge: Grudge, label: string): Promise<void> => {
  const measured = await measureLinks(nodes);
  const expected = expectedLinks(
    grudge,
    nodes.map((n) => n.id),
  );
  expect(measured.datagrams, `${label}: datagrams`).toEqual(expected.datagrams);
  expect(measured.tcp, `${label}: tcp`).toEqual(expected.tcp);
};

export interface Up<B extends Backend> {
  backend: B;
  runId: string;
}

const specFor = (system: System, nodes: string[], extra: Partial<ClusterSpec>): ClusterSpec => ({
  runId: newRunId(),
  system,
  nodes,
  options: {},
  workDir: '',
  ...extra,
});

/** A docker backend with this cluster up; down and cleaned up by run id when the test ends. */
export const upDocker = async (
  system: System,
  nodes: string[] = ['n1', 'n2', 'n3'],
  extra: Partial<ClusterSpec> & { subnet?: string } = {},
): Promise<Up<DockerBackend>> => {
  const { subnet, ...rest } = extra;
  const spec = specFor(system, nodes, rest);
  const backend = createDockerBackend({ stopGraceMs: 2000, ...(subnet ? { subnet } : {}) });
  onTestFinished(async () => {
    await backend.down().catch(() => {});
    await cleanupLeftovers({ runId: spec.runId, force: true });
  });
  await backend.up(spec, AbortSignal.timeout(120_000));
  return { backend, runId: spec.runId };
};

/** A local backend with this cluster up; down and cleaned up by run id when the test ends. */
export const upLocal = async (
  system: System,
  nodes: string[] = ['n1', 'n2', 'n3'],
  extra: Partial<ClusterSpec> = {},
): Promise<Up<LocalBackend>> => {
  const spec = specFor(system, nodes, extra);
  const backend = createLocalBackend({ stopGraceMs: 1000 });
  onTestFinished(async () => {
    await backend.down().catch(() => {});
    await cleanupLeftovers({ runId: spec.runId, force: true });
  });
  await backend.up(spec, AbortSignal.timeout(60_000));
  return { backend, runId: spec.runId };
};
