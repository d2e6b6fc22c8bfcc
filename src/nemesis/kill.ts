import type { FaultInjector } from './nemesis.ts';
import type { FaultSpec } from './spec.ts';
import { resolveTarget } from './targets.ts';

/** SIGKILL the targets (no chance to flush); healing restarts them from their data dirs. */
export const kill: FaultInjector<Extract<FaultSpec, { kind: 'kill' }>> = async (ctx, fault) => {
  const { targets, note } = await resolveTarget(ctx, fault.target);
  await Promise.all(targets.map((n) => ctx.backend.kill(n)));
  let healed = false;
  return {
    kind: 'kill',
    value: { targets, ...(note ? { note } : {}) },
    async heal() {
      if (!healed) await Promise.all(targets.map((n) => ctx.backend.start(n, ctx.signal)));
      healed = true;
      return { targets };
    },
  };
};
