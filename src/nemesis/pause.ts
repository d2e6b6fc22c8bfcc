import { type FaultInjector, healOnce } from './nemesis.ts';
import type { FaultSpec } from './spec.ts';
import { resolveTarget } from './targets.ts';

/** SIGSTOP the targets: alive but silent, like a long GC pause; healing sends SIGCONT (unless another pause still holds them). */
export const pause: FaultInjector<Extract<FaultSpec, { kind: 'pause' }>> = async (ctx, fault) => {
  const { targets, note } = await resolveTarget(ctx, fault.target);
  const release = await ctx.state.pause(targets);
  return {
    kind: 'pause',
    value: { targets, ...(note ? { note } : {}) },
    heal: healOnce(async () => {
      await release();
      return { targets };
    }),
  };
};
