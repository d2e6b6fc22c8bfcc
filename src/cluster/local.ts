import { chmod, mkdir } from 'node:fs/promises';
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
import { type Backend, type Capabilities, type ClusterSpec, type NodeLogs, plansFault } from './backend.ts';
import { copyLogs, createBackendDown } from './down.ts';
import {
  clockCapability,
  faketimeEnv,
  faketimeLibrary,
  type NodeClock,
  processStartedAtMs,
  removeFaketimeLeftovers,
  settingForProcess,
  toClockSetting,
  writeClockFile,
} from './faketime.ts';
import { type LocalFirewall, localFirewallMissing, openLocalFirewall, planLoopback } from './local-firewall.ts';
import { chownTree, identityFor, type LocalProcess, runLocalStep, spawnLocal } from './local-process.ts';
import { makeRunTempDir, runMarkerEnv } from './markers.ts';
import {
  commandLine,
  logOffset,
  logTail,
  nodeStartError,
  type ReadyOutcome,
  validateClusterSpec,
  waitUntilReady,
} from './node-start.ts';
import {
  descendantsOf,
  portHeldByOthers,
  removeSysvSegments,
  removeSysvSegmentsSync,
  sysvSegmentsOf,
  waitGone,
  waitStopped,
} from './process-tree.ts';

/**
 * The local backend: every node is one or more child processes on
 * loopback, no daemon. For systems that take their peers' addresses from
 * the command line (`peerAddressing: 'per-pair'`, the default), nodes
 * listen on 127.0.0.1 and node-to-node traffic goes through the link mesh
 * (src/net/mesh.ts) in this process, one proxy per ordered pair and named
 * port, so a partition cuts exactly the links of a grudge (no root needed).
 *
 * Systems that find their peers themselves (`direct`: etcd, Sentinel) get
 * one loopback address per node instead, and their partitions and packet
 * loss are iptables rules between those addresses (local-firewall.ts),
 * which needs root; without it those faults are refused before the run.
 *
 * Clock faults go through the system's own `setClock`, or else libfaketime
 * (faketime.ts) with one setting file per node.
 *
 * Layout of a run's directory (spec.workDir, or a temp dir
 * `faultline-<runId>-local-*` when workDir is empty):
 *
 *     data/<node>/     the node's data dir; survives kill/start, removed at down
 *     clock/<node>     the node's libfaketime setting (when clock faults use it)
 *     logs/<node>.log  stdout+stderr of every process and incarnation, appended
 */

/** What the local backend can inject for a system. */
export const localCapabilities = (system: System): Capabilities => {
  const perPair = (system.abilities?.peerAddressing ?? 'per-pair') === 'per-pair';
  const firewall = perPair ? undefined : localFirewallMissing();
  const noRules = `system ${system.name} finds its peers itself, so the local backend cuts its links with iptables rules between per-node loopback addresses, but ${firewall}; run as root, or use --backend docker`;
  return {
    kill: true,
    pause: true,
    partition: firewall ? noRules : true,
    loss: firewall ? noRules : true,
    delay: perPair
      ? true
      : `system ${system.name} finds its peers itself, so the local backend's link proxies cannot delay its traffic, and per-address latency on loopback is not supported; use --backend docker on a kernel with tc netem`,
    clock: clockCapability(system),
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
  /** The address it listens on: 127.0.0.1, or its own 127.x address (direct systems). */
  host: string;
  /** Supplementary group its processes run with, when the firewall tells nodes apart by it. */
  group: number | undefined;
  /** Its libfaketime setting file, when clock faults go through libfaketime. */
  clockFile: string | undefined;
  /** Its clock as last set through libfaketime (a drift is rewritten for each new process). */
  clock: NodeClock | undefined;
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
  /** iptables rules between per-node loopback addresses (direct systems, as root). */
  firewall: LocalFirewall | undefined;
  /** The current link faults, for the firewall. */
  grudge: Grudge;
  shaped: { link: Link; shape: LinkShape }[];
  nodes: Map<NodeId, LocalNode>;
  /** `down` has begun: start nothing new. */
  closing: boolean;
}

const HOST = '127.0.0.1';

/** Free ports, found by binding port 0; all held at once so they differ, then released. */
const allocatePorts = async (count: number, host = HOST): Promise<number[]> => {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen({ host, port: 0 }, () => resolve(s));
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
/** A port of the node that some process outside the node's tree listens on, if any. */
const takenPort = (n: LocalNode): number | undefined => {
  const pids = n.procs.flatMap((p) => (p.running && p.pid ? [p.pid, ...descendantsOf(p.pid)] : []));
  return Object.values(n.ports).find((port) => portHeldByOthers(port, pids));
};
/** Resolves when the first of the node's processes ends, saying which and how. */
const firstExit = (n: LocalNode): Promise<string> =>
  Promise.race(n.procs.map((p) => p.exited.then((how) => (n.procs.length > 1 ? `(${p.name}) ${how}` : how))));
const allExited = (n: LocalNode): Promise<unknown> => Promise.all(n.procs.map((p) => p.exited));

export const createLocalBackend = (options: LocalBackendOptions = {}): LocalBackend => {
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const stopGraceMs = options.stopGraceMs ?? 5_000;
  const startAttempts = Math.max(1, options.startAttempts ?? 3);
  let state: State | undefined;

  // Last resort if the controller exits without `down` (uncaught error,
  // process.exit): SIGKILL every node synchronously. A SIGKILLed controller
  // gets no such chance; `faultline cleanup` handles that.
  const onExit = () => {
    for (const n of state?.nodes.values() ?? []) {
      const roots = n.procs.flatMap((p) => (p.running && p.pid ? [p.pid] : []));
      const descendants = signalNode(n, 'SIGKILL');
      removeSysvSegmentsSync(sysvSegmentsOf([...roots, ...descendants]).map((s) => s.id));
    }
  };
  const shutdown = createBackendDown<State>({
    backend: 'local',
    onExit,
    release: () => {
      state = undefined;
    },
    nodeFiles: 'data',
  });

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
    host: n.host,
    port: n.ports[st.portNames[0]!]!,
    ports: { ...n.ports },
  });

  const launchContext = (st: State, n: LocalNode): LaunchContext => {
    const peers: Record<NodeId, Record<string, string>> = {};
    for (const other of st.nodes.values()) {
      if (other.id === n.id) continue;
      const ports: Record<string, string> = {};
      for (const name of st.portNames) {
        ports[name] = st.perPair ? st.meshes.get(name)!.peersOf(n.id)[other.id]! : `${other.host}:${other.ports[name]}`;
      }
      peers[other.id] = ports;
    }
    return {
      id: n.id,
      index: n.index,
      nodes: st.spec.nodes,
      host: n.host,
      ports: { ...n.ports },
      port: n.ports[st.portNames[0]!]!,
      dataDir: n.dataDir,
      peers,
      options: st.spec.options,
      runId: st.spec.runId,
    };
  };

  const processEnv = async (st: State, n: LocalNode): Promise<Record<string, string>> => {
    const library = faketimeLibrary();
    return {
      ...(await runMarkerEnv(st.spec.runId)),
      FAULTLINE_NODE_ID: n.id,
      ...(n.clockFile && library ? faketimeEnv(library, n.clockFile) : {}),
    };
  };

  // Setup steps (once per node, before its first start) or rejoin steps (before a restart): each must exit 0.
  const runSteps = async (st: State, n: LocalNode, steps: readonly NodeLaunch[], signal: AbortSignal) => {
    for (const step of steps) {
      const offset = await logOffset(n.logPath);
      const how = await runLocalStep(step, {
        label: `${n.id}/${step.name}`,
        logPath: n.logPath,
        env: await processEnv(st, n),
        signal,
        ...(n.group !== undefined ? { group: n.group } : {}),
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
      await rewriteDrift(n);
      const launches = st.spec.system.launch(launchContext(st, n));
      const env = await processEnv(st, n);
      n.procs = launches.map((l) =>
        spawnLocal(l, {
          label: launches.length > 1 ? `${n.id}/${l.name}` : n.id,
          logPath: n.logPath,
          env,
          ...(n.group !== undefined ? { group: n.group } : {}),
        }),
      );
      n.paused = false;
      const ready = await waitUntilReady(st.spec.system, addressOf(st, n), {
        signal,
        timeoutMs: startTimeoutMs,
        exited: firstExit(n),
      });
      // Ready, but was it this node that answered? Another process may have taken its port meanwhile.
      const taken = ready.ready ? takenPort(n) : undefined;
      if (ready.ready && taken === undefined) return;
      const outcome: Extract<ReadyOutcome, { ready: false }> = ready.ready
        ? { ready: false, reason: `port ${taken} answered, but another process listens on it, not this node` }
        : ready;
      // Not ready: make sure this incarnation is gone (children and shared memory too) before deciding what next.
      await killNode(n);
      if (signal.aborted) {
        throw new FaultlineError('FL_ERR_INTERRUPTED', `interrupted while starting node ${n.id}`, {
          cause: outcome.cause,
        });
      }
      const tail = (await logTail(n.logPath, offset, 200)).join('\n');
      if ((taken !== undefined || /EADDRINUSE|address already in use/i.test(tail)) && attempt < startAttempts) {
        if (mayMovePort) {
          // Someone took a port between allocation and start: pick others.
          const fresh = await allocatePorts(st.portNames.length, n.host);
          st.portNames.forEach((name, i) => {
            n.ports[name] = fresh[i]!;
            st.meshes.get(name)?.setTarget(n.id, { host: n.host, port: fresh[i]! });
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

  // libfaketime counts a rate from each process's start: a drifting node's new processes need its setting anew.
  const rewriteDrift = async (n: LocalNode): Promise<void> => {
    if (!n.clockFile || !n.clock || (n.clock.setting.rate ?? 1) === 1) return;
    const now = Date.now();
    await writeClockFile(n.clockFile, settingForProcess(n.clock, now, now));
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
  // ... and remove the SysV shared memory its processes created: nobody else will (a restart or a re-clone may not reuse it).
  const killNode = async (n: LocalNode): Promise<void> => {
    const roots = n.procs.flatMap((p) => (p.running && p.pid ? [p.pid] : []));
    const descendants = signalNode(n, 'SIGKILL');
    await allExited(n);
    await waitGone(descendants);
    await removeSysvSegments(sysvSegmentsOf([...roots, ...descendants]).map((s) => s.id));
    removeFaketimeLeftovers([...roots, ...descendants]);
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
  const firewallOf = (st: State): LocalFirewall => {
    if (!st.firewall) {
      throw unsupported(
        `the local backend set up no firewall rules for ${st.spec.system.name}: the cluster spec did not plan partition or loss faults`,
      );
    }
    return st.firewall;
  };

  const down = (downOptions: { keepLogsIn?: string } = {}): Promise<void> =>
    shutdown.run(state, async (st, step) => {
      const nodes = [...st.nodes.values()];
      // Heal first, so that nodes shutting down gracefully can still talk.
      await step('heal', async () => {
        for (const m of st.meshes.values()) m.heal();
        await st.firewall?.apply({ grudge: {}, shaped: [] });
      });
      await step('stop nodes', async () => {
        const results = await Promise.allSettled(nodes.map((n) => stopNode(n, stopGraceMs)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      });
      await step('close link proxies', () => Promise.all([...st.meshes.values()].map((m) => m.close())));
      await step('remove firewall rules', () => st.firewall?.close());
      const keep = downOptions.keepLogsIn;
      if (keep) await step('copy logs', () => copyLogs(keep, nodes));
    });

  return {
    name: 'local',

    async up(spec, signal) {
      if (state) throw new FaultlineError('FL_ERR_BACKEND', 'the local backend is already up: call down() first');
      validateClusterSpec(spec);
      const names = portNames(spec.system);
      const perPair = (spec.system.abilities?.peerAddressing ?? 'per-pair') === 'per-pair';
      const st: State = {
        spec,
        portNames: names,
        perPair,
        runDir: '',
        ownsRunDir: !spec.workDir,
        meshes: new Map(),
        firewall: undefined,
        grudge: {},
        shaped: [],
        nodes: new Map(),
        closing: false,
      };
      // Direct systems: one loopback address per node; rules between them only when faults need them and we can.
      const loopback = perPair ? undefined : planLoopback(spec.nodes);
      const firewalled =
        loopback !== undefined &&
        (plansFault(spec, 'partition') || plansFault(spec, 'loss')) &&
        localFirewallMissing() === undefined;
      const fakeClock = !spec.system.setClock && plansFault(spec, 'clock') && clockCapability(spec.system) === true;
      state = st;
      shutdown.arm();
      try {
        if (spec.workDir) {
          st.runDir = path.resolve(spec.workDir);
          await mkdir(st.runDir, { recursive: true });
        } else {
          st.runDir = await makeRunTempDir(spec.runId, 'local');
        }
        await mkdir(path.join(st.runDir, 'logs'), { recursive: true });
        // Nodes that run as an unprivileged user must reach their data dir and clock file.
        await chmod(st.runDir, 0o711);
        if (fakeClock) await mkdir(path.join(st.runDir, 'clock'), { recursive: true, mode: 0o755 });
        if (firewalled) st.firewall = await openLocalFirewall(spec.runId, loopback);
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
        for (const [index, id] of spec.nodes.entries()) {
          const host = loopback?.[index]?.address ?? HOST;
          // After the proxies, so a proxy listener cannot land on a node's port.
          const ports = await allocatePorts(names.length, host);
          const n: LocalNode = {
            id,
            index,
            host,
            group: firewalled ? loopback[index]!.group : undefined,
            clockFile: fakeClock ? path.join(st.runDir, 'clock', id) : undefined,
            clock: undefined,
            ports: Object.fromEntries(names.map((name, i) => [name, ports[i]!])),
            dataDir: path.join(st.runDir, 'data', id),
            logPath: path.join(st.runDir, 'logs', `${id}.log`),
            procs: [],
            paused: false,
            setUp: false,
          };
          st.nodes.set(id, n);
          await mkdir(n.dataDir, { recursive: true });
          await chmod(path.dirname(n.dataDir), 0o711);
          if (n.clockFile) await writeClockFile(n.clockFile, { offsetMs: 0 });
          for (const name of names) st.meshes.get(name)?.setTarget(id, { host: n.host, port: n.ports[name]! });
        }
        // A system that runs as an unprivileged user gets its data dirs handed over (only when we are root).
        for (const n of st.nodes.values()) {
          const ctx = launchContext(st, n);
          const user = [...(spec.system.setup?.(ctx) ?? []), ...spec.system.launch(ctx)].find((l) => l.user);
          const id = user ? identityFor(user) : undefined;
          if (id) await chownTree(n.dataDir, id);
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
      if (!st.perPair) {
        st.grudge = grudge;
        await firewallOf(st).apply({ grudge: st.grudge, shaped: st.shaped });
      }
    },

    async heal() {
      const st = mustBeUp();
      for (const m of st.meshes.values()) m.heal();
      st.grudge = {};
      st.shaped = [];
      await st.firewall?.apply({ grudge: {}, shaped: [] });
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
      if (!st.perPair) {
        const keys = new Set(links.map((l) => `${l.from}->${l.to}`));
        st.shaped = [
          ...st.shaped.filter((s) => !keys.has(`${s.link.from}->${s.link.to}`)),
          ...links.map((link) => ({ link, shape })),
        ];
        await firewallOf(st).apply({ grudge: st.grudge, shaped: st.shaped });
      }
    },

    async clock(node, setting) {
      const st = mustBeUp();
      const n = nodeOf(node);
      mustSupport(st, 'clock');
      const wanted = toClockSetting(setting);
      if (st.spec.system.setClock) {
        if ((wanted.rate ?? 1) !== 1) {
          throw unsupported(
            `system ${st.spec.system.name} shifts its clock through its own control, which sets offsets only; a drift needs libfaketime`,
          );
        }
        await st.spec.system.setClock(addressOf(st, n), wanted.offsetMs, AbortSignal.timeout(10_000));
        return;
      }
      if (!n.clockFile) {
        throw unsupported(`node ${node} was started without libfaketime: the cluster spec did not plan clock faults`);
      }
      const now = Date.now();
      n.clock = { setting: wanted, atMs: now };
      await writeClockFile(
        n.clockFile,
        settingForProcess(
          n.clock,
          isRunning(n) && n.procs[0]?.pid ? (processStartedAtMs(n.procs[0].pid) ?? now) : now,
          now,
        ),
      );
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
