import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { FaultlineError } from '../../src/base/errors.ts';
import { type Leftover, selectRemovable } from '../../src/cluster/leftovers.ts';
import { makeRunTempDir, RUN_ID_ENV, runMarkerEnv, runToken } from '../../src/cluster/markers.ts';
import { cleanupLeftovers, findLeftovers } from '../../src/cluster/registry.ts';
import { isAlive, newRunId, pidsOf, runAndKillController, upToyCluster } from './helpers.ts';

const leftover = (runId: string, kind: string, controllerAlive: boolean): Leftover => ({
  kind,
  id: `${runId}-${kind}`,
  runId,
  description: kind,
  controllerAlive,
});

describe('run temp dirs', () => {
  test('makeRunTempDir names the dir after the run and marks it with its token; cleanup by run id removes it', async () => {
    const runId = newRunId();
    onTestFinished(() => cleanupLeftovers({ runId, force: true }).then(() => {}));
    const dir = await makeRunTempDir(runId, 'data dir');
    expect(path.dirname(dir)).toBe(os.tmpdir());
    expect(path.basename(dir)).toMatch(new RegExp(`^faultline-${runId}-data_dir-`));
    const marker = JSON.parse(await readFile(path.join(dir, '.faultline-run.json'), 'utf8'));
    expect(marker.runId).toBe(runId);
    expect(marker.controller).toMatch(new RegExp(`^${process.pid}:\\d+$`));
    expect(marker.token).toBe(runToken(runId));

    expect(await findLeftovers(runId)).toEqual([
      { kind: 'temp dir', id: dir, runId, description: dir, controllerAlive: true },
    ]);
    // Its controller (this process) lives: without --force the run is spared.
    const spared = await cleanupLeftovers({ runId });
    expect(spared.removed).toEqual([]);
    expect(spared.spared.map((l) => l.id)).toEqual([dir]);
    expect(existsSync(dir)).toBe(true);
    const { removed } = await cleanupLeftovers({ runId, force: true });
    expect(removed.map((d) => d.id)).toEqual([dir]);
    expect(existsSync(dir)).toBe(false);
  });

  test('a run id that is unsafe in a path is refused', async () => {
    await expect(makeRunTempDir('../etc', 'x')).rejects.toBeInstanceOf(FaultlineError);
    await expect(findLeftovers('a b')).rejects.toThrow(/run id "a b"/);
  });

  test('tokens differ per run and cannot be guessed from the run id', () => {
    expect(runToken('r1')).toMatch(/^[0-9a-f]{32}$/);
    expect(runToken('r1')).toBe(runToken('r1'));
    expect(runToken('r1')).not.toBe(runToken('r2'));
  });
});

describe('selectRemovable', () => {
  const found = [
    leftover('a', 'process', true),
    leftover('b', 'process', false),
    leftover('a', 'temp dir', true),
    leftover('b', 'temp dir', false),
  ];
  test('without a run id only orphans are selected: a live controller keeps its run', () => {
    expect(selectRemovable(found, undefined)).toEqual([found[1], found[3]]);
  });
  test('naming a live run selects nothing unless forced; naming a dead one selects all of it and nothing else', () => {
    expect(selectRemovable(found, 'a')).toEqual([]);
    expect(selectRemovable(found, 'a', true)).toEqual([found[0], found[2]]);
    expect(selectRemovable(found, 'b')).toEqual([found[1], found[3]]);
  });
});

describe('leftover processes', () => {
  test('a live run is found with its controller alive, and nothing of ours is marked', async () => {
    const { backend, runId } = await upToyCluster({ nodes: ['n1'] });
    const found = (await findLeftovers(runId)).filter((l) => l.kind === 'process');
    expect(pidsOf(found)).toContain(backend.pids().n1);
    expect(found.every((p) => p.controllerAlive && p.runId === runId)).toBe(true);
    expect(found.find((p) => Number(p.id) === backend.pids().n1)?.description).toContain('toy-node.ts');
    expect(process.env[RUN_ID_ENV]).toBeUndefined();
    // --dry-run and the real cleanup agree: a live run is spared by both.
    // (Scoped to this run: a bare cleanup would sweep orphans that parallel tests are still inspecting.)
    const dry = await cleanupLeftovers({ runId, dryRun: true });
    expect(dry.removed).toEqual([]);
    expect((await cleanupLeftovers({ runId })).removed).toEqual([]);
    expect(isAlive(backend.pids().n1!)).toBe(true);
  });

  test("a process that merely sets FAULTLINE_RUN_ID, or carries another run's token, is not faultline's", async () => {
    const runId = newRunId();
    const env = await runMarkerEnv(runId);
    const impostors = [
      spawn('sleep', ['30'], { env: { ...process.env, [RUN_ID_ENV]: runId } }),
      spawn('sleep', ['30'], { env: { ...process.env, ...env, FAULTLINE_RUN_TOKEN: runToken('another-run') } }),
      spawn('sleep', ['30'], { env: { ...process.env, ...env, FAULTLINE_CONTROLLER: '1:0' } }),
    ];
    onTestFinished(() => {
      for (const p of impostors) p.kill('SIGKILL');
    });
    await new Promise((r) => setTimeout(r, 200));
    const found = await findLeftovers(runId);
    // Only the third carries the real token; its "controller" is not alive, so it is an orphan.
    expect(pidsOf(found)).toEqual([impostors[2]!.pid]);
    const { removed } = await cleanupLeftovers({ runId });
    expect(pidsOf(removed)).toContain(impostors[2]!.pid);
    expect(pidsOf(removed)).not.toContain(impostors[0]!.pid);
    expect(pidsOf(removed)).not.toContain(impostors[1]!.pid);
    expect(isAlive(impostors[0]!.pid!)).toBe(true);
    expect(isAlive(impostors[1]!.pid!)).toBe(true);
  });

  test('cleanup removes the nodes and temp dir of a controller that was SIGKILLed', async () => {
    const runId = newRunId();
    onTestFinished(() => cleanupLeftovers({ runId, force: true }).then(() => {}));
    // SIGKILLed once it has reported its nodes.
    const { pids, runDir } = await runAndKillController(runId);
    const nodePids = Object.values(pids).filter((p) => p !== undefined);
    expect(nodePids).toHaveLength(3);

    // The nodes outlive their controller: that is the problem cleanup solves.
    for (const pid of nodePids) expect(isAlive(pid)).toBe(true);
    const found = await findLeftovers(runId);
    expect(pidsOf(found)).toEqual(expect.arrayContaining(nodePids));
    expect(found.every((p) => !p.controllerAlive)).toBe(true);
    expect(found.filter((l) => l.kind === 'temp dir').map((l) => l.id)).toEqual([runDir]);

    // A dead controller's run goes without --force, and dry-run names the same things.
    const dry = await cleanupLeftovers({ runId, dryRun: true });
    const { removed } = await cleanupLeftovers({ runId });
    // (Compared by the nodes and dirs: a helper process of a node, such as tsx's compiler, may come and go.)
    expect(pidsOf(dry.removed)).toEqual(expect.arrayContaining(nodePids));
    expect(removed.filter((l) => l.kind === 'temp dir')).toEqual(dry.removed.filter((l) => l.kind === 'temp dir'));
    expect(pidsOf(removed)).toEqual(expect.arrayContaining(nodePids));
    for (const pid of nodePids) expect(isAlive(pid)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
    expect(await findLeftovers(runId)).toEqual([]);
  });
});
