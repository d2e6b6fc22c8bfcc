import { readFileSync } from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { createLocalBackend, type LocalBackend } from '../../../src/cluster/local.ts';
import { cleanupLeftovers } from '../../../src/cluster/registry.ts';
import { adminQuery } from '../../../src/systems/postgres/connection.ts';
import { pgBinDir, postgresSystem } from '../../../src/systems/postgres/system.ts';
import type { NodeAddress, NodeId, OperatorContext } from '../../../src/systems/system.ts';
import { newRunId } from '../../cluster/helpers.ts';
import { binaryMissing } from '../../support/environment.ts';

/** Why these suites cannot run here (no PostgreSQL server binaries), or undefined. */
export const postgresMissing = (): string | undefined => binaryMissing(path.join(pgBinDir(), 'postgres'), 'postgresql');

export interface PgCluster {
  backend: LocalBackend;
  runId: string;
  node(id: NodeId): NodeAddress;
  /** Runs SQL on a node as the superuser; rows back. */
  sql<R extends Record<string, unknown> = Record<string, unknown>>(
    id: NodeId,
    text: string,
    params?: unknown[],
  ): Promise<R[]>;
}

/** A PostgreSQL cluster on the local backend; `stop` brings it down and cleans up by run id. */
export const startPostgres = async (
  options: Record<string, unknown>,
  nodes: readonly NodeId[] = ['n1', 'n2', 'n3'],
): Promise<PgCluster & { stop(): Promise<void> }> => {
  const runId = newRunId();
  const backend = createLocalBackend({ stopGraceMs: 5000, startTimeoutMs: 60_000 });
  const stop = async () => {
    await backend.down().catch(() => {});
    await cleanupLeftovers({ runId, force: true });
  };
  // The faults these tests use: no clock, so libfaketime is not preloaded.
  const faults = ['kill', 'pause', 'partition'] as const;
  try {
    await backend.up(
      { runId, system: postgresSystem, nodes, options, workDir: '', faults },
      AbortSignal.timeout(120_000),
    );
  } catch (e) {
    await stop();
    throw e;
  }
  const node = (id: NodeId) => {
    const a = backend.addresses().find((x) => x.id === id);
    if (!a) throw new Error(`no node ${id}`);
    return a;
  };
  return {
    backend,
    runId,
    node,
    sql: (id, text, params = []) =>
      adminQuery(node(id), text, params, { signal: AbortSignal.timeout(10_000), timeoutMs: 10_000 }),
    stop,
  };
};

/** A PostgreSQL cluster on the local backend, brought down (and cleaned up by run id) when the test ends. */
export const upPostgres = async (
  options: Record<string, unknown>,
  nodes: readonly NodeId[] = ['n1', 'n2', 'n3'],
): Promise<PgCluster> => {
  const cluster = await startPostgres(options, nodes);
  onTestFinished(cluster.stop);
  return cluster;
};

/** An operator context on a live cluster, collecting the steps it records. */
export const operatorFor = (
  cluster: PgCluster,
  lost: readonly NodeId[],
): { ctx: OperatorContext; steps: { f: string; value: Record<string, unknown> }[] } => {
  const steps: { f: string; value: Record<string, unknown> }[] = [];
  const ids = cluster.backend.addresses().map((a) => a.id);
  return {
    steps,
    ctx: {
      nodes: cluster.backend.addresses(),
      lost,
      running: () => ids.filter((n) => cluster.backend.isRunning(n)),
      fence: (n) => cluster.backend.kill(n),
      step: (f, value) => steps.push({ f, value }),
      signal: AbortSignal.timeout(60_000),
    },
  };
};

/** Waits until `check` holds, polling; throws with `what` after `timeoutMs`. */
export const eventually = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** The uid a process runs as. */
export const uidOf = (pid: number): number =>
  Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? -1);
