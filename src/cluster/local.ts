import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { configError, FaultlineError, unsupported } from '../base/errors.ts';
import type { Random } from '../base/random.ts';
import { sleep } from '../base/time.ts';
import { type Grudge, type Link, type LinkShape, validateGrudge } from '../net/links.ts';
import { createLinkMesh, type LinkMesh } from '../net/mesh.ts';
import type { LinkCounters } from '../net/proxy.ts';
import {
  type LaunchContext,
  type NodeAddress,
  type NodeId,
  type NodeLaunch,
  portNames,
  type System,
} from '../systems/system.ts';
import type { Backend, Capabilities, ClusterSpec, NodeLogs } from './backend.ts';
import { chownTree, identityFor, type LocalProcess, runLocalStep, spawnLocal } from './local-process.ts';
import { makeRunTempDir, runMarkerEnv, validateRunId } from './markers.ts';
import { commandLine, logOffset, logTail, nodeStartError, waitUntilReady } from './node-start.ts';
import { waitGone, waitStopped } from './process-tree.ts';

/**
 * The local backend: every node is one or more child processes on
 * 127.0.0.1, no root, no daemon. For systems that take their peers'
 * addresses from the command line (`peerAddressing: 'per-pair'`, the
 * default), node-to-node traffic goes through the link mesh (src/net/mesh.ts)
 * in this process, one proxy per ordered pair and named port, so a
 * partition cuts exactly the links of a grudge.
 *
 * Layout of a run's directory (spec.workDir, or a temp dir
 * `faultline-<runId>-local-*` when workDir is empty):
 *
 *     data/<node>/     the node's data dir; survives kill/start, removed at down
 *     logs/<node>.log  stdout+stderr of every process and incarnation, appended
 */

/** What the local backend can inject for a system. */
export const localCapabilities = (system: System): Capabilities => {
  const perPair = (system.abilities?.peerAddressing ?? 'per-pair') === 'per-pair';
  const noLinks = `system ${system.name} finds its peers itself, so the local backend's per-link proxies cannot cut or slow its traffic; use --backend docker`;
  return {
    kill: true,
    pause: true,
    partition: perPair ? true : noLinks,
    delay: perPair ? true : noLinks,
    loss: perPair ? true : noLinks,
    clock: system.setClock
      ? true
      : `system ${system.name} has no clock control of its own, and the local backend has no libfaketime support yet`,
  };
};

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
  /** Process id of each running node's first process (undefined when not running). */
  pids(): Record<NodeId, number | undefined>;
  /** Per-link proxy counters, keyed "from->to" (first port) or "from->to:port". */
  linkCounters(): Record<string, LinkCounters>;
  /** The run's directory (data/ and logs/), valid between up and down. */
  readonly runDir: string | undefined;
}

interface LocalNode {
  id: NodeId;
  index: number;
  ports: Record<string, number>;
  dataDir: string;
  logPath: string;
  procs: LocalProcess[];
  paused: boolean;
  /** Setup steps have run (they run once, before the first start). */
  setUp: boolean;
}

interface State {
  spec: ClusterSpec;
  portNames: readonly string[];
  perPair: boolean;
  runDir: string;
  ownsRunDir: boolean;
  /** One link mesh per named port (per-pair systems only). */
  meshes: Map<string, LinkMesh>;
  nodes: Map<NodeId, LocalNode>;
  /** `down` has begun: start nothing new. */
  closing: boolean;
}

const HOST = '127.0.0.1';

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

const isRunning = (n: LocalNode): boolean => n.procs.length > 0 && n.procs.every((p) => p.running);
/** Signals every process of the node; returns the descendants that SIGSTOP/SIGCONT/SIGKILL reached too. */
const signalNode = (n: LocalNode, signal: NodeJS.Signals): number[] => n.procs.flatMap((p) => [...p.signal(signal)]);
/** Resolves when the first of the node's processes ends, saying which and how. */
const firstExit = (n: LocalNode): Promise<string> =>
  Promise.race(n.procs.map((p) => p.exited.then((how) => (n.procs.length > 1 ? `(${p.name}) ${how}` : how))));
const allExited = (n: LocalNode): Promise<unknown> => Promise.all(n.procs.map((p) => p.exited));

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
    for (const n of state?.nodes.values() ?? []) signalNode(n, 'SIGKILL');
  };

  const mustBeUp = (): State => {
    if (!state) throw new FaultlineError('FL_ERR_BACKEND', 'the local backend is not up: call up() first');
    return state;
  };
  const nodeOf = (id: NodeId): LocalNode => {
    const st = mustBeUp();
    const n = st.nodes.get(id);
    if (!n) throw configError(`unknown node "${id}"; the cluster's nodes are ${[...st.nodes.keys()].join(', ')}`);
    return n;
  };
  const addressOf = (st: State, n: LocalNode): NodeAddress => ({
    id: n.id,
    host: HOST,
    port: n.ports[st.portNames[0]!]!,
    ports: { ...n.ports },
  });

  const launchContext = (st: State, n: LocalNode): LaunchContext => {
    const peers: Record<NodeId, Record<string, string>> = {};
    for (const other of st.nodes.values()) {
      if (other.id === n.id) continue;
      const ports: Record<string, string> = {};
      for (const name of st.portNames) {
        ports[name] = st.perPair ? st.meshes.get(name)!.peersOf(n.id)[other.id]! : `${HOST}:${other.ports[name]}`;
      }
      peers[other.id] = ports;
    }
    return {
      id: n.id,
      index: n.index,
      nodes: st.spec.nodes,
      host: HOST,
      ports: { ...n.ports },
      port: n.ports[st.portNames[0]!]!,
      dataDir: n.dataDir,
      peers,
      options: st.spec.options,
      runId: st.spec.runId,
    };
  };

  const processEnv = async (st: State, n: LocalNode): Promise<Record<string, string>> => ({
    ...(await runMarkerEnv(st.spec.runId)),
    FAULTLINE_NODE_ID: n.id,
  });

  // Setup steps (once per node, before its first start) or rejoin steps (before a restart): each must exit 0.
  const runSteps = async (st: State, n: LocalNode, steps: readonly NodeLaunch[], signal: AbortSignal) => {
    for (const step of steps) {
      const offset = await logOffset(n.logPath);
      const how = await runLocalStep(step, {
        label: `${n.id}/${step.name}`,
        logPath: n.logPath,
        env: await processEnv(st, n),
        signal,
      });
      if (signal.aborted) throw new FaultlineError('FL_ERR_INTERRUPTED', `interrupted while setting up ${n.id}`);
      if (how !== 'exited with code 0') {
        throw await nodeStartError(n.id, `setup step ${step.name} ${how}`, {
          command: commandLine(step.command, step.args),
          logPath: n.logPath,
          logOffset: offset,
        });
      }
    }
  };
  const setUpNode = async (st: State, n: LocalNode, signal: AbortSignal): Promise<void> => {
    if (n.setUp) return;
    await runSteps(st, n, st.spec.system.setup?.(launchContext(st, n)) ?? [], signal);
    n.setUp = true;
  };

  // Spawns every process of a node and waits until the system says it is ready; retries when a port is taken.
  const startNode = async (st: State, n: LocalNode, signal: AbortSignal, mayMovePort: boolean): Promise<void> => {
    await setUpNode(st, n, signal);
    for (let attempt = 1; ; attempt++) {
      if (st.closing) throw new FaultlineError('FL_ERR_INTERRUPTED', `the cluster is going down; not starting ${n.id}`);
      if (signal.aborted) throw new FaultlineError('FL_ERR_INTERRUPTED', `interrupted before node ${n.id} was started`);
      const offset = await logOffset(n.logPath);
      const launches = st.spec.system.launch(launchContext(st, n));
      const env = await processEnv(st, n);
      n.procs = launches.map((l) =>
        spawnLocal(l, { label: launches.length > 1 ? `${n.id}/${l.name}` : n.id, logPath: n.logPath, env }),
      );
      n.paused = false;
      const outcome = await waitUntilReady(st.spec.system, addressOf(st, n), {
        signal,
        timeoutMs: startTimeoutMs,
        exited: firstExit(n),
      });
      if (outcome.ready) return;
      // Not ready: make sure this incarnation is gone before deciding what next.
      signalNode(n, 'SIGKILL');
      await allExited(n);
      if (signal.aborted) {
        throw new FaultlineError('FL_ERR_INTERRUPTED', `interrupted while starting node ${n.id}`, {
          cause: outcome.cause,
        });
      }
      const tail = (await logTail(n.logPath, offset, 200)).join('\n');
      if (/EADDRINUSE|address already in use/i.test(tail) && attempt < startAttempts) {
        if (mayMovePort) {
          // Someone took a port between allocation and start: pick others.
          const fresh = await allocatePorts(st.portNames.length);
          st.portNames.forEach((name, i) => {
            n.ports[name] = fresh[i]!;
            st.meshes.get(name)?.setTarget(n.id, { host: HOST, port: fresh[i]! });
          });
        } else {
          await sleep(200 * attempt, signal); // clients know this port: wait for it instead
        }
        continue;
      }
      const command = n.procs.map((p) => p.commandLine).join(' & ');
      throw await nodeStartError(
        n.id,
        outcome.reason,
        { command, logPath: n.logPath, logOffset: offset },
        outcome.cause,
      );
    }
  };

  // SIGTERM, then SIGKILL after the grace period (a SIGSTOPped node is continued first).
  const stopNode = async (n: LocalNode, graceMs: number): Promise<void> => {
    if (!n.procs.some((p) => p.running)) return;
    if (n.paused) signalNode(n, 'SIGCONT');
    n.paused = false;
    for (const p of n.procs) p.signal(p.stopSignal);
    const grace = new AbortController();
    await Promise.race([allExited(n), sleep(graceMs, grace.signal)]);
    grace.abort();
    if (n.procs.some((p) => p.running)) await killNode(n);
  };

  // SIGKILL the whole tree at once, and wait until its last process is gone, not just the ones we spawned.
  const killNode = async (n: LocalNode): Promise<void> => {
    const descendants = signalNode(n, 'SIGKILL');
    await allExited(n);
    await waitGone(descendants);
    n.paused = false;
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

  /** The refusal for a fault this system cannot get here (checked before a run; this guards direct use). */
  const mustSupport = (st: State, kind: 'partition' | 'delay' | 'loss' | 'clock') => {
    const can = localCapabilities(st.spec.system)[kind];
    if (can !== true) throw unsupported(can);
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
      await step('heal', () => {
        for (const m of st.meshes.values()) m.heal();
      });
      await step('stop nodes', async () => {
        const results = await Promise.allSettled(nodes.map((n) => stopNode(n, stopGraceMs)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      });
      await step('close link proxies', () => Promise.all([...st.meshes.values()].map((m) => m.close())));
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
      const names = portNames(spec.system);
      const st: State = {
        spec,
        portNames: names,
        perPair: (spec.system.abilities?.peerAddressing ?? 'per-pair') === 'per-pair',
        runDir: '',
        ownsRunDir: !spec.workDir,
        meshes: new Map(),
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
        if (st.perPair) {
          for (const name of names) {
            st.meshes.set(
              name,
              await createLinkMesh({
                nodes: spec.nodes,
                host: HOST,
                ...(options.random ? { random: options.random } : {}),
                ...(options.retransmitMs !== undefined ? { retransmitMs: options.retransmitMs } : {}),
              }),
            );
          }
        }
        // After the proxies, so a proxy listener cannot land on a node's port.
        const ports = await allocatePorts(spec.nodes.length * names.length);
        for (const [index, id] of spec.nodes.entries()) {
          const n: LocalNode = {
            id,
            index,
            ports: Object.fromEntries(names.map((name, i) => [name, ports[index * names.length + i]!])),
            dataDir: path.join(st.runDir, 'data', id),
            logPath: path.join(st.runDir, 'logs', `${id}.log`),
            procs: [],
            paused: false,
            setUp: false,
          };
          st.nodes.set(id, n);
          await mkdir(n.dataDir, { recursive: true });
          for (const name of names) st.meshes.get(name)?.setTarget(id, { host: HOST, port: n.ports[name]! });
        }
        // A system that runs as an unprivileged user gets its data dirs handed over (only when we are root).
        for (const n of st.nodes.values()) {
          const ctx = launchContext(st, n);
          const user = [...(spec.system.setup?.(ctx) ?? []), ...spec.system.launch(ctx)].find((l) => l.user);
          const id = user ? identityFor(user) : undefined;
          if (!id) continue;
          await chownTree(n.dataDir, id);
          // ... and may pass through the run's (0700, root's) directories to reach it: traverse, not list.
          for (const dir of [st.runDir, path.dirname(n.dataDir)]) await chmod(dir, 0o711);
        }
        const all = [...st.nodes.values()];
        if (spec.system.abilities?.startOrder === 'sequential') {
          for (const n of all) await startNode(st, n, signal, true);
        } else {
          const results = await Promise.allSettled(all.map((n) => startNode(st, n, signal, true)));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        }
      } catch (e) {
        await down().catch(() => {}); // the start failure is the error worth reporting
        throw e;
      }
    },

    addresses() {
      const st = mustBeUp();
      return [...st.nodes.values()].map((n) => addressOf(st, n));
    },

    async start(node, signal) {
      const n = nodeOf(node);
      if (isRunning(n)) return;
      await killNode(n); // a node with one of its processes gone restarts whole
      const st = mustBeUp();
      // A node that ran before may have to rejoin differently (a former primary re-cloned as a standby).
      if (n.setUp && st.spec.system.rejoin)
        await runSteps(st, n, await st.spec.system.rejoin(launchContext(st, n), signal), signal);
      await startNode(st, n, signal, false);
    },

    async kill(node) {
      await killNode(nodeOf(node));
    },

    async pause(node) {
      const n = nodeOf(node);
      if (!isRunning(n) || n.paused) return;
      const descendants = signalNode(n, 'SIGSTOP');
      n.paused = true;
      await waitStopped([...n.procs.flatMap((p) => (p.pid ? [p.pid] : [])), ...descendants]);
    },

    async resume(node) {
      const n = nodeOf(node);
      if (!n.paused) return;
      signalNode(n, 'SIGCONT');
      n.paused = false;
    },

    async stop(node, graceMs = stopGraceMs) {
      await stopNode(nodeOf(node), graceMs);
    },

    async partition(grudge: Grudge) {
      const st = mustBeUp();
      validateGrudge(grudge, st.spec.nodes);
      mustSupport(st, 'partition');
      for (const m of st.meshes.values()) m.partition(grudge);
    },

    async heal() {
      for (const m of mustBeUp().meshes.values()) m.heal();
    },

    async shape(links: readonly Link[], shape: LinkShape) {
      const st = mustBeUp();
      for (const { from, to } of links) {
        nodeOf(from);
        nodeOf(to);
        if (from === to) throw configError(`a link joins two different nodes, got ${from} -> ${to}`);
      }
      validateShape(shape);
      mustSupport(st, shape.delayMs !== undefined ? 'delay' : 'loss');
      for (const m of st.meshes.values()) m.shape(links, shape);
    },

    async clock(node, offsetMs) {
      const st = mustBeUp();
      const n = nodeOf(node);
      mustSupport(st, 'clock');
      await st.spec.system.setClock!(addressOf(st, n), offsetMs, AbortSignal.timeout(10_000));
    },

    isRunning(node) {
      return isRunning(nodeOf(node));
    },

    logs(): NodeLogs {
      const out: NodeLogs = {};
      for (const n of mustBeUp().nodes.values()) out[n.id] = n.logPath;
      return out;
    },

    pids() {
      const out: Record<NodeId, number | undefined> = {};
      for (const n of mustBeUp().nodes.values()) out[n.id] = isRunning(n) ? n.procs[0]?.pid : undefined;
      return out;
    },

    linkCounters() {
      const st = mustBeUp();
      const out: Record<string, LinkCounters> = {};
      st.portNames.forEach((name, i) => {
        for (const [k, c] of Object.entries(st.meshes.get(name)?.counters() ?? {}))
          out[i === 0 ? k : `${k}:${name}`] = c;
      });
      return out;
    },

    get runDir() {
      return state?.runDir;
    },

    down,
  };
};
