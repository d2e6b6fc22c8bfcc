import type { Random } from '../base/random.ts';
import type { Backend } from '../cluster/backend.ts';
import type { NodeId, System } from '../systems/system.ts';
import type { FaultSpec } from './spec.ts';
import type { FaultState } from './state.ts';

/** What a fault needs to act on the cluster. */
export interface NemesisContext {
  backend: Backend;
  system: System;
  nodes: readonly NodeId[];
  /** For choices a schedule left open (a `random` target injected directly); planned steps carry theirs. */
  rng: Random;
  signal: AbortSignal;
}

/** What an injector gets: the context, the composed fault state, and a way to record what it does along the way. */
export interface InjectorContext extends NemesisContext {
  state: FaultState;
  /** Record an event of a running fault (a rolling restart's node coming back) as a nemesis op. */
  event(f: string, value: Record<string, unknown>): void;
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
export type FaultInjector<F extends FaultSpec = FaultSpec> = (ctx: InjectorContext, fault: F) => Promise<ActiveFault>;

/** A heal that runs once; later calls get the first outcome. */
export const healOnce = (fn: () => Promise<Record<string, unknown>>): (() => Promise<Record<string, unknown>>) => {
  let done: Promise<Record<string, unknown>> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
};
