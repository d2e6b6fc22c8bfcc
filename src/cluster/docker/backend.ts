import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { configError, FaultlineError, unsupported } from '../../base/errors.ts';
import { packagePath, tsNodeArgs } from '../../base/ts-node.ts';
import { which } from '../../base/which.ts';
import { ensureJump, type LinkFaults, receiverRules, restoreChains } from '../../net/iptables.ts';
import { type Grudge, type Link, type LinkShape, validateGrudge } from '../../net/links.ts';
import { applyNetem, clearNetem } from '../../net/netem.ts';
import { type LaunchContext, type NodeAddress, type NodeId, type NodeLaunch, portNames } from '../../systems/system.ts';
import { type Backend, type ClusterSpec, type NodeLogs, plansFault } from '../backend.ts';
import { copyLogs, createBackendDown } from '../down.ts';
import {
  CLOCK_FILE,
  clockCapability,
  faketimeEnv,
  faketimeLibrary,
  type NodeClock,
  settingForProcess,
  toClockSetting,
  writeClockFile,
} from '../faketime.ts';
import { makeRunTempDir, runLabels } from '../markers.ts';
import { logLine, logOffset, logTail, nodeStartError, validateClusterSpec, waitUntilReady } from '../node-start.ts';
import { dockerCapabilities } from './capabilities.ts';
import { connectEngine, type Engine, engineUnavailable, errorText, tolerate } from './engine.ts';
import { checkUserImage, ensureBaseImage, hostMounts, tsxCacheMount } from './image.ts';
import { createRunNetwork, type RunNetwork, validateSubnet } from './network.ts';
import { SCRIPT_NAME, SETUP_MARKER, supervisorScript } from './supervisor.ts';

/**
 * The docker backend: one container per node on a network of the run's
 * own (network.ts), each running the node's processes under a small
 * supervisor (supervisor.ts), from faultline's base image with the host's
 * binaries or from the preset's `image:` (image.ts).
 *
 * Each node's network namespace — its address, and the firewall rules in
 * it — belongs to a small holder container (`<name>-net`, `sleep
 * infinity`), which the node's container joins, as Kubernetes' pause
 * container holds a pod's network. So killing a node behaves as on the
 * local backend: its processes die, but its address stays, and a peer or
 * client that dials it is refused at once instead of waiting out a connect
 * timeout on an address that vanished (which would make every kill look
 * like a partition); and partitions in force need no re-applying when it
 * restarts.
 *
 * Faults go through the engine or the node's network namespace:
 *   kill     SIGKILL to the container's init: every process dies at once
 *   start    the same container again, with its data (a bind mount)
 *   pause    the engine's cgroup freezer: every process of the node stops
 *   partition, loss
 *            iptables DROP rules (statistic match for loss) in a chain of
 *            faultline's own inside the receiving node's namespace, entered
 *            from the host with nsenter, so images need no iptables;
 *            re-applied whenever a node restarts (its namespace is new)
 *   delay    tc netem in the sender's namespace, where the kernel has it
 *   clock    the system's own setClock, else libfaketime (faketime.ts) with
 *            the node's setting file in its bind-mounted directory
 *
 * Layout of the run's directory (spec.workDir, or a temp dir), bind-mounted
 * into the containers per node at the same path, so paths in commands are
 * the same inside and out:
 *
 *     nodes/<node>/        run.sh (the supervisor), faketime, .setup-done
 *     nodes/<node>/data/   the node's data dir
 *     logs/<node>.log      the node's output, streamed from the engine
 */

export interface DockerBackendOptions {
  /** IPv4 subnet of the run's network; default a free /24 of 10.213.0.0/16 (network.ts). */
  subnet?: string;
  /** How long a node may take to become ready. Default 60 s (a container cold-starts tsx). */
  startTimeoutMs?: number;
  /** `down`: SIGTERM, then SIGKILL after this. Default 5 s. */
  stopGraceMs?: number;
}

export interface DockerBackend extends Backend {
  /** The run's directory (nodes/ and logs/), valid between up and down. */
  readonly runDir: string | undefined;
  /** The run's network (name, subnet), valid between up and down. */
  readonly network: RunNetwork | undefined;
  /** Container id of each node. */
  containers(): Record<NodeId, string>;
  /** Host pid of each running node's init (its network namespace), undefined when not running. */
  pids(): Record<NodeId, number | undefined>;
}

/** The chain inside every node's own namespace. */
const CHAIN = 'FAULTLINE';
/** Named ports are the same on every node (each has its own address): 7000, 7001, ... */
const FIRST_PORT = 7000;

interface DockerNode {
  id: NodeId;
  index: number;
  ip: string;
  ports: Record<string, number>;
  nodeDir: string;
  dataDir: string;
  logPath: string;
  clockFile: string | undefined;
  /** Its clock as last set through libfaketime (a drift is rewritten for each new incarnation). */
  clock: NodeClock | undefined;
  /** When the current incarnation started (engine's clock, ms). */
  startedAtMs: number | undefined;
  name: string;
  container: Docker.Container | undefined;
  running: boolean;
  paused: boolean;
  /** Host pid of the container's init; per incarnation. */
  pid: number | undefined;
  /** The container that holds the node's network namespace for the whole run. */
  holder: Docker.Container | undefined;
  /** Host pid of the holder's process: where nsenter enters the node's namespace. */
  netnsPid: number | undefined;
  /** Resolves with how the current incarnation ended. */
  exited: Promise<string>;
  /** Resolves once the current incarnation's log stream has been written out. */
  logged: Promise<void>;
  /** The jump into our chain exists in the node's namespace. */
  hooked: boolean;
  /** A netem qdisc of ours is on the namespace's eth0. */
  netem: boolean;
}

interface State {
  spec: ClusterSpec;
  engine: Engine;
  runDir: string;
  ownsRunDir: boolean;
  network: RunNetwork | undefined;
  nodes: Map<NodeId, DockerNode>;
  portNames: readonly string[];
  grudge: Grudge;
  shaped: { link: Link; shape: LinkShape }[];
  /** Aborts the engine's pending waits and log streams at down. */
  abort: AbortController;
  closing: boolean;
  image: string;
  useBase: boolean;
  fakeClock: boolean;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** The host's init binary (tini): reaps orphans, forwards signals to the process group. Absent: Docker's own --init. */
const hostInit = (): string | undefined => which('docker-init') ?? which('tini');

/** Waits for `p`, or `ms` at most; never keeps the process alive after it settles. */
const within = async (p: Promise<unknown>, ms: number): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
};

const describeExit = (code: number | undefined): string =>
  code === undefined
    ? 'stopped'
    : code > 128
      ? `was terminated by signal ${code - 128} (exit code ${code})`
      : `exited with code ${code}`;

export const createDockerBackend = (options: DockerBackendOptions = {}): DockerBackend => {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const stopGraceMs = options.stopGraceMs ?? 5_000;
  const subnet = options.subnet === undefined ? undefined : validateSubnet(options.subnet);
  let state: State | undefined;

  // Last resort if the controller exits without `down` (an uncaught error,
  // process.exit): a detached reaper removes the run's containers and
  // network through the engine. A SIGKILLed controller gets no such
  // chance; `faultline cleanup` handles that.
  const onExit = () => {
    const st = state;
    if (!st) return;
    try {
      spawn(process.execPath, [...tsNodeArgs(packagePath('src/cluster/docker/reap.ts')), st.spec.runId], {
        detached: true,
        stdio: 'ignore',
      }).unref();
    } catch {
      // nothing more can be done from an exit handler
    }
  };
  const shutdown = createBackendDown<State>({
    backend: 'docker',
    onExit,
    release: () => {
      state = undefined;
    },
    nodeFiles: 'nodes',
    errorText,
  });

  const mustBeUp = (): State => {
    if (!state) throw new FaultlineError('FL_ERR_BACKEND', 'the docker backend is not up: call up() first');
    return state;
  };
  const nodeOf = (id: NodeId): DockerNode => {
    const st = mustBeUp();
    const n = st.nodes.get(id);
    if (!n) throw configError(`unknown node "${id}"; the cluster's nodes are ${[...st.nodes.keys()].join(', ')}`);
    return n;
  };
  const addressOf = (n: DockerNode): NodeAddress => ({
    id: n.id,
    host: n.ip,
    port: Object.values(n.ports)[0]!,
    ports: { ...n.ports },
  });
  const launchContext = (st: State, n: DockerNode): LaunchContext => {
    const peers: Record<NodeId, Record<string, string>> = {};
    for (const other of st.nodes.values()) {
      if (other.id === n.id) continue;
      peers[other.id] = Object.fromEntries(st.portNames.map((p) => [p, `${other.ip}:${other.ports[p]}`]));
    }
    return {
      id: n.id,
      index: n.index,
      nodes: st.spec.nodes,
      host: n.ip,
      ports: { ...n.ports },
      port: Object.values(n.ports)[0]!,
      dataDir: n.dataDir,
      peers,
      options: st.spec.options,
      runId: st.spec.runId,
    };
  };
  const mustSupport = (st: State, kind: 'partition' | 'delay' | 'loss' | 'clock') => {
    const can = dockerCapabilities(st.spec.system)[kind];
    if (can !== true) throw unsupported(can);
  };

  // ---------------------------------------------------------------- link faults

  const ipOf = (st: State) => (id: NodeId) => st.nodes.get(id)!.ip;

  /** Puts the current partition and loss rules into a node's namespace (and delay, with netem). */
  const applyRules = async (st: State, n: DockerNode): Promise<void> => {
    if (n.netnsPid === undefined) return;
    // Nothing in force and nothing of ours in this namespace: nothing to do.
    if (!n.hooked && !n.netem && Object.keys(st.grudge).length === 0 && st.shaped.length === 0) return;
    const where = { netnsPid: n.netnsPid };
    const faults: LinkFaults = { grudge: st.grudge, shaped: st.shaped };
    await restoreChains('filter', { [CHAIN]: receiverRules(n.id, faults, ipOf(st)) }, where);
    if (!n.hooked) {
      await ensureJump('filter', 'INPUT', [], CHAIN, where);
      n.hooked = true;
    }
    const delayed = st.shaped.filter((s) => s.link.from === n.id && (s.shape.delayMs ?? 0) > 0);
    if (delayed.length > 0) {
      const to = delayed.map((s) => st.nodes.get(s.link.to)!.ip);
      await applyNetem(where, 'eth0', to, delayed[0]!.shape);
      n.netem = true;
    } else if (n.netem) {
      await clearNetem(where, 'eth0');
      n.netem = false;
    }
  };
  const applyAll = async (st: State): Promise<void> => {
    const results = await Promise.allSettled([...st.nodes.values()].map((n) => applyRules(st, n)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed)
      throw new FaultlineError('FL_ERR_BACKEND', `docker: ${errorText(failed.reason)}`, { cause: failed.reason });
  };

  // ---------------------------------------------------------------- node lifecycle

  /** Streams one incarnation's output into the node's log; `done` resolves when the stream has ended. */
  const attachLog = async (st: State, n: DockerNode): Promise<{ done: Promise<void> }> => {
    const stream = (await n.container!.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream &
      NodeJS.EventEmitter & { destroy?: () => void };
    const out = createWriteStream(n.logPath, { flags: 'a' });
    st.engine.modem.demuxStream(stream, out, out);
    const onAbort = () => stream.destroy?.();
    st.abort.signal.addEventListener('abort', onAbort, { once: true });
    const done = new Promise<void>((resolve) => {
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        st.abort.signal.removeEventListener('abort', onAbort);
        out.end(() => resolve());
      };
      stream.once('end', finish);
      stream.once('close', finish);
      stream.once('error', finish);
    });
    return { done };
  };

  /** Watches the current incarnation: resolves with how it ended, marking the node down. */
  const watchExit = (st: State, n: DockerNode): Promise<string> =>
    n
      .container!.wait({ condition: 'not-running', abortSignal: st.abort.signal })
      .then(
        (r: { StatusCode?: number }) => describeExit(r.StatusCode),
        (e: unknown) => (st.abort.signal.aborted ? 'was removed' : `was lost to the engine (${errorText(e)})`),
      )
      .then((how) => {
        n.running = false;
        n.paused = false;
        n.pid = undefined;
        logLine(n.logPath, `${n.id} ${how}`);
        return how;
      });

  const writeScript = async (st: State, n: DockerNode, rejoin: readonly NodeLaunch[]): Promise<void> => {
    const ctx = launchContext(st, n);
    const library = faketimeLibrary();
    const script = supervisorScript({
      node: n.id,
      nodeDir: n.nodeDir,
      dataDir: n.dataDir,
      setup: st.spec.system.setup?.(ctx) ?? [],
      rejoin,
      launch: st.spec.system.launch(ctx),
      env: { FAULTLINE_NODE_ID: n.id, ...(n.clockFile && library ? faketimeEnv(library, n.clockFile) : {}) },
      switchUsers: isRoot(),
      forwardTerm: !st.useBase || !hostInit(),
    });
    await writeFile(path.join(n.nodeDir, SCRIPT_NAME), script, { mode: 0o755 });
  };

  const startNode = async (
    st: State,
    n: DockerNode,
    signal: AbortSignal,
    rejoin: readonly NodeLaunch[] = [],
  ): Promise<void> => {
    if (st.closing) throw new FaultlineError('FL_ERR_INTERRUPTED', `the cluster is going down; not starting ${n.id}`);
    if (signal.aborted) throw new FaultlineError('FL_ERR_INTERRUPTED', `interrupted before node ${n.id} was started`);
    await writeScript(st, n, rejoin);
    // libfaketime counts a rate from each process's start: a drifting node's new incarnation needs its setting anew.
    if (n.clockFile && n.clock && (n.clock.setting.rate ?? 1) !== 1) {
      const now = Date.now();
      await writeClockFile(n.clockFile, settingForProcess(n.clock, now, now));
    }
    const offset = await logOffset(n.logPath);
    logLine(n.logPath, `starting ${n.id} (container ${n.name}, ${n.ip}) at ${new Date().toISOString()}`);
    try {
      n.logged = (await attachLog(st, n)).done;
      await n.container!.start();
      const info = await n.container!.inspect();
      n.pid = info.State.Pid || undefined;
      n.startedAtMs = Date.parse(info.State.StartedAt) || Date.now();
      n.running = info.State.Running;
      n.paused = false;
      n.exited = watchExit(st, n);
    } catch (e) {
      await tolerate(n.container!.kill({ signal: 'SIGKILL' }));
      throw new FaultlineError('FL_ERR_NODE_START', `node ${n.id}: docker could not start ${n.name}: ${errorText(e)}`, {
        cause: e,
      });
    }
    const outcome = await waitUntilReady(st.spec.system, addressOf(n), {
      signal,
      timeoutMs: startTimeoutMs,
      exited: n.exited,
    });
    if (outcome.ready) return;
    await tolerate(n.container!.kill({ signal: 'SIGKILL' }));
    await n.exited;
    await within(n.logged, 2000);
    if (signal.aborted) {
      throw new FaultlineError('FL_ERR_INTERRUPTED', `interrupted while starting node ${n.id}`, {
        cause: outcome.cause,
      });
    }
    const tail = await logTail(n.logPath, offset, 200);
    const setupFailed = tail
      .map((l) => /--- faultline: (setup step .* exited with code \d+)/.exec(l)?.[1])
      .find(Boolean);
    throw await nodeStartError(
      n.id,
      setupFailed ?? outcome.reason,
      {
        command: `docker start ${n.name} (${path.join(n.nodeDir, SCRIPT_NAME)})`,
        logPath: n.logPath,
        logOffset: offset,
      },
      outcome.cause,
    );
  };

  const killNode = async (n: DockerNode): Promise<void> => {
    if (!n.container) return;
    if (n.running) {
      await tolerate(n.container.kill({ signal: 'SIGKILL' }));
      await n.exited;
    }
    n.paused = false;
  };

  /** The node's network holder: its address on the run's network, for the whole run. */
  const createHolder = async (st: State, n: DockerNode, baseImage: string): Promise<void> => {
    const init = hostInit();
    n.holder = await st.engine.createContainer({
      name: `${n.name}-net`,
      Hostname: n.id,
      Image: baseImage,
      Cmd: init ? [init, '-s', '--', 'sleep', 'infinity'] : ['sleep', 'infinity'],
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Labels: { ...(await runLabels(st.spec.runId)), 'faultline.node': n.id, 'faultline.role': 'network' },
      HostConfig: {
        Binds: hostMounts(true).map((m) => `${m}:${m}:ro`),
        NetworkMode: st.network!.name,
      },
      NetworkingConfig: { EndpointsConfig: { [st.network!.name]: { IPAMConfig: { IPv4Address: n.ip } } } },
    });
    await n.holder.start();
    n.netnsPid = (await n.holder.inspect()).State.Pid || undefined;
    if (!n.netnsPid) throw new Error(`the network holder of ${n.id} did not start`);
  };

  const createContainer = async (st: State, n: DockerNode): Promise<void> => {
    const mounts = [...hostMounts(st.useBase), n.nodeDir];
    const library = faketimeLibrary();
    if (n.clockFile && library && !st.useBase) mounts.push(path.dirname(library));
    const [cacheDir, cacheIn] = tsxCacheMount();
    const binds = [...mounts.map((m) => (m === n.nodeDir ? `${m}:${m}` : `${m}:${m}:ro`)), `${cacheDir}:${cacheIn}`];
    const init = st.useBase ? hostInit() : undefined;
    const script = path.join(n.nodeDir, SCRIPT_NAME);
    // A node of one process execs it under the init, which passes `docker stop`'s signal on (PostgreSQL: SIGINT).
    const launches = st.spec.system.launch(launchContext(st, n));
    const stopSignal = launches.length === 1 ? launches[0]!.stopSignal : undefined;
    n.container = await st.engine.createContainer({
      name: n.name,
      Image: st.image,
      ...(stopSignal ? { StopSignal: stopSignal } : {}),
      Cmd: init ? [init, '-s', '-g', '--', '/bin/sh', script] : ['/bin/sh', script],
      Env: [
        ...(st.useBase ? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/tmp'] : []),
        `FAULTLINE_NODE_ID=${n.id}`,
      ],
      WorkingDir: n.nodeDir,
      ...(isRoot() ? {} : { User: `${process.getuid?.()}:${process.getgid?.()}` }),
      Labels: { ...(await runLabels(st.spec.runId)), 'faultline.node': n.id },
      HostConfig: {
        Binds: binds,
        NetworkMode: `container:${n.holder!.id}`,
        // A user's image gets Docker's own init; the base image the host's (Docker cannot add its
        // init under a read-only, merged-/usr /sbin), or none: the script is then PID 1.
        ...(init || st.useBase ? {} : { Init: true }),
        // The engine keeps a small log of its own; ours is streamed into the run folder.
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
      },
    });
  };

  // ---------------------------------------------------------------- down

  const down = (downOptions: { keepLogsIn?: string } = {}): Promise<void> =>
    shutdown.run(state, async (st, step) => {
      const nodes = [...st.nodes.values()];
      // Heal first, so that nodes shutting down gracefully can still talk.
      await step('heal', async () => {
        st.grudge = {};
        st.shaped = [];
        await applyAll(st);
      });
      await step('stop containers', () =>
        Promise.all(
          nodes.map(async (n) => {
            if (!n.container || !n.running) return;
            if (n.paused) await tolerate(n.container.unpause());
            await tolerate(n.container.stop({ t: Math.ceil(stopGraceMs / 1000) }));
            await within(n.exited, stopGraceMs + 5000);
          }),
        ),
      );
      await step('finish logs', () => Promise.all(nodes.map((n) => within(n.logged, 2000))));
      const keep = downOptions.keepLogsIn;
      if (keep) await step('copy logs', () => copyLogs(keep, nodes));
      st.abort.abort();
      await step('remove containers', () =>
        Promise.all(
          nodes.map(async (n) => {
            if (n.container) await tolerate(n.container.remove({ force: true, v: true }));
            if (n.holder) await tolerate(n.holder.remove({ force: true, v: true }));
          }),
        ),
      );
      await step('remove network', async () => {
        if (st.network) await tolerate(st.engine.getNetwork(st.network.id).remove());
      });
    });

  return {
    name: 'docker',

    async up(spec, signal) {
      if (state) throw new FaultlineError('FL_ERR_BACKEND', 'the docker backend is already up: call down() first');
      validateClusterSpec(spec);
      const why = await engineUnavailable();
      if (why) throw unsupported(`the docker backend is not available: ${why}`, { path: 'backend' });
      const engine = await connectEngine();
      if (spec.image) await checkUserImage(engine, spec.image);
      const st: State = {
        spec,
        engine,
        runDir: '',
        ownsRunDir: !spec.workDir,
        network: undefined,
        nodes: new Map(),
        portNames: portNames(spec.system),
        grudge: {},
        shaped: [],
        abort: new AbortController(),
        closing: false,
        image: spec.image ?? '',
        useBase: !spec.image,
        fakeClock: !spec.system.setClock && plansFault(spec, 'clock') && clockCapability(spec.system) === true,
      };
      // Every node's exit watch and log stream listen on it.
      setMaxListeners(0, st.abort.signal);
      state = st;
      shutdown.arm();
      try {
        const baseImage = await ensureBaseImage(engine);
        if (st.useBase) st.image = baseImage;
        if (spec.workDir) {
          st.runDir = path.resolve(spec.workDir);
          await mkdir(st.runDir, { recursive: true });
        } else {
          st.runDir = await makeRunTempDir(spec.runId, 'docker');
        }
        // Nodes that run as an unprivileged user must reach their directories.
        await chmod(st.runDir, 0o711);
        await mkdir(path.join(st.runDir, 'logs'), { recursive: true });
        await mkdir(path.join(st.runDir, 'nodes'), { recursive: true, mode: 0o711 });
        const labels = await runLabels(spec.runId);
        st.network = await createRunNetwork(engine, {
          name: `faultline-${spec.runId}`,
          runId: spec.runId,
          labels,
          nodes: spec.nodes.length,
          ...(subnet ? { subnet } : {}),
        });
        for (const [index, id] of spec.nodes.entries()) {
          const nodeDir = path.join(st.runDir, 'nodes', id);
          const n: DockerNode = {
            id,
            index,
            ip: st.network.addressOf(index),
            ports: Object.fromEntries(st.portNames.map((p, i) => [p, FIRST_PORT + i])),
            nodeDir,
            dataDir: path.join(nodeDir, 'data'),
            logPath: path.join(st.runDir, 'logs', `${id}.log`),
            clockFile: st.fakeClock ? path.join(nodeDir, CLOCK_FILE) : undefined,
            clock: undefined,
            startedAtMs: undefined,
            name: `faultline-${spec.runId}-${id}`,
            container: undefined,
            running: false,
            paused: false,
            pid: undefined,
            exited: Promise.resolve('not started'),
            logged: Promise.resolve(),
            holder: undefined,
            netnsPid: undefined,
            hooked: false,
            netem: false,
          };
          st.nodes.set(id, n);
          await mkdir(n.dataDir, { recursive: true });
          await chmod(nodeDir, 0o755);
          if (n.clockFile) await writeClockFile(n.clockFile, { offsetMs: 0 });
        }
        await Promise.all(
          [...st.nodes.values()].map(async (n) => {
            await createHolder(st, n, baseImage);
            await createContainer(st, n);
          }),
        );
        const all = [...st.nodes.values()];
        if (spec.system.abilities?.startOrder === 'sequential') {
          for (const n of all) await startNode(st, n, signal);
        } else {
          const results = await Promise.allSettled(all.map((n) => startNode(st, n, signal)));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        }
      } catch (e) {
        await down().catch(() => {}); // the start failure is the error worth reporting
        if (e instanceof FaultlineError) throw e;
        throw new FaultlineError('FL_ERR_BACKEND', `docker: ${errorText(e)}`, { cause: e });
      }
    },

    addresses() {
      return [...mustBeUp().nodes.values()].map(addressOf);
    },

    async start(node, signal) {
      const n = nodeOf(node);
      if (n.running) return;
      await killNode(n);
      const st = mustBeUp();
      // A node that ran before may have to rejoin differently (a former primary re-cloned as a standby).
      const setUp = existsSync(path.join(n.nodeDir, SETUP_MARKER));
      const rejoin = setUp && st.spec.system.rejoin ? await st.spec.system.rejoin(launchContext(st, n), signal) : [];
      await startNode(st, n, signal, rejoin);
    },

    async kill(node) {
      await killNode(nodeOf(node));
    },

    async pause(node) {
      const n = nodeOf(node);
      if (!n.running || n.paused) return;
      await n.container!.pause();
      n.paused = true;
    },

    async resume(node) {
      const n = nodeOf(node);
      if (!n.paused) return;
      await tolerate(n.container!.unpause());
      n.paused = false;
    },

    async partition(grudge) {
      const st = mustBeUp();
      validateGrudge(grudge, st.spec.nodes);
      mustSupport(st, 'partition');
      st.grudge = grudge;
      await applyAll(st);
    },

    async heal() {
      const st = mustBeUp();
      st.grudge = {};
      st.shaped = [];
      await applyAll(st);
    },

    async shape(links, shape) {
      const st = mustBeUp();
      for (const { from, to } of links) {
        nodeOf(from);
        nodeOf(to);
        if (from === to) throw configError(`a link joins two different nodes, got ${from} -> ${to}`);
      }
      if (shape.loss !== undefined && !(shape.loss >= 0 && shape.loss <= 1)) {
        throw configError(`link shape loss must be a probability in [0, 1], got ${shape.loss}`, { path: 'loss' });
      }
      if ((shape.delayMs ?? 0) > 0 || (shape.jitterMs ?? 0) > 0) mustSupport(st, 'delay');
      if ((shape.loss ?? 0) > 0) mustSupport(st, 'loss');
      const keys = new Set(links.map((l) => `${l.from}->${l.to}`));
      st.shaped = [
        ...st.shaped.filter((s) => !keys.has(`${s.link.from}->${s.link.to}`)),
        ...links.map((link) => ({ link, shape })),
      ];
      await applyAll(st);
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
        await st.spec.system.setClock(addressOf(n), wanted.offsetMs, AbortSignal.timeout(10_000));
        return;
      }
      if (!n.clockFile) {
        throw unsupported(`node ${node} was started without libfaketime: the cluster spec did not plan clock faults`);
      }
      const now = Date.now();
      n.clock = { setting: wanted, atMs: now };
      await writeClockFile(
        n.clockFile,
        settingForProcess(n.clock, n.running && n.startedAtMs !== undefined ? n.startedAtMs : now, now),
      );
    },

    isRunning(node) {
      return nodeOf(node).running;
    },

    logs(): NodeLogs {
      const out: NodeLogs = {};
      for (const n of mustBeUp().nodes.values()) out[n.id] = n.logPath;
      return out;
    },

    containers() {
      const out: Record<NodeId, string> = {};
      for (const n of mustBeUp().nodes.values()) if (n.container) out[n.id] = n.container.id;
      return out;
    },

    pids() {
      const out: Record<NodeId, number | undefined> = {};
      for (const n of mustBeUp().nodes.values()) out[n.id] = n.running ? n.pid : undefined;
      return out;
    },

    get runDir() {
      return state?.runDir;
    },

    get network() {
      return state?.network;
    },

    down,
  };
};
