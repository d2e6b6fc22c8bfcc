import type { NodeId } from '../base/ids.ts';
import type { Grudge, Link, LinkShape } from '../net/links.ts';
import type { LaunchContext, NodeAddress, System } from '../systems/system.ts';

/** The faults a backend may be able to inject. */
export type FaultKind = 'kill' | 'pause' | 'partition' | 'delay' | 'loss' | 'clock';

export interface ClusterSpec {
  runId: string;
  system: System;
  nodes: readonly NodeId[];
  options: Readonly<Record<string, unknown>>;
  /** Directory for data dirs and logs of this run. */
  workDir: string;
}

export interface NodeLogs {
  [node: NodeId]: string; // path of the node's combined stdout/stderr log
}

/**
 * Starts and stops a system's nodes and injects faults into them. Every
 * method is idempotent where that makes sense (heal twice is fine), and
 * `down` always leaves nothing behind — processes, proxies, temp dirs.
 */
export interface Backend {
  readonly name: string;
  /** Faults this backend can inject; checked before a run starts. */
  readonly capabilities: ReadonlySet<FaultKind>;
  /** Start every node and wait until each is ready. */
  up(spec: ClusterSpec, signal: AbortSignal): Promise<void>;
  /** Where clients reach each node. Valid after `up`. */
  addresses(): readonly NodeAddress[];
  /** (Re)start a node that was killed or stopped, from its data dir. */
  start(node: NodeId, signal: AbortSignal): Promise<void>;
  /** SIGKILL: no chance to flush. */
  kill(node: NodeId): Promise<void>;
  pause(node: NodeId): Promise<void>;
  resume(node: NodeId): Promise<void>;
  /** Replace the current partition with this grudge. */
  partition(grudge: Grudge): Promise<void>;
  /** Remove every partition and link shape. */
  heal(): Promise<void>;
  shape(links: readonly Link[], shape: LinkShape): Promise<void>;
  clock(node: NodeId, offsetMs: number): Promise<void>;
  /** Whether a node's process is running (not killed). */
  isRunning(node: NodeId): boolean;
  logs(): NodeLogs;
  /** Stop everything and remove what `up` created, except logs (copied into the run folder first). */
  down(options?: { keepLogsIn?: string }): Promise<void>;
}

export type { Grudge, LaunchContext, Link, LinkShape };
