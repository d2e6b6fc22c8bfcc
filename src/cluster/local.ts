import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { copyFile, mkdir, open, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { configError, FaultlineError, unsupported } from '../base/errors.ts';
import type { Random } from '../base/random.ts';
import { sleep } from '../base/time.ts';
import { validateGrudge } from '../net/links.ts';
import { createLinkMesh, type LinkMesh } from '../net/mesh.ts';
import type { LinkCounters } from '../net/proxy.ts';
import type { LaunchContext, NodeAddress, NodeId } from '../systems/system.ts';
import type { Backend, ClusterSpec, FaultKind, Grudge, Link, LinkShape, NodeLogs } from './backend.ts';
import { makeRunTempDir, runMarkerEnv, validateRunId } from './cleanup.ts';

/**
 * The local backend: every node is a child process on 127.0.0.1, node-to-node
 * traffic goes through the link mesh (src/net/mesh.ts) in this process, no
 * root, no daemon.
 *
 * Layout of a run's directory (spec.workDir, or a temp dir
 * `faultline-<runId>-local-*` when workDir is empty):
 *
 *     data/<node>/     the node's data dir; survives kill/start, removed at down
 *     logs/<node>.log  stdout+stderr of every incarnation, appended
 *
 * Each node runs in its own process group (detached), so a Ctrl-C on the
 * terminal reaches the controller only, which then tears down in order, and
 * signals reach whatever the node's command spawned.
 */

export const LOCAL_CAPABILITIES: ReadonlySet<FaultKind> = new Set<FaultKind>([
  'kill',
  'pause',
  'partition',
  'delay',
  'loss',
  'clock',
]);

export interface LocalBackendOptions {
  /** How long a node may take to become ready. Default 30 s. */
  startTimeoutMs?: number;
  /** `stop` and `down`: SIGTERM, then SIGKILL after this. Default 5 s. */
  stopGraceMs?: number;
  /** Attempts to start a node whose port turned out to be taken (EADDRINUSE). Default 3. */
  startAttempts?: number;
  /** Seeded randomness for link jitter and loss. */
  random?: Pick<Random, 'next'>;
  /** Delay of one simulated TCP retransmission under `loss`. Default 200 ms. */
  retransmitMs?: number;
}

export interface LocalBackend extends Backend {
  /** Graceful stop: SIGTERM, then SIGKILL after `graceMs`. */
  stop(node: NodeId, graceMs?: number): Promise<void>;
  /** Process id of each running node (undefined when not running). */
  pids(): Record<NodeId, number | undefined>;
  /** Per-link proxy counters, keyed "from->to". */
  linkCounters(): Record<string, LinkCounters>;
  /** The run's directory (data/ and logs/), valid between up and down. */
  readonly runDir: string | undefined;
}

interface NodeProc {
  id: NodeId;
  index: number;
  port: number;
  dataDir: string;
  logPath: string;
  child: ChildProcess | undefined;
  /** Resolves when the current incarnation has exited. */
  exited: Promise<void>;
  running: boolean;
  paused: boolean;
  commandLine: string;
  exitDescription: string | undefined;
}

interface State {
  spec: ClusterSpec;
  runDir: string;
  ownsRunDir: boolean;
  mesh: LinkMesh | undefined;
  nodes: Map<NodeId, NodeProc>;
  /** `down` has begun: start nothing new. */
  closing: boolean;
}

const HOST = '127.0.0.1';
const LOG_TAIL_LINES = 20;

/** Free ports, found by binding port 0; all held at once so they differ, then released. */
const allocatePorts = async (count: number): Promise<number[]> => {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen({ host: HOST, port: 0 }, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
};

/** The last lines of a log, from byte `offset` on (this incarnation only). */
const logTail = async (file: string, offset: number, lines = LOG_TAIL_LINES): Promise<string[]> => {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const from = Math.max(offset, size - 16 * 1024);
      const buf = Buffer.alloc(size - from);
      await fh.read(buf, 0, buf.length, from);
      return buf.toString('utf8').split('\n').filter(Boolean).slice(-lines);
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
};

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

const signalGroup = (n: NodeProc, signal: NodeJS.Signals): void => {
  const pid = n.child?.pid;
  if (!pid || !n.running) return;
  try {
    process.kill(-pid, signal); // the whole process group: the node and what it spawned
  } catch {
    try {
      n.child?.kill(signal);
    } catch {
      // already gone
    }
  }
};

/** Rejects when `signal` aborts; the returned cleanup removes the listener. */
const abortPromise = (signal: AbortSignal): { promise: Promise<never>; done: () => void } => {
  let done = () => {};
  const promise = new Promise<never>((_, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    done = () => signal.removeEventListener('abort', onAbort);
  });
  promise.catch(() => {});
  return { promise, done };
};

export const createLocalBackend = (options: LocalBackendOptions = {}): LocalBackend => {
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const stopGraceMs = options.stopGraceMs ?? 5_000;
  const startAttempts = Math.max(1, options.startAttempts ?? 3);
  let state: State | undefined;
  let downing: Promise<void> | undefined;

  // Last resort if the controller exits without `down` (uncaught error,
  // process.exit): SIGKILL every node synchronously. A SIGKILLed controller
  // gets no such chance; `faultline cleanup` handles that.
  const onExit = () => {
    for (const n of state?.nodes.values() ?? []) signalGroup(n, 'SIGKILL');
  };

  const mustBeUp = (): State => {
    if (!state) throw new FaultlineError('FL_ERR_BACKEND', 'the local backend is not up: call up() first');
    return state;
  };
  const nodeOf = (id: NodeId): NodeProc => {
    const st = mustBeUp();
    const n = st.nodes.get(id);
    if (!n) throw configError(`unknown node "${id}"; the cluster's nodes are ${[...st.nodes.keys()].join(', ')}`);
    return n;
  };
  const addressOf = (n: NodeProc): NodeAddress => ({ id: n.id, host: HOST, port: n.port });

  // Spawns one incarnation of a node, its output appended to its log.
  const spawnNode = async (st: State, n: NodeProc): Promise<number> => {
    if (st.closing) throw new FaultlineError('FL_ERR_INTERRUPTED', `the cluster is going down; not starting ${n.id}`);
    const ctx: LaunchContext = {
      id: n.id,
      index: n.index,
      nodes: st.spec.nodes,
      host: HOST,
      port: n.port,
      dataDir: n.dataDir,
      peers: st.mesh!.peersOf(n.id),
      options: st.spec.options,
      runId: st.spec.runId,
    };
    const launch = st.spec.system.launch(ctx);
    n.commandLine = [launch.command, ...launch.args].map(quote).join(' ');
    const offset = await stat(n.logPath).then(
      (s) => s.size,
      () => 0,
    );
    const fd = openSync(n.logPath, 'a');
    writeSync(fd, `--- faultline: starting ${n.id} at ${new Date().toISOString()}: ${n.commandLine}\n`);
    let child: ChildProcess;
    try {
      child = spawn(launch.command, launch.args, {
        env: {
          ...process.env,
          ...launch.env,
          ...(await runMarkerEnv(st.spec.runId)),
          FAULTLINE_NODE_ID: n.id,
        },
        stdio: ['ignore', fd, fd],
        detached: true,
      });
    } finally {
      closeSync(fd); // the child has its own copy
    }
    n.child = child;
    n.running = true;
    n.paused = false;
    n.exitDescription = undefined;
    n.exited = new Promise<void>((resolve) => {
      const finish = (description: string) => {
        if (!n.running || n.child !== child) return resolve();
        n.running = false;
        n.paused = false;
        n.exitDescription = description;
        try {
          // Synchronous so the line is in the log before anyone awaits `exited`.
          const logFd = openSync(n.logPath, 'a');
          writeSync(logFd, `--- faultline: ${n.id} ${description}\n`);
          closeSync(logFd);
        } catch {
          // the run dir may already be gone
        }
        resolve();
      };
      child.once('error', (e) => finish(`could not be spawned: ${e.message}`));
      child.once('exit', (code, signal) => finish(signal ? `was terminated by ${signal}` : `exited with code ${code}`));
    });
    return offset;
  };

  const startFailure = async (n: NodeProc, reason: string, logOffset: number, cause?: unknown) => {
    const tail = await logTail(n.logPath, logOffset);
    return new FaultlineError(
      'FL_ERR_NODE_START',
      [
        `node ${n.id} failed to start: ${reason}`,
        `  command: ${n.commandLine}`,
        `  last log lines (stdout+stderr):`,
        ...(tail.length ? tail.map((l) => `    ${l}`) : ['    (none)']),
        `  log: ${n.logPath}`,
      ].join('\n'),
      { cause, hint: `run the command by hand to see why, or read ${n.logPath}` },
    );
  };

  // Spawns a node and waits until the system says it is ready; retries when its port is taken.
  const startNode = async (st: State, n: NodeProc, signal: AbortSignal, mayMovePort: boolean): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) {
        throw new FaultlineError('FL_ERR_INTERRUPTED', `interrupted before node ${n.id} was started`);
      }
      const offset = await spawnNode(st, n);
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new Error('start timeout')), startTimeoutMs);
      const readySignal = AbortSignal.any([signal, timeout.signal]);
      const aborted = abortPromise(readySignal);
      let failure: string | undefined;
      let cause: unknown;
      try {
        await Promise.race([
          st.spec.system.ready(addressOf(n), readySignal),
          n.exited.then(() => {
            throw new Error('exited');
          }),
          aborted.promise,
        ]);
        return;
      } catch (e) {
        cause = e;
        if (!n.running) failure = `it ${n.exitDescription ?? 'exited'} before it was ready`;
        else if (signal.aborted) failure = 'interrupted';
        else if (timeout.signal.aborted) failure = `it was not ready within ${startTimeoutMs} ms`;
        else failure = `its readiness check failed: ${e instanceof Error ? e.message : String(e)}`;
      } finally {
        clearTimeout(timer);
        aborted.done();
        timeout.abort(); // stops the system's ready loop
      }
      // Not ready: make sure this incarnation is gone before deciding what next.
      signalGroup(n, 'SIGKILL');
      await n.exited;
      if (signal.aborted) {
        throw new FaultlineError('FL_ERR_INTERRUPTED', `interrupted while starting node ${n.id}`, { cause });
      }
      const tail = (await logTail(n.logPath, offset, 200)).join('\n');
      const portTaken = /EADDRINUSE|address already in use/i.test(tail);
      if (portTaken && attempt < startAttempts) {
        if (mayMovePort) {
          // Someone took the port between allocation and start: pick another one.
          [n.port] = (await allocatePorts(1)) as [number];
          st.mesh!.setTarget(n.id, { host: HOST, port: n.port });
        } else {
          await sleep(200 * attempt, signal); // clients know this port: wait for it instead
        }
        continue;
      }
      throw await startFailure(n, failure, offset, cause);
    }
  };

  // SIGTERM, then SIGKILL after the grace period (a SIGSTOPped node is continued first).
  const stopNode = async (n: NodeProc, graceMs: number): Promise<void> => {
    if (!n.running) return;
    if (n.paused) signalGroup(n, 'SIGCONT');
    n.paused = false;
    signalGroup(n, 'SIGTERM');
    const grace = new AbortController();
    await Promise.race([n.exited, sleep(graceMs, grace.signal)]);
    grace.abort();
    if (n.running) {
      signalGroup(n, 'SIGKILL');
      await n.exited;
    }
  };

  const killNode = async (n: NodeProc): Promise<void> => {
    if (!n.running) return;
    signalGroup(n, 'SIGKILL');
    await n.exited;
  };

  const validateShape = (shape: LinkShape) => {
    for (const key of ['delayMs', 'jitterMs'] as const) {
      const v = shape[key];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
        throw configError(`link shape ${key} must be a number >= 0, got ${v}`, { path: key });
      }
    }
    if (shape.loss !== undefined && !(shape.loss >= 0 && shape.loss <= 1)) {
      throw configError(`link shape loss must be a probability in [0, 1], got ${shape.loss}`, { path: 'loss' });
    }
  };

  const down = async (downOptions: { keepLogsIn?: string } = {}): Promise<void> => {
    const st = state;
    if (!st) return;
    downing ??= (async () => {
      const failures: string[] = [];
      const step = async (label: string, undo: () => Promise<unknown> | unknown) => {
        try {
          await undo();
        } catch (e) {
          failures.push(`${label}: ${e instanceof Error ? e.message : String(e)}`);
        }
      };
      st.closing = true;
      const nodes = [...st.nodes.values()];
      // Heal first, so that nodes shutting down gracefully can still talk.
      await step('heal', () => st.mesh?.heal());
      await step('stop nodes', async () => {
        const results = await Promise.allSettled(nodes.map((n) => stopNode(n, stopGraceMs)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      });
      await step('close link proxies', () => st.mesh?.close());
      if (downOptions.keepLogsIn) {
        const dest = downOptions.keepLogsIn;
        await step('copy logs', async () => {
          await mkdir(dest, { recursive: true });
          for (const n of nodes) {
            const to = path.join(dest, `${n.id}.log`);
            if (path.resolve(to) === path.resolve(n.logPath)) continue;
            await copyFile(n.logPath, to).catch((e: NodeJS.ErrnoException) => {
              if (e.code !== 'ENOENT') throw e;
            });
          }
        });
      }
      await step('remove data dirs', () =>
        st.ownsRunDir
          ? rm(st.runDir, { recursive: true, force: true })
          : rm(path.join(st.runDir, 'data'), { recursive: true, force: true }),
      );
      process.off('exit', onExit);
      state = undefined;
      if (failures.length > 0) {
        throw new FaultlineError('FL_ERR_BACKEND', `local backend down did not finish cleanly: ${failures.join('; ')}`);
      }
    })().finally(() => {
      downing = undefined;
    });
    return downing;
  };

  return {
    name: 'local',
    capabilities: LOCAL_CAPABILITIES,

    async up(spec, signal) {
      if (state) throw new FaultlineError('FL_ERR_BACKEND', 'the local backend is already up: call down() first');
      validateRunId(spec.runId);
      if (spec.nodes.length === 0) throw configError('a cluster needs at least one node');
      const dupes = spec.nodes.filter((id, i) => spec.nodes.indexOf(id) !== i);
      if (dupes.length) throw configError(`node ids must be unique; repeated: ${dupes.join(', ')}`);
      for (const id of spec.nodes) {
        if (!/^[A-Za-z0-9._-]+$/.test(id)) {
          throw configError(`node id "${id}" must be letters, digits, ".", "_" or "-" (it names files)`);
        }
      }

      const st: State = {
        spec,
        runDir: '',
        ownsRunDir: !spec.workDir,
        mesh: undefined,
        nodes: new Map(),
        closing: false,
      };
      state = st;
      process.on('exit', onExit);
      try {
        if (spec.workDir) {
          st.runDir = path.resolve(spec.workDir);
          await mkdir(st.runDir, { recursive: true });
        } else {
          st.runDir = await makeRunTempDir(spec.runId, 'local');
        }
        await mkdir(path.join(st.runDir, 'logs'), { recursive: true });
        st.mesh = await createLinkMesh({
          nodes: spec.nodes,
          host: HOST,
          ...(options.random ? { random: options.random } : {}),
          ...(options.retransmitMs !== undefined ? { retransmitMs: options.retransmitMs } : {}),
        });
        // After the proxies, so a proxy listener cannot land on a node's port.
        const ports = await allocatePorts(spec.nodes.length);
        for (const [index, id] of spec.nodes.entries()) {
          const n: NodeProc = {
            id,
            index,
            port: ports[index]!,
            dataDir: path.join(st.runDir, 'data', id),
            logPath: path.join(st.runDir, 'logs', `${id}.log`),
            child: undefined,
            exited: Promise.resolve(),
            running: false,
            paused: false,
            commandLine: '',
            exitDescription: undefined,
          };
          st.nodes.set(id, n);
          await mkdir(n.dataDir, { recursive: true });
          st.mesh.setTarget(id, { host: HOST, port: n.port });
        }
        // Start all at once (replicated systems often wait for a quorum to be ready).
        const results = await Promise.allSettled([...st.nodes.values()].map((n) => startNode(st, n, signal, true)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      } catch (e) {
        await down().catch(() => {}); // the start failure is the error worth reporting
        throw e;
      }
    },

    addresses() {
      return [...mustBeUp().nodes.values()].map(addressOf);
    },

    async start(node, signal) {
      const n = nodeOf(node);
      if (n.running) return;
      await startNode(mustBeUp(), n, signal, false);
    },

    async kill(node) {
      await killNode(nodeOf(node));
    },

    async pause(node) {
      const n = nodeOf(node);
      if (!n.running || n.paused) return;
      signalGroup(n, 'SIGSTOP');
      n.paused = true;
    },

    async resume(node) {
      const n = nodeOf(node);
      if (!n.running || !n.paused) return;
      signalGroup(n, 'SIGCONT');
      n.paused = false;
    },

    async stop(node, graceMs = stopGraceMs) {
      await stopNode(nodeOf(node), graceMs);
    },

    async partition(grudge: Grudge) {
      const st = mustBeUp();
      validateGrudge(grudge, st.spec.nodes);
      st.mesh!.partition(grudge);
    },

    async heal() {
      mustBeUp().mesh?.heal();
    },

    async shape(links: readonly Link[], shape: LinkShape) {
      const st = mustBeUp();
      for (const { from, to } of links) {
        nodeOf(from);
        nodeOf(to);
        if (from === to) throw configError(`a link joins two different nodes, got ${from} -> ${to}`);
      }
      validateShape(shape);
      st.mesh!.shape(links, shape);
    },

    async clock(node, offsetMs) {
      const st = mustBeUp();
      const n = nodeOf(node);
      const { system } = st.spec;
      if (!system.setClock) {
        throw unsupported(`system ${system.name} cannot shift a node's clock (it has no setClock)`, {
          hint: 'remove clock faults from the nemesis for this system',
        });
      }
      await system.setClock(addressOf(n), offsetMs, AbortSignal.timeout(10_000));
    },

    isRunning(node) {
      return nodeOf(node).running;
    },

    logs(): NodeLogs {
      const out: NodeLogs = {};
      for (const n of mustBeUp().nodes.values()) out[n.id] = n.logPath;
      return out;
    },

    pids() {
      const out: Record<NodeId, number | undefined> = {};
      for (const n of mustBeUp().nodes.values()) out[n.id] = n.running ? n.child?.pid : undefined;
      return out;
    },

    linkCounters() {
      return mustBeUp().mesh?.counters() ?? {};
    },

    get runDir() {
      return state?.runDir;
    },

    down,
  };
};
