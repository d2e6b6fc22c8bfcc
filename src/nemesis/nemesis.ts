import type { Random } from '../base/random.ts';
import type { Backend } from '../cluster/backend.ts';
import type { NodeId, System } from '../systems/system.ts';
import type { FaultSpec } from './spec.ts';

/** What a fault needs to act on the cluster. */
export interface NemesisContext {
  backend: Backend;
  system: System;
  nodes: readonly NodeId[];
  rng: Random;
  signal: AbortSignal;
}

/** A fault in place: what was done (recorded in the history) and how to undo it. */
export interface ActiveFault {
  kind: FaultSpec['kind'];
  /** Recorded as the value of the `start-<kind>` completion. */
  value: Record<string, unknown>;
  /** Undo the fault; returns the value recorded with `stop-<kind>`. Idempotent. */
  heal(): Promise<Record<string, unknown>>;
}

/** One kind of fault. */
export type FaultInjector<F extends FaultSpec = FaultSpec> = (ctx: NemesisContext, fault: F) => Promise<ActiveFault>;
