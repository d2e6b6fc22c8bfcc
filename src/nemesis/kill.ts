import { type FaultInjector, healOnce } from './nemesis.ts';
import type { FaultSpec } from './spec.ts';
import { resolveTarget } from './targets.ts';

/** SIGKILL the targets (no chance to flush); healing restarts them from their data dirs, unless another fault still holds them down. */
export const kill: FaultInjector<Extract<FaultSpec, { kind: 'kill' }>> = async (ctx, fault) => {
  const { targets, note } = await resolveTarget(ctx, fault.target);
  const release = await ctx.state.down(targets);
  return {
    kind: 'kill',
    value: { targets, ...(note ? { note } : {}) },
    heal: healOnce(async () => {
      await release();
      return { targets };
    }),
  };
};
