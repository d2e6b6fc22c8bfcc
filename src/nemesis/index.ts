import type { Recorder } from '../history/recorder.ts';
import { clock } from './clock.ts';
import { withOperator } from './failover.ts';
import { kill } from './kill.ts';
import type { ActiveFault, FaultInjector, NemesisContext } from './nemesis.ts';
import { partition } from './partition.ts';
import { pause } from './pause.ts';
import { shape } from './shape.ts';
import type { FaultSpec } from './spec.ts';

export type { ActiveFault, NemesisContext } from './nemesis.ts';

const INJECTORS: { [K in FaultSpec['kind']]: FaultInjector<Extract<FaultSpec, { kind: K }>> } = {
  kill,
  pause,
  partition,
  clock,
  shape,
};

/**
 * The nemesis: injects faults and heals them, recording each as a
 * `start-<kind>` / `stop-<kind>` pair of nemesis ops (invoke, then info —
 * Jepsen's convention: a nemesis op's outcome is information, not a claim).
 * `healAll` is for the end of the run and for teardown: it heals whatever
 * is still in place and never throws.
 */
export interface Nemesis {
  inject(fault: FaultSpec): Promise<ActiveFault | undefined>;
  heal(active: ActiveFault): Promise<void>;
  healAll(): Promise<void>;
  /** Faults currently in place. */
  readonly active: readonly ActiveFault[];
}

export const createNemesis = (ctx: NemesisContext, recorder: Recorder): Nemesis => {
  const active: ActiveFault[] = [];
  const record = (type: 'invoke' | 'info', f: string, value: unknown, error?: string) =>
    recorder.record({ type, process: 'nemesis', f, value, ...(error ? { error } : {}) });

  const heal = async (fault: ActiveFault): Promise<void> => {
    const i = active.indexOf(fault);
    if (i < 0) return;
    active.splice(i, 1);
    record('invoke', `stop-${fault.kind}`, fault.value);
    try {
      record('info', `stop-${fault.kind}`, await fault.heal());
    } catch (e) {
      record('info', `stop-${fault.kind}`, fault.value, errorText(e));
      throw e;
    }
  };

  return {
    active,
    async inject(fault) {
      record('invoke', `start-${fault.kind}`, fault);
      const injector = INJECTORS[fault.kind] as FaultInjector;
      try {
        // A system with an operator failover (failover.ts) gets to act once the fault is in place.
        const operated = withOperator(ctx, await injector(ctx, fault), (f, value, error) =>
          record('info', f, value, error),
        );
        const started = operated.fault;
        active.push(started);
        record('info', `start-${fault.kind}`, started.value);
        await operated.failover();
        return started;
      } catch (e) {
        // It may have partly happened (one of two kills): record as info with the error.
        record('info', `start-${fault.kind}`, fault, errorText(e));
        if (ctx.signal.aborted) return undefined;
        throw e;
      }
    },
    heal,
    async healAll() {
      for (const fault of [...active].reverse()) await heal(fault).catch(() => {});
      await ctx.backend.heal().catch(() => {});
    },
  };
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
