import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { tsNodeArgs } from '../../src/base/ts-node.ts';
import { createLocalBackend } from '../../src/cluster/local.ts';
import { cleanupLeftovers, findLeftovers } from '../../src/cluster/registry.ts';
import type { LaunchContext, NodeLaunch, System } from '../../src/systems/system.ts';
import { createToySystem, httpGet, TOY_NODE } from '../fixtures/toy-system.ts';
import { expectFaultline, isAlive, newRunId, procState, upToyCluster } from './helpers.ts';

/**
 * The System seams real databases need, on the local backend: several named
 * ports, several processes per node (Redis beside its Sentinel), setup
 * steps that run once before the first start (initdb), and nodes started
 * one after another (standbys cloned from a running primary).
 */

const toyProcess = (ctx: LaunchContext, name: string, port: number): NodeLaunch => ({
  name,
  command: process.execPath,
  args: [...tsNodeArgs(TOY_NODE), '--id', `${ctx.id}-${name}`, '--port', String(port)],
});

/** A toy node of two processes on two named ports, with a setup step that appends a line to a file. */
const twoProcessSystem = (options: { failSetupOf?: string; sequential?: boolean } = {}): System => ({
  ...createToySystem(),
  name: 'two-process toy',
  ports: ['main', 'admin'],
  abilities: { startOrder: options.sequential ? 'sequential' : 'parallel' },
  setup: (ctx) => [
    {
      name: 'init',
      command: 'sh',
      args: [
        '-c',
        ctx.id === options.failSetupOf
          ? 'echo "init: disk full" >&2; exit 4'
          : `echo "set up ${ctx.id}" >> "${path.join(ctx.dataDir, 'setup.log')}"`,
      ],
    },
  ],
  launch: (ctx) => [toyProcess(ctx, 'main', ctx.ports.main!), toyProcess(ctx, 'admin', ctx.ports.admin!)],
  // Ready when both processes answer, each on its own port.
  async ready(node, signal) {
    const toy = createToySystem();
    await toy.ready(node, signal);
    await toy.ready({ ...node, port: node.ports.admin! }, signal);
  },
});

/** The pids of a node's processes, from /proc: every process whose FAULTLINE_NODE_ID and run id match. */
const nodePids = async (runId: string, node: string): Promise<number[]> =>
  (await findLeftovers(runId))
    .filter((l) => l.kind === 'process')
    .map((l) => Number(l.id))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`FAULTLINE_NODE_ID=${node}\0`);
      } catch {
        return false;
      }
    });

describe('local backend: systems of several processes, ports and setup steps', () => {
  test('every named port answers; kill takes down every process; setup ran once, not again on restart', async () => {
    const { backend, runId } = await upToyCluster({ nodes: ['n1', 'n2'], system: twoProcessSystem() });
    const n1 = backend.addresses().find((a) => a.id === 'n1')!;
    expect(Object.keys(n1.ports)).toEqual(['main', 'admin']);
    expect(n1.port).toBe(n1.ports.main);
    expect((await httpGet({ host: n1.host, port: n1.ports.main! }, '/ping')).body).toBe('pong n1-main');
    expect((await httpGet({ host: n1.host, port: n1.ports.admin! }, '/ping')).body).toBe('pong n1-admin');
    const setupLog = path.join(backend.runDir!, 'data', 'n1', 'setup.log');
    expect(readFileSync(setupLog, 'utf8')).toBe('set up n1\n');

    const pids = await nodePids(runId, 'n1');
    expect(pids.length).toBeGreaterThanOrEqual(2);
    await backend.kill('n1');
    expect(backend.isRunning('n1')).toBe(false);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(backend.isRunning('n2')).toBe(true);

    await backend.start('n1', AbortSignal.timeout(20_000));
    expect((await httpGet({ host: n1.host, port: n1.ports.admin! }, '/ping')).body).toBe('pong n1-admin');
    expect(readFileSync(setupLog, 'utf8')).toBe('set up n1\n'); // once, before the first start only
    const log = readFileSync(backend.logs().n1!, 'utf8');
    expect(log).toContain('starting n1/init');
    expect(log).toContain('starting n1/admin');
  });

  test('pause freezes every process of the node, resume continues them all', async () => {
    const { backend, runId } = await upToyCluster({ nodes: ['n1'], system: twoProcessSystem() });
    const pids = await nodePids(runId, 'n1');
    expect(pids.length).toBeGreaterThanOrEqual(2);
    await backend.pause('n1');
    // A stop signal takes effect when the kernel next schedules the process: poll briefly.
    for (let i = 0; i < 50 && pids.some((pid) => procState(pid) !== 'T'); i++)
      await new Promise((r) => setTimeout(r, 20));
    for (const pid of pids) expect(procState(pid)).toBe('T');
    await backend.resume('n1');
    for (const pid of pids) expect(procState(pid)).not.toBe('T');
  });

  test('a failing setup step is FL_ERR_NODE_START naming the node, the step and its output; nothing is left', async () => {
    const runId = newRunId();
    onTestFinished(() => cleanupLeftovers({ runId, force: true }).then(() => {}));
    const backend = createLocalBackend();
    const e = await expectFaultline(
      backend.up(
        { runId, system: twoProcessSystem({ failSetupOf: 'n2' }), nodes: ['n1', 'n2'], options: {}, workDir: '' },
        AbortSignal.timeout(30_000),
      ),
      'FL_ERR_NODE_START',
    );
    expect(e.message).toContain('node n2 failed to start: setup step init exited with code 4');
    expect(e.message).toContain('init: disk full');
    expect(await findLeftovers(runId)).toEqual([]);
  });

  test('startOrder sequential: a node is set up only once the one before it is ready', async () => {
    const { backend } = await upToyCluster({ nodes: ['n1', 'n2'], system: twoProcessSystem({ sequential: true }) });
    const when = (node: string, what: string): number => {
      const line = readFileSync(backend.logs()[node]!, 'utf8')
        .split('\n')
        .find((l) => l.includes(`starting ${what} at `))!;
      return Date.parse(/ at (\S+):/.exec(line)![1]!);
    };
    // n1's processes started before n2's setup began (in parallel, every setup runs first).
    expect(when('n2', 'n2/init')).toBeGreaterThanOrEqual(when('n1', 'n1/admin'));
    expect(existsSync(path.join(backend.runDir!, 'data', 'n2', 'setup.log'))).toBe(true);
  });
});
