import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, onTestFinished } from 'vitest';
import { FaultlineError } from '../../src/base/errors.ts';
import { packagePath, tsNodeArgs } from '../../src/base/ts-node.ts';
import type { FaultKind } from '../../src/cluster/backend.ts';
import type { Leftover } from '../../src/cluster/leftovers.ts';
import { createLocalBackend, type LocalBackend, type LocalBackendOptions } from '../../src/cluster/local.ts';
import { cleanupLeftovers } from '../../src/cluster/registry.ts';
import type { System } from '../../src/systems/system.ts';
import { createToySystem } from '../fixtures/toy-system.ts';

export const newRunId = (): string => `test-${randomUUID().slice(0, 8)}`;

/** The pids among leftovers. */
export const pidsOf = (found: readonly Leftover[]): number[] =>
  found.filter((l) => l.kind === 'process').map((l) => Number(l.id));

/** Whether a pid is a live process (a zombie counts as gone). */
export const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

/** The state letter of a process: R, S, T (stopped), Z... */
export const procState = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
};

export interface UpOptions {
  nodes?: string[];
  system?: System;
  backend?: LocalBackendOptions;
  workDir?: string;
  faults?: FaultKind[];
}

/** A local backend with a toy cluster up; down (and a cleanup by run id) when the test ends. */
export const upToyCluster = async (o: UpOptions = {}): Promise<{ backend: LocalBackend; runId: string }> => {
  const runId = newRunId();
  const backend = createLocalBackend({ stopGraceMs: 1000, ...o.backend });
  onTestFinished(async () => {
    await backend.down().catch(() => {});
    await cleanupLeftovers({ runId: runId, force: true });
  });
  await backend.up(
    {
      runId,
      system: o.system ?? createToySystem(),
      nodes: o.nodes ?? ['n1', 'n2', 'n3'],
      options: {},
      workDir: o.workDir ?? '',
      ...(o.faults ? { faults: o.faults } : {}),
    },
    AbortSignal.timeout(30_000),
  );
  return { backend, runId };
};

export const addressOf = (backend: LocalBackend, id: string) => {
  const a = backend.addresses().find((x) => x.id === id);
  if (!a) throw new Error(`no node ${id}`);
  return a;
};

/** Awaits a promise that must reject with a FaultlineError of this code; returns the error. */
export const expectFaultline = async (p: Promise<unknown>, code: string): Promise<FaultlineError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FaultlineError);
  expect((e as FaultlineError).code).toBe(code);
  return e as FaultlineError;
};

export interface ControllerReport {
  pids: Record<string, number | undefined>;
  runDir: string;
  containers?: Record<string, string>;
  network?: string;
}

/** Starts the toy controller, waits for its report, then SIGKILLs it (unless it exits by itself). */
export const runAndKillController = async (runId: string, args: string[] = []): Promise<ControllerReport> => {
  const controller: ChildProcess = spawn(
    process.execPath,
    [...tsNodeArgs(packagePath('test/fixtures/toy-controller.ts')), runId, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  onTestFinished(() => {
    controller.kill('SIGKILL');
  });
  const exited = new Promise<void>((resolve) => controller.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    controller.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    controller.once('exit', (code) => reject(new Error(`controller exited early (${code})`)));
  });
  // With --exit the controller exits by itself: a SIGKILL could land before its exit handler starts the reaper.
  if (!args.includes('--exit')) controller.kill('SIGKILL');
  await exited;
  return JSON.parse(line) as ControllerReport;
};
