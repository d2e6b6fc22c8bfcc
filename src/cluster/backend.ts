import type { NodeId } from '../base/ids.ts';
import type { Grudge, Link, LinkShape } from '../net/links.ts';
import type { LaunchContext, NodeAddress, System } from '../systems/system.ts';
import type { ClockSetting } from './faketime.ts';

/**
 * A backend says *where* a system's nodes run (local processes, Docker
 * containers) and how faults reach them. The orchestrator knows backends
 * only through this interface and the registry (registry.ts).
 */

/** The faults a backend may be able to inject. */
export type FaultKind = 'kill' | 'pause' | 'partition' | 'delay' | 'loss' | 'clock';

/**
 * What a backend can inject for one system: `true`, or the reason it cannot
 * (a sentence naming the alternative), shown before a run starts.
 */
export type Capabilities = Readonly<Record<FaultKind, true | string>>;

export interface ClusterSpec {
  runId: string;
  system: System;
  nodes: readonly NodeId[];
  options: Readonly<Record<string, unknown>>;
  /** Directory for data dirs and logs of this run (made by the caller, removed by it). */
  workDir: string;
  /**
   * The fault kinds the run may inject, so a backend prepares only what they
   * need (libfaketime preloaded for clock faults, firewall chains for
   * partitions). Undefined: prepare for every kind.
   */
  faults?: readonly FaultKind[];
  /** The image to run the system's binaries from (cluster preset `image:`); backends without images ignore it. */
  image?: string;
}

/** Whether a run plans faults of this kind (every kind when the spec does not say). */
export const plansFault = (spec: Pick<ClusterSpec, 'faults'>, kind: FaultKind): boolean =>
  spec.faults === undefined || spec.faults.includes(kind);

export interface NodeLogs {
  [node: NodeId]: string; // path of the node's combined stdout/stderr log
}

/**
 * Starts and stops a system's nodes and injects faults into them. Every
 * method is idempotent where that makes sense (heal twice is fine), and
 * `down` always leaves nothing behind — processes, containers, networks,
 * firewall rules, proxies.
 */
export interface Backend {
  readonly name: string;
  /** Start every node (setup steps first) and wait until each is ready. */
  up(spec: ClusterSpec, signal: AbortSignal): Promise<void>;
  /** Where clients reach each node. Valid after `up`. */
  addresses(): readonly NodeAddress[];
  /** (Re)start a node that was killed or stopped, from its data dir. */
  start(node: NodeId, signal: AbortSignal): Promise<void>;
  /** SIGKILL every process of the node: no chance to flush. */
  kill(node: NodeId): Promise<void>;
  /** Freeze every process of the node (SIGSTOP, the cgroup freezer). */
  pause(node: NodeId): Promise<void>;
  resume(node: NodeId): Promise<void>;
  /** Replace the current partition with this grudge. */
  partition(grudge: Grudge): Promise<void>;
  /** Remove every partition and link shape. */
  heal(): Promise<void>;
  shape(links: readonly Link[], shape: LinkShape): Promise<void>;
  /**
   * Shift the wall clock the node's processes read by `offsetMs` (0
   * restores it); or, with a ClockSetting, also make it run at `rate` from
   * now on (a drift; through libfaketime only, not a system's setClock).
   * A change applies at once, during the run, and survives restarts.
   */
  clock(node: NodeId, setting: number | ClockSetting): Promise<void>;
  /** Whether a node's processes are running (not killed). */
  isRunning(node: NodeId): boolean;
  logs(): NodeLogs;
  /** Stop everything and remove what `up` created, except logs (copied into the run folder first). */
  down(options?: { keepLogsIn?: string }): Promise<void>;
}

export type { ClockSetting, Grudge, LaunchContext, Link, LinkShape };
