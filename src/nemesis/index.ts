import type { Recorder } from '../history/recorder.ts';
import { clock, clockDrift, clockStrobe } from './clock.ts';
import { withOperator } from './failover.ts';
import { kill } from './kill.ts';
import type { ActiveFault, FaultInjector, InjectorContext, NemesisContext } from './nemesis.ts';
import { partition } from './partition.ts';
import { pause } from './pause.ts';
import { rollingRestart } from './restart.ts';
import { shape } from './shape.ts';
import { encodeFault, type FaultSpec } from './spec.ts';
import { createFaultState, type FaultState } from './state.ts';

export type { ActiveFault, NemesisContext } from './nemesis.ts';

const INJECTORS: { [K in FaultSpec['kind']]: FaultInjector<Extract<FaultSpec, { kind: K }>> } = {
  kill,
  pause,
  partition,
  clock,
  'clock-strobe': clockStrobe,
  'clock-drift': clockDrift,
  'rolling-restart': rollingRestart,
  shape,
};

/** Which step of a schedule a fault is, recorded with its nemesis ops so windows and reports can tell overlapping faults apart. */
export interface StepRef {
  step: number;
}

/**
 * The nemesis: injects faults and heals them, recording each as a
 * `start-<kind>` / `stop-<kind>` pair of nemesis ops (invoke, then info —
 * Jepsen's convention: a nemesis op's outcome is information, not a claim).
 * Faults compose: several may be in place at once, and healing one leaves
 * the others (state.ts). `healAll` is for the end of the run and for
 * teardown: it heals whatever is still in place and never throws.
 */
export interface Nemesis {
  inject(fault: FaultSpec, ref?: StepRef): Promise<ActiveFault | undefined>;
  heal(active: ActiveFault): Promise<void>;
  healAll(): Promise<void>;
  /** Faults currently in place. */
  readonly active: readonly ActiveFault[];
  /** The composed state (what is down, paused, cut, skewed, shaped). */
  readonly state: FaultState;
}

export const createNemesis = (ctx: NemesisContext, recorder: Recorder): Nemesis => {
  const active: ActiveFault[] = [];
  const refs = new Map<ActiveFault, StepRef | undefined>();
  const state = createFaultState(ctx.backend, ctx.signal);
  const record = (type: 'invoke' | 'info', f: string, value: unknown, error?: string) =>
    recorder.record({ type, process: 'nemesis', f, value, ...(error ? { error } : {}) });
  // The step id first (readable) and last (no fault field may shadow it).
  const tagged = (ref: StepRef | undefined, value: Record<string, unknown>) =>
    ref ? Object.assign({ step: ref.step }, value, { step: ref.step }) : value;
  const injectorContext: InjectorContext = {
    ...ctx,
    state,
    event: (f, value) => {
      record('invoke', f, value);
      record('info', f, value);
    },
  };

  const heal = async (fault: ActiveFault): Promise<void> => {
    const i = active.indexOf(fault);
    if (i < 0) return;
    active.splice(i, 1);
    const ref = refs.get(fault);
    refs.delete(fault);
    record('invoke', `stop-${fault.kind}`, tagged(ref, fault.value));
    try {
      record('info', `stop-${fault.kind}`, tagged(ref, await fault.heal()));
    } catch (e) {
      record('info', `stop-${fault.kind}`, tagged(ref, fault.value), errorText(e));
      throw e;
    }
  };

  return {
    active,
    state,
    async inject(fault, ref) {
      record('invoke', `start-${fault.kind}`, tagged(ref, encodeFault(fault)));
      const injector = INJECTORS[fault.kind] as FaultInjector;
      try {
        // A system with an operator failover (failover.ts) gets to act once the fault is in place.
        const operated = withOperator(injectorContext, await injector(injectorContext, fault));
        const started = operated.fault;
        active.push(started);
        refs.set(started, ref);
        record('info', `start-${fault.kind}`, tagged(ref, started.value));
        await operated.failover();
        return started;
      } catch (e) {
        // It may have partly happened (one of two kills): record as info with the error.
        record('info', `start-${fault.kind}`, tagged(ref, encodeFault(fault)), errorText(e));
        if (ctx.signal.aborted) return undefined;
        throw e;
      }
    },
    heal,
    async healAll() {
      for (const fault of [...active].reverse()) await heal(fault).catch(() => {});
      // Whatever a failed heal left in place (a node that would not restart gets another try).
      await state.healAll().catch(() => {});
      await ctx.backend.heal().catch(() => {});
    },
  };
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
