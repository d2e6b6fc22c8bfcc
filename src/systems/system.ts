/**
 * A system under test: how to launch its nodes, which clients it offers, how
 * to find its leader. Plain description plus small async hooks; the backend
 * does the launching.
 */

import type { NodeId } from '../base/ids.ts';

export type { NodeId };

/** Where the controller (clients, admin calls) reaches a node. */
export interface NodeAddress {
  id: NodeId;
  host: string;
  port: number;
}

/** What a backend tells the system when it launches node `id`. */
export interface LaunchContext {
  id: NodeId;
  /** 0-based position in `nodes`. */
  index: number;
  nodes: readonly NodeId[];
  /** The address this node must listen on. */
  host: string;
  port: number;
  /** The node's data directory; it survives kill and restart, and is removed at `down`. */
  dataDir: string;
  /**
   * How this node reaches each peer: "host:port". Under the local backend
   * these are link-proxy listeners, one per ordered pair, so the controller
   * can cut or slow exactly that link.
   */
  peers: Readonly<Record<NodeId, string>>;
  /** The cluster preset's `options:` for this system. */
  options: Readonly<Record<string, unknown>>;
  runId: string;
}

/** A process to start: backends add the run id marker to env and argv. */
export interface NodeLaunch {
  command: string;
  args: string[];
  env?: Record<string, string>;
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
}

/** One client connection, bound to one node, used by one worker at a time. */
export interface Client {
  /** The node that served the last operation, if the client was redirected. */
  invoke(op: ClientOp, signal: AbortSignal): Promise<Completion>;
  close(): Promise<void>;
}

export interface ClientOptions {
  /** Per-operation timeout; beyond it the op completes as `info`. */
  timeoutMs: number;
  /** All nodes, for clients that follow redirects. */
  nodes: readonly NodeAddress[];
  /** Workload options (e.g. read mode). */
  options: Readonly<Record<string, unknown>>;
}

/** Status a system reports of one node, for the nemesis and the report. */
export interface NodeStatus {
  id: NodeId;
  role: string;
  term?: number;
  leader?: NodeId | null;
  [key: string]: unknown;
}

export interface System {
  readonly name: string;
  /** Workload client names it supports, e.g. ["register", "set"]. */
  readonly workloads: readonly string[];
  /** Checks the preset's options; throws a FaultlineError (FL_ERR_CONFIG) naming the bad key. */
  validateOptions?(options: Readonly<Record<string, unknown>>, nodeCount: number): void;
  launch(ctx: LaunchContext): NodeLaunch;
  /** Resolves once the node serves requests; rejects when the signal aborts. */
  ready(node: NodeAddress, signal: AbortSignal): Promise<void>;
  /** A client for a workload, bound to `node`. */
  openClient(workload: string, node: NodeAddress, options: ClientOptions): Promise<Client>;
  /** The current leader as the reachable nodes see it, or undefined (leaderless or none). */
  leader(nodes: readonly NodeAddress[], signal: AbortSignal): Promise<NodeId | undefined>;
  status?(node: NodeAddress, signal: AbortSignal): Promise<NodeStatus>;
  /** Shift the node's clock (ms offset, optional drift ppm) without root, if the system supports it. */
  setClock?(node: NodeAddress, offsetMs: number, signal: AbortSignal): Promise<void>;
}
