import type { FaultInjector } from './nemesis.ts';
import type { FaultSpec } from './spec.ts';
import { resolveTarget } from './targets.ts';

/** SIGSTOP the targets: alive but silent, like a long GC pause; healing sends SIGCONT. */
export const pause: FaultInjector<Extract<FaultSpec, { kind: 'pause' }>> = async (ctx, fault) => {
  const { targets, note } = await resolveTarget(ctx, fault.target);
  await Promise.all(targets.map((n) => ctx.backend.pause(n)));
  let healed = false;
  return {
    kind: 'pause',
    value: { targets, ...(note ? { note } : {}) },
    async heal() {
      if (!healed) await Promise.all(targets.map((n) => ctx.backend.resume(n)));
      healed = true;
      return { targets };
    },
  };
};
