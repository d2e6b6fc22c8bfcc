/**
 * A system under test: what a node *is* — its processes, named ports,
 * setup steps, clients, how to find its leader, optional operator actions
 * and the abilities it declares. Where a node runs (a local process, a
 * container) is the backend's business (src/cluster); a System never
 * starts anything itself, it describes commands for the backend to run.
 *
 * Built-in systems (src/systems/<name>/) and a user's own module named in
 * a cluster preset (`system: ./my-db.ts`, default-exporting a System) use
 * this same interface; docs/systems.md walks through one.
 */
import type { NodeId } from '../base/ids.ts';

export type { NodeId };

/** Where the controller (clients, admin calls) reaches a node. */
export interface NodeAddress {
  id: NodeId;
  host: string;
  /** The port clients use: the first of the system's `ports`. */
  port: number;
  /** Every named port of the node, e.g. { client: 2379, peer: 2380 }. */
  ports: Readonly<Record<string, number>>;
}

/** What a backend tells the system when it launches (or sets up) node `id`. */
export interface LaunchContext {
  id: NodeId;
  /** 0-based position in `nodes`. */
  index: number;
  nodes: readonly NodeId[];
  /** The address this node listens on (127.0.0.1, a loopback alias, or its container's address). */
  host: string;
  /** This node's named ports (`system.ports`); `port` is the first of them. */
  ports: Readonly<Record<string, number>>;
  port: number;
  /** The node's data directory; it survives kill and restart, and is removed at `down`. */
  dataDir: string;
  /**
   * How this node reaches each other node, per named port: `peers.n2.peer`
   * is "host:port". For a system with `peerAddressing: 'per-pair'` under the
   * local backend these are link-proxy listeners, one per ordered pair, so
   * the controller can cut or slow exactly that link; otherwise they are the
   * peers' own addresses.
   */
  peers: Readonly<Record<NodeId, Readonly<Record<string, string>>>>;
  /** The cluster preset's `options:` for this system. */
  options: Readonly<Record<string, unknown>>;
  runId: string;
}

/** A command to run for a node: a long-running process (`launch`) or a step that must exit 0 (`setup`). */
export interface NodeLaunch {
  /** Names the process in logs and errors ("redis", "sentinel"); unique within a node. */
  name: string;
  command: string;
  args: readonly string[];
  env?: Readonly<Record<string, string>>;
  /**
   * Run as this unprivileged user when faultline runs as root (PostgreSQL
   * refuses to run as root); the node's data dir is handed to that user.
   * Ignored when faultline is not root.
   */
  user?: string;
  /**
   * What a graceful stop sends first (default SIGTERM; SIGKILL follows after
   * the grace period). PostgreSQL wants SIGINT, its fast shutdown: on
   * SIGTERM it waits for every client session to end.
   */
  stopSignal?: NodeJS.Signals;
}

/** A host binary a system needs, and the Debian package that provides it. */
export interface Requirement {
  command: string;
  package: string;
}

/** What a system declares about itself, so a run is checked before anything starts. */
export interface SystemAbilities {
  /**
   * `per-pair` (default): nodes dial peers only at the addresses given in
   * `LaunchContext.peers`, so a backend may give each node its own proxy per
   * peer. `direct`: nodes learn peers' addresses themselves (etcd members
   * advertise theirs, Sentinel discovers replicas), so a partition needs
   * per-address rules (iptables), never a proxy.
   */
  peerAddressing?: 'per-pair' | 'direct';
  /**
   * `parallel` (default): every node starts at once (replicated systems often
   * wait for a quorum). `sequential`: node i is set up and ready before node
   * i + 1 begins, e.g. standbys cloned from the primary with pg_basebackup.
   */
  startOrder?: 'parallel' | 'sequential';
  /**
   * Whether libfaketime can shift the wall clock this system's processes
   * read (default true). When it cannot, give the reason — Go binaries such
   * as etcd read the clock without libc; Debian's jemalloc-linked Redis hangs
   * at start under it — so a clock fault is refused before the run, saying
   * why, rather than silently doing nothing. Irrelevant when the system has
   * its own `setClock`.
   */
  libfaketime?: true | { unsupported: string };
}

/** An operation as a worker asks a client to perform it. */
export interface ClientOp {
  f: string;
  key?: string;
  value: unknown;
}

/**
 * How an operation ended. `fail`: it certainly did not take effect (the
 * system said so definitively). `info`: it may or may not have (timeout,
 * lost connection, unknown error) — when in doubt, `info`.
 */
export interface Completion {
  type: 'ok' | 'fail' | 'info';
  value?: unknown;
  error?: string;
  /** The node that actually served the op, when the client followed a redirect. */
  node?: NodeId;
  /** The leader term (epoch) under which the node acknowledged a write, when the system reports one. */
  term?: number;
}

/** One client connection, bound to one node, used by one worker at a time. */
export interface Client {
  invoke(op: ClientOp, signal: AbortSignal): Promise<Completion>;
  close(): Promise<void>;
}

export interface ClientOptions {
  /** Per-operation timeout; beyond it the op completes as `info`. */
  timeoutMs: number;
  /** All nodes, for clients that follow redirects or a primary. */
  nodes: readonly NodeAddress[];
  /** Workload options (e.g. read mode). */
  options: Readonly<Record<string, unknown>>;
  /**
   * Reads answer from the bound node's own state, whatever its role — how a
   * workload's final phase reads every node after healing (a follower's
   * state, not the leader's). Writes are unaffected.
   */
  localReads?: boolean;
  /**
   * The cluster preset's `options:` (the system's own), for clients whose
   * behaviour a preset fixes: etcd's read mode, Redis's WAIT after writes.
   * Workload options of the same name override them.
   */
  cluster?: Readonly<Record<string, unknown>>;
}

/** Status a system reports of one node, for the nemesis and the report. */
export interface NodeStatus {
  id: NodeId;
  role: string;
  term?: number;
  leader?: NodeId | null;
  [key: string]: unknown;
}

/**
 * What an operator action (a failover) may do to the cluster: the backend's
 * powers it needs, and a way to record each step in the history as a
 * nemesis event.
 */
export interface OperatorContext {
  nodes: readonly NodeAddress[];
  /**
   * The nodes the fault that called the operator took away (killed, paused,
   * cut off from a majority): what an operator's health checks would report
   * as failed. A failover with its primary among them acts; otherwise it
   * has nothing to do.
   */
  lost: readonly NodeId[];
  /** Nodes whose processes are running now. */
  running(): readonly NodeId[];
  /** Make sure a node can no longer accept writes (the backend kills it). */
  fence(node: NodeId): Promise<void>;
  /** Record one step as a nemesis event `f` with `value`. */
  step(f: string, value: Record<string, unknown>): void;
  signal: AbortSignal;
}

export interface System {
  readonly name: string;
  /** Workload client names it supports, e.g. ["register", "set"]. */
  readonly workloads: readonly string[];
  /** Named ports of every node; the first is where clients connect. Default ["main"]. */
  readonly ports?: readonly string[];
  readonly abilities?: SystemAbilities;
  /** Host binaries it needs; a run is refused before it starts when one is missing, naming the package. */
  readonly requires?: readonly Requirement[];
  /** Checks the preset's options; throws a FaultlineError (FL_ERR_CONFIG) naming the bad key. */
  validateOptions?(options: Readonly<Record<string, unknown>>, nodeCount: number): void;
  /** Steps run once for a node before its first start, in the node's place (initdb, pg_basebackup). */
  setup?(ctx: LaunchContext): readonly NodeLaunch[];
  /**
   * Steps to run before a node that ran before is started again (after a
   * kill, a fence or a stop), in the node's place, as `setup` steps are
   * before the first start. For systems whose restarted node must not come
   * back as it was: a former primary re-cloned from the primary that
   * replaced it, so that it rejoins as a standby instead of a second
   * primary. Empty: restart as is. It may ask the other nodes (`ctx.peers`)
   * who leads now.
   */
  rejoin?(ctx: LaunchContext, signal: AbortSignal): Promise<readonly NodeLaunch[]>;
  /** The long-running processes of a node; started on every (re)start. */
  launch(ctx: LaunchContext): readonly NodeLaunch[];
  /** Resolves once the node serves requests; rejects when the signal aborts. */
  ready(node: NodeAddress, signal: AbortSignal): Promise<void>;
  /** A client for a workload, bound to `node`. */
  openClient(workload: string, node: NodeAddress, options: ClientOptions): Promise<Client>;
  /** The current leader as the reachable nodes see it, or undefined (leaderless or none). */
  leader(nodes: readonly NodeAddress[], signal: AbortSignal): Promise<NodeId | undefined>;
  status?(node: NodeAddress, signal: AbortSignal): Promise<NodeStatus>;
  /**
   * The system's own clock control (the replica's admin API): shift a node's
   * clock by `offsetMs`. Without it, backends skew clocks with libfaketime.
   */
  setClock?(node: NodeAddress, offsetMs: number, signal: AbortSignal): Promise<void>;
  /**
   * Operator action after the leader was lost (killed, isolated), as Patroni
   * would: fence the old primary, promote the best standby, repoint the
   * others. Systems that elect their own leader do not have it.
   */
  failover?(ctx: OperatorContext): Promise<void>;
}

/** The named ports of a system, with the default. */
export const portNames = (system: Pick<System, 'ports'>): readonly string[] =>
  system.ports && system.ports.length > 0 ? system.ports : ['main'];
