import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { sleep } from '../../../src/base/time.ts';
import { connectEngine } from '../../../src/cluster/docker/engine.ts';
import { isRunToken, LABEL_RUN, LABEL_TOKEN } from '../../../src/cluster/markers.ts';
import { cleanupLeftovers, findLeftovers } from '../../../src/cluster/registry.ts';
import { netemMissing } from '../../../src/net/netem.ts';
import { createToySystem, httpGet, SETUP_VALUE } from '../../fixtures/toy-system.ts';
import { dockerMissing, rootMissing, skipWithout } from '../../support/environment.ts';
import { upDocker } from '../connectivity.ts';
import { expectFaultline, isAlive, newRunId } from '../helpers.ts';

/** Host pids of a container's processes (the init, the supervisor, the node's processes), with their command lines. */
const processesOf = async (containerId: string): Promise<{ pid: number; command: string }[]> => {
  const top = (await (await connectEngine()).getContainer(containerId).top({ ps_args: '-o pid,args' })) as {
    Titles: string[];
    Processes: string[][];
  };
  return top.Processes.map((p) => ({ pid: Number(p[0]), command: p.slice(1).join(' ') }));
};

const silent = (node: { host: string; port: number }) =>
  httpGet(node, '/ping', { timeoutMs: 500 }).then(
    () => false,
    () => true,
  );

describe.skipIf(skipWithout('docker', dockerMissing()) || skipWithout('root', rootMissing()))('docker backend', () => {
  test('up: every node answers on its own address of an internal network of the run; everything carries the run id and its token; nothing is published', async () => {
    const { backend, runId } = await upDocker(createToySystem());
    const engine = await connectEngine();
    const net = await engine.getNetwork(backend.network!.id).inspect();
    expect(net.Internal).toBe(true);
    expect(net.Labels?.[LABEL_RUN]).toBe(runId);
    expect(isRunToken(runId, net.Labels?.[LABEL_TOKEN])).toBe(true);
    const subnet = net.IPAM?.Config?.[0]?.Subnet ?? '';
    const prefix = subnet.split('.').slice(0, 3).join('.');
    for (const a of backend.addresses()) {
      expect(a.host.startsWith(`${prefix}.`)).toBe(true);
      expect((await httpGet(a, '/ping')).body).toBe(`pong ${a.id}`);
    }
    for (const id of Object.values(backend.containers())) {
      const c = await engine.getContainer(id).inspect();
      expect(c.Config.Labels[LABEL_RUN]).toBe(runId);
      expect(isRunToken(runId, c.Config.Labels[LABEL_TOKEN])).toBe(true);
      expect(c.HostConfig.PortBindings ?? {}).toEqual({});
      // Its network namespace is its holder's, which sits on the run's network alone.
      const holderId = String(c.HostConfig.NetworkMode).replace(/^container:/, '');
      const holder = await engine.getContainer(holderId).inspect();
      expect(holder.Config.Labels[LABEL_RUN]).toBe(runId);
      expect(isRunToken(runId, holder.Config.Labels[LABEL_TOKEN])).toBe(true);
      expect(Object.keys(holder.NetworkSettings.Networks)).toEqual([backend.network!.name]);
      expect(holder.HostConfig.PortBindings ?? {}).toEqual({});
      // The host's binaries, read-only; the node's own directory writable.
      const mounts = c.Mounts.map((m) => `${m.Destination}:${m.RW ? 'rw' : 'ro'}`);
      expect(mounts).toContain('/usr:ro');
      expect(mounts).toContain('/etc:ro');
    }
  }, 120_000);

  test('kill takes down every process of the node at once; start restarts the same container with its data', async () => {
    const { backend } = await upDocker(createToySystem({ sidecar: true }), ['n1', 'n2']);
    const n1 = backend.addresses()[0]!;
    await httpGet(n1, '/data/before-the-kill', { method: 'POST' });
    const id = backend.containers().n1!;
    const procs = (await processesOf(id)).filter((p) => p.command.includes('toy-node.ts'));
    expect(procs.length).toBe(2); // the node and its sidecar
    await backend.kill('n1');
    expect(backend.isRunning('n1')).toBe(false);
    for (const p of procs) expect(isAlive(p.pid), p.command).toBe(false);
    // Its address stays (the holder keeps the namespace): dialing it is refused, as a killed local process's port is.
    await expect(httpGet(n1, '/ping', { timeoutMs: 5000 })).rejects.toThrow(/ECONNREFUSED/);
    expect(backend.isRunning('n2')).toBe(true);

    await backend.start('n1', AbortSignal.timeout(60_000));
    expect(backend.isRunning('n1')).toBe(true);
    expect(backend.containers().n1).toBe(id); // the same container
    expect((await httpGet(n1, '/data')).body).toBe('before-the-kill');
    expect((await httpGet({ host: n1.host, port: n1.ports.side! }, '/ping')).body).toBe('pong n1-side');
  }, 120_000);

  test("pause freezes every process of the node (the engine's freezer) and resume lets them continue", async () => {
    const { backend } = await upDocker(createToySystem({ sidecar: true }), ['n1']);
    const n1 = backend.addresses()[0]!;
    const side = { host: n1.host, port: n1.ports.side! };
    const before = Number((await httpGet(n1, '/ticks')).body);
    await backend.pause('n1');
    expect(backend.isRunning('n1')).toBe(true);
    expect(await silent(n1)).toBe(true);
    expect(await silent(side)).toBe(true);
    await sleep(1500);
    await backend.resume('n1');
    // Its 100 ms timer did not run while frozen: a few ticks at most, not the ~20 of the time that passed.
    const after = Number((await httpGet(n1, '/ticks')).body);
    expect(after - before).toBeLessThan(12);
    await sleep(600);
    expect(Number((await httpGet(n1, '/ticks')).body)).toBeGreaterThan(after + 2);
    expect((await httpGet(side, '/ping')).body).toBe('pong n1-side');
  }, 120_000);

  test('when one process of a node ends, the node goes down as a whole and its log says which process', async () => {
    const { backend } = await upDocker(createToySystem({ sidecar: true }), ['n1']);
    const sidecar = (await processesOf(backend.containers().n1!)).find((p) => p.command.includes('n1-side'))!;
    process.kill(sidecar.pid, 'SIGKILL');
    for (let i = 0; i < 100 && backend.isRunning('n1'); i++) await sleep(100);
    expect(backend.isRunning('n1')).toBe(false);
    expect(readFileSync(backend.logs().n1!, 'utf8')).toMatch(/n1\/sidecar exited with code 137; stopping the node/);
    await backend.start('n1', AbortSignal.timeout(60_000));
    expect((await httpGet(backend.addresses()[0]!, '/ping')).body).toBe('pong n1');
  }, 120_000);

  test('setup steps run once before the first start, and not again on a restart', async () => {
    const { backend } = await upDocker(createToySystem({ setup: true }), ['n1']);
    const n1 = backend.addresses()[0]!;
    expect((await httpGet(n1, '/data')).body).toBe(SETUP_VALUE);
    await httpGet(n1, '/data/changed-later', { method: 'POST' });
    await backend.kill('n1');
    await backend.start('n1', AbortSignal.timeout(60_000));
    expect((await httpGet(n1, '/data')).body).toBe('changed-later');
  }, 120_000);

  test('a failing setup step: FL_ERR_NODE_START naming the step and its output, and nothing of the run is left', async () => {
    const runId = newRunId();
    const { createDockerBackend } = await import('../../../src/cluster/docker/backend.ts');
    const backend = createDockerBackend();
    onTestFinished(() => cleanupLeftovers({ runId, force: true }).then(() => {}));
    const e = await expectFaultline(
      backend.up(
        { runId, system: createToySystem({ failSetup: ['n2'] }), nodes: ['n1', 'n2'], options: {}, workDir: '' },
        AbortSignal.timeout(120_000),
      ),
      'FL_ERR_NODE_START',
    );
    expect(e.message).toContain('node n2 failed to start: setup step write-value exited with code 7');
    expect(e.message).toContain('setup refuses (failSetup)');
    expect(await findLeftovers(runId)).toEqual([]);
  }, 120_000);

  test('node logs are streamed into the run folder, kept by down, and down leaves nothing', async () => {
    const { backend, runId } = await upDocker(createToySystem(), ['n1', 'n2']);
    const log = backend.logs().n1!;
    for (let i = 0; i < 50 && !readFileSync(log, 'utf8').includes('listening'); i++) await sleep(100);
    expect(readFileSync(log, 'utf8')).toContain('toy-node n1 listening on');
    const keep = mkdtempSync(path.join(os.tmpdir(), 'faultline-test-logs-'));
    onTestFinished(() => rmSync(keep, { recursive: true, force: true }));
    const runDir = backend.runDir!;
    await backend.down({ keepLogsIn: keep });
    const kept = readFileSync(path.join(keep, 'n1.log'), 'utf8');
    expect(kept).toContain('toy-node n1 listening on');
    expect(kept).toContain('toy-node n1: SIGTERM, closing'); // stopped gracefully
    expect(existsSync(runDir)).toBe(false);
    expect(await findLeftovers(runId)).toEqual([]);
  }, 120_000);

  test('a subnet given as a backend option is used', async () => {
    const { backend } = await upDocker(createToySystem(), ['n1'], { subnet: '10.214.77.0/28' });
    expect(backend.addresses()[0]!.host).toBe('10.214.77.2');
  }, 120_000);

  test.skipIf(netemMissing() === undefined)(
    'delay is refused, saying why, where the kernel has no tc netem',
    async () => {
      const { backend } = await upDocker(createToySystem(), ['n1', 'n2']);
      const e = await expectFaultline(backend.shape([{ from: 'n1', to: 'n2' }], { delayMs: 50 }), 'FL_ERR_UNSUPPORTED');
      expect(e.message).toMatch(/tc netem/);
    },
    120_000,
  );
});
