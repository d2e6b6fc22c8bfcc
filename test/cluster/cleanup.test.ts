import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { FaultlineError } from '../../src/base/errors.ts';
import { packagePath, tsNodeArgs } from '../../src/base/ts-node.ts';
import {
  cleanupLeftovers,
  findLeftovers,
  makeRunTempDir,
  RUN_ID_ENV,
  selectRemovable,
} from '../../src/cluster/cleanup.ts';
import { isAlive, newRunId, upToyCluster } from './helpers.ts';

describe('run temp dirs', () => {
  test('makeRunTempDir names the dir after the run and marks it; cleanup by run id removes it', async () => {
    const runId = newRunId();
    onTestFinished(() => cleanupLeftovers(runId).then(() => {}));
    const dir = await makeRunTempDir(runId, 'data dir');
    expect(path.dirname(dir)).toBe(os.tmpdir());
    expect(path.basename(dir)).toMatch(new RegExp(`^faultline-${runId}-data_dir-`));
    const marker = JSON.parse(await readFile(path.join(dir, '.faultline-run.json'), 'utf8'));
    expect(marker.runId).toBe(runId);
    expect(marker.controller).toMatch(new RegExp(`^${process.pid}:\\d+$`));

    const found = await findLeftovers(runId);
    expect(found.dirs).toEqual([{ path: dir, runId, controllerAlive: true }]);
    const removed = await cleanupLeftovers(runId);
    expect(removed.dirs.map((d) => d.path)).toEqual([dir]);
    expect(existsSync(dir)).toBe(false);
  });

  test('a run id that is unsafe in a path is refused', async () => {
    await expect(makeRunTempDir('../etc', 'x')).rejects.toBeInstanceOf(FaultlineError);
    await expect(findLeftovers('a b')).rejects.toThrow(/run id "a b"/);
  });

  test('without a run id only orphans are selected: a live controller keeps its run', () => {
    const found = {
      processes: [
        { pid: 10, runId: 'a', command: 'x', controllerAlive: true },
        { pid: 11, runId: 'b', command: 'y', controllerAlive: false },
      ],
      dirs: [
        { path: '/tmp/faultline-a-x', runId: 'a', controllerAlive: true },
        { path: '/tmp/faultline-b-x', runId: 'b', controllerAlive: false },
      ],
    };
    expect(selectRemovable(found, undefined)).toEqual({
      processes: [found.processes[1]],
      dirs: [found.dirs[1]],
    });
    // Naming the run removes it even while its controller lives (the user asked for it).
    expect(selectRemovable(found, 'a')).toEqual(found);
  });
});

describe('leftover processes', () => {
  test('a live run is found with its controller alive, and nothing of ours is marked', async () => {
    const { backend, runId } = await upToyCluster({ nodes: ['n1'] });
    const found = await findLeftovers(runId);
    expect(found.processes.map((p) => p.pid)).toContain(backend.pids().n1);
    expect(found.processes.every((p) => p.controllerAlive && p.runId === runId)).toBe(true);
    expect(found.processes.find((p) => p.pid === backend.pids().n1)?.command).toContain('toy-node.ts');
    expect(process.env[RUN_ID_ENV]).toBeUndefined();
  });

  test('cleanup removes the nodes and temp dir of a controller that was SIGKILLed', async () => {
    const runId = newRunId();
    onTestFinished(() => cleanupLeftovers(runId).then(() => {}));
    const controller = spawn(process.execPath, [...tsNodeArgs(packagePath('test/fixtures/toy-controller.ts')), runId], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
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
    const { pids, runDir } = JSON.parse(line) as { pids: Record<string, number>; runDir: string };
    const nodePids = Object.values(pids);
    expect(nodePids).toHaveLength(3);

    controller.kill('SIGKILL');
    await exited;
    // The nodes outlive their controller: that is the problem cleanup solves.
    for (const pid of nodePids) expect(isAlive(pid)).toBe(true);
    const found = await findLeftovers(runId);
    expect(found.processes.map((p) => p.pid)).toEqual(expect.arrayContaining(nodePids));
    expect(found.processes.every((p) => !p.controllerAlive)).toBe(true);
    expect(found.dirs).toEqual([{ path: runDir, runId, controllerAlive: false }]);

    const removed = await cleanupLeftovers(runId);
    expect(removed.processes.map((p) => p.pid)).toEqual(expect.arrayContaining(nodePids));
    expect(removed.dirs.map((d) => d.path)).toEqual([runDir]);
    for (const pid of nodePids) expect(isAlive(pid)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
    expect(await findLeftovers(runId)).toEqual({ processes: [], dirs: [] });
  });
});
