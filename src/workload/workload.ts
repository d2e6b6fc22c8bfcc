import type { Random } from '../base/random.ts';
import type { CheckerName } from '../checker/index.ts';
import type { OpSource } from '../generator/source.ts';
import type { Recorder } from '../history/recorder.ts';
import type { Client, NodeAddress } from '../systems/system.ts';
import type { FinalMode, ResolvedWorkload, WorkloadPreset } from './spec.ts';

/**
 * A workload is one module: the operations it issues (its contract with a
 * system's client), an op source per worker, its final phase, its default
 * checkers and model. The registry (index.ts) knows them by name; the
 * orchestrator calls these hooks and knows no workload by name, so a new
 * workload is one file here plus a preset in workloads/.
 */
export interface Workload {
  /** The name a preset's `client:` uses. */
  readonly name: string;
  /** The client it asks a system for (System.workloads lists those a system has); default: its name. */
  readonly client?: string;
  /** One line: what it exercises. */
  readonly description: string;
  /** Operations its op source issues (a preset's `mix` keys), and each one's contract with the client. */
  readonly ops: Readonly<Record<string, string>>;
  /** Checkers when the preset lists none. */
  readonly checkers: readonly CheckerName[];
  /** Model for the linearizable checker when the preset names none. */
  readonly model?: string;
  /** Final phases it supports; the first is the default. */
  readonly finals: readonly FinalMode[];
  /** The op source of worker `worker` of `concurrency`, seeded by `rng`. */
  opSource(preset: WorkloadPreset, rng: Random, worker: number, concurrency: number): OpSource;
  /** After healing (preset `final` not none): e.g. read every node's own state. */
  finalPhase(ctx: FinalPhaseContext): Promise<void>;
  /** Options the system's client needs beyond the preset's `options` (bank: the accounts). */
  clientOptions?(preset: WorkloadPreset): Record<string, unknown>;
  /** Options for its checkers (`CheckContext.options`), from the preset. */
  checkerOptions?(preset: WorkloadPreset): Record<string, unknown>;
  /** Cross-checks of the preset beyond its schema; throws an Error naming the key path (`path`). */
  validate?(preset: WorkloadPreset): void;
}

/** What the orchestrator hands a workload's final phase. */
export interface FinalPhaseContext {
  preset: ResolvedWorkload;
  /** Every node, in order. */
  addresses: readonly NodeAddress[];
  /**
   * A client bound to `node`. `localReads`: reads answer from that node's own
   * state whatever its role (how each node's settled state is read).
   */
  open(node: NodeAddress, options?: { localReads?: boolean }): Promise<Client>;
  recorder: Recorder;
  /** The run's interrupt. */
  signal: AbortSignal;
  opTimeoutMs: number;
  quiesceMs: number;
}

/** An error in a workload preset, at a key path (resolve.ts adds the file and line). */
export class WorkloadPresetError extends Error {
  constructor(
    message: string,
    readonly path: readonly (string | number)[],
    readonly hint?: string,
  ) {
    super(message);
  }
}
