import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createLocalBackend } from '../../src/cluster/local.ts';
import { cleanupLeftovers, findLeftovers } from '../../src/cluster/registry.ts';
import { canReach, createToySystem, httpGet } from '../fixtures/toy-system.ts';
import { addressOf, expectFaultline, isAlive, newRunId, pidsOf, upToyCluster } from './helpers.ts';

describe('local backend: lifecycle', () => {
  test('up starts every node behind its own port, down leaves no process and no temp dir', async () => {
    const { backend, runId } = await upToyCluster();
    const pids = Object.values(backend.pids());
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(isAlive(pid!)).toBe(true);
    const ports = backend.addresses().map((a) => a.port);
    expect(new Set(ports).size).toBe(3);
    for (const a of backend.addresses()) expect((await httpGet(a, '/ping')).body).toBe(`pong ${a.id}`);
    const runDir = backend.runDir!;
    expect(path.basename(runDir)).toMatch(new RegExp(`^faultline-${runId}-local-`));
    expect(existsSync(path.join(runDir, 'data', 'n2'))).toBe(true);
    const before = await findLeftovers(runId);
    // The nodes, plus whatever they spawned (tsx may start an esbuild service on a cold cache).
    expect(pidsOf(before)).toEqual(expect.arrayContaining(pids));
    expect(before.every((p) => p.controllerAlive)).toBe(true);
    expect(before.filter((l) => l.kind === 'temp dir').map((d) => d.id)).toEqual([runDir]);

    const keep = await mkdtemp(path.join(os.tmpdir(), 'fl-test-logs-'));
    onTestFinished(() => rm(keep, { recursive: true, force: true }));
    await backend.down({ keepLogsIn: keep });
    for (const pid of pids) expect(isAlive(pid!)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
    expect(await findLeftovers(runId)).toEqual([]);
    const log = await readFile(path.join(keep, 'n1.log'), 'utf8');
    expect(log).toContain('toy-node n1 listening');
    expect(log).toContain('SIGTERM, closing');
    await backend.down(); // idempotent
  });

  test('kill is SIGKILL; start respawns on the same port with the same data dir', async () => {
    const { backend } = await upToyCluster({ nodes: ['n1', 'n2'] });
    const before = addressOf(backend, 'n2');
    const pid = backend.pids().n2!;
    const marker = path.join(backend.runDir!, 'data', 'n2', 'state');
    await writeFile(marker, 'kept');

    await backend.kill('n2');
    expect(isAlive(pid)).toBe(false);
    expect(backend.isRunning('n2')).toBe(false);
    expect(backend.pids().n2).toBeUndefined();
    await expect(httpGet(before, '/ping')).rejects.toThrow();
    expect(await canReach(addressOf(backend, 'n1'), 'n2')).toBe(false);
    await backend.kill('n2'); // idempotent

    await backend.start('n2', AbortSignal.timeout(20_000));
    expect(backend.isRunning('n2')).toBe(true);
    expect(backend.pids().n2).not.toBe(pid);
    expect(addressOf(backend, 'n2').port).toBe(before.port);
    expect((await httpGet(before, '/ping')).body).toBe('pong n2');
    expect(await readFile(marker, 'utf8')).toBe('kept');
    expect(await canReach(addressOf(backend, 'n1'), 'n2')).toBe(true);
    const log = await readFile(backend.logs().n2!, 'utf8');
    expect(log).toContain('n2 was terminated by SIGKILL');
    expect(log.match(/starting n2/g)).toHaveLength(2);
  });

  test('a node that crashes on its own is seen as not running and can be started again', async () => {
    const flags = { n1: ['--crash-after', '8'] };
    const { backend } = await upToyCluster({ nodes: ['n1'], system: createToySystem({ flags }) });
    const n1 = addressOf(backend, 'n1');
    for (let i = 0; i < 10 && backend.isRunning('n1'); i++) {
      await httpGet(n1, '/ping').catch(() => {});
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(backend.isRunning('n1')).toBe(false);
    expect(await readFile(backend.logs().n1!, 'utf8')).toContain('n1 exited with code 3');
    await backend.start('n1', AbortSignal.timeout(20_000));
    expect((await httpGet(n1, '/ping')).status).toBe(200);
  });

  test('down stops a paused node and one that ignores SIGTERM', async () => {
    const flags = { n1: ['--hang-on-sigterm'] };
    const { backend, runId } = await upToyCluster({
      nodes: ['n1', 'n2'],
      system: createToySystem({ flags }),
      backend: { stopGraceMs: 300 },
    });
    const pids = Object.values(backend.pids());
    await backend.pause('n2');
    const logs = backend.logs();
    const keep = await mkdtemp(path.join(os.tmpdir(), 'fl-test-logs-'));
    onTestFinished(() => rm(keep, { recursive: true, force: true }));
    await backend.down({ keepLogsIn: keep });
    for (const pid of pids) expect(isAlive(pid!)).toBe(false);
    expect(await findLeftovers(runId)).toEqual([]);
    const n1Log = await readFile(path.join(keep, path.basename(logs.n1!)), 'utf8');
    expect(n1Log).toContain('ignoring SIGTERM');
    expect(n1Log).toContain('n1 was terminated by SIGKILL');
    expect(await readFile(path.join(keep, 'n2.log'), 'utf8')).toContain('SIGTERM, closing');
  });

  test('a node that fails to start: FL_ERR_NODE_START naming the node, command and stderr; nothing left', async () => {
    const runId = newRunId();
    onTestFinished(() => cleanupLeftovers({ runId: runId, force: true }).then(() => {}));
    const backend = createLocalBackend({ stopGraceMs: 500 });
    const system = createToySystem({ flags: { n2: ['--fail-start'] } });
    const e = await expectFaultline(
      backend.up({ runId, system, nodes: ['n1', 'n2', 'n3'], options: {}, workDir: '' }, AbortSignal.timeout(30_000)),
      'FL_ERR_NODE_START',
    );
    expect(e.message).toContain('node n2 failed to start: it exited with code 1 before it was ready');
    expect(e.message).toContain('toy-node.ts --id n2 --host 127.0.0.1 --port');
    expect(e.message).toContain('toy-node n2: refusing to start (--fail-start)');
    expect(e.message).toMatch(/log: .*n2\.log/);
    expect(await findLeftovers(runId)).toEqual([]);
    expect(() => backend.addresses()).toThrow(/not up/);
  });

  test('a command that cannot be spawned, and a node that never gets ready, fail with FL_ERR_NODE_START', async () => {
    const runId = newRunId();
    onTestFinished(() => cleanupLeftovers({ runId: runId, force: true }).then(() => {}));
    const base = createToySystem();
    const missing = {
      ...base,
      launch: () => [{ name: 'node', command: '/nonexistent/faultline-node', args: ['--x'] }],
    };
    const backend = createLocalBackend();
    const e = await expectFaultline(
      backend.up({ runId, system: missing, nodes: ['n1'], options: {}, workDir: '' }, AbortSignal.timeout(10_000)),
      'FL_ERR_NODE_START',
    );
    expect(e.message).toContain('could not be spawned');
    expect(e.message).toContain('/nonexistent/faultline-node --x');

    const sleeper = { ...base, launch: () => [{ name: 'node', command: 'sleep', args: ['30'] }] };
    const slow = createLocalBackend({ startTimeoutMs: 300 });
    const e2 = await expectFaultline(
      slow.up({ runId, system: sleeper, nodes: ['n1'], options: {}, workDir: '' }, AbortSignal.timeout(10_000)),
      'FL_ERR_NODE_START',
    );
    expect(e2.message).toContain('not ready within 300 ms');
    expect(await findLeftovers(runId)).toEqual([]);
  });

  test('an aborted up stops what it started and says it was interrupted', async () => {
    const runId = newRunId();
    onTestFinished(() => cleanupLeftovers({ runId: runId, force: true }).then(() => {}));
    const backend = createLocalBackend();
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('Ctrl-C')), 150);
    await expectFaultline(
      backend.up({ runId, system: createToySystem(), nodes: ['n1', 'n2'], options: {}, workDir: '' }, ac.signal),
      'FL_ERR_INTERRUPTED',
    );
    expect(await findLeftovers(runId)).toEqual([]);
  });

  test('a user work dir keeps the logs after down but loses the data dirs', async () => {
    const workDir = await mkdtemp(path.join(os.tmpdir(), 'fl-test-work-'));
    onTestFinished(() => rm(workDir, { recursive: true, force: true }));
    const { backend } = await upToyCluster({ nodes: ['n1'], workDir });
    expect(existsSync(path.join(workDir, 'data', 'n1'))).toBe(true);
    await backend.down();
    expect(existsSync(path.join(workDir, 'data'))).toBe(false);
    expect(await readFile(path.join(workDir, 'logs', 'n1.log'), 'utf8')).toContain('listening');
  });

  test('start retries while the port is taken, then fails naming EADDRINUSE', async () => {
    const { backend } = await upToyCluster({ nodes: ['n1'], backend: { startAttempts: 2 } });
    const { port } = addressOf(backend, 'n1');
    await backend.kill('n1');
    // Another program on the port; it hangs up on anyone who connects (the readiness probes).
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((r) => squatter.listen({ host: '127.0.0.1', port }, r));
    const release = () => (squatter.listening ? new Promise<void>((r) => squatter.close(() => r())) : undefined);
    onTestFinished(release);
    const e = await expectFaultline(backend.start('n1', AbortSignal.timeout(20_000)), 'FL_ERR_NODE_START');
    expect(e.message).toContain('EADDRINUSE');
    expect(backend.isRunning('n1')).toBe(false);
    await release();
    await backend.start('n1', AbortSignal.timeout(20_000));
    expect((await httpGet(addressOf(backend, 'n1'), '/ping')).status).toBe(200);
  });
});
