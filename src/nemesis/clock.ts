import type { FaultInjector } from './nemesis.ts';
import type { FaultSpec } from './spec.ts';
import { resolveTarget } from './targets.ts';

/** Skew the targets' clocks by `offset` ms (through the system's admin API: no root); healing resets them. */
export const clock: FaultInjector<Extract<FaultSpec, { kind: 'clock' }>> = async (ctx, fault) => {
  const { targets, note } = await resolveTarget(ctx, fault.target);
  await Promise.all(targets.map((n) => ctx.backend.clock(n, fault.offset)));
  let healed = false;
  return {
    kind: 'clock',
    value: { targets, offsetMs: fault.offset, ...(note ? { note } : {}) },
    async heal() {
      if (!healed) await Promise.all(targets.map((n) => ctx.backend.clock(n, 0)));
      healed = true;
      return { targets, offsetMs: 0 };
    },
  };
};
