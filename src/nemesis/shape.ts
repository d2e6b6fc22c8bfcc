import type { Link } from '../cluster/backend.ts';
import type { FaultInjector } from './nemesis.ts';
import type { FaultSpec } from './spec.ts';
import { resolveTarget } from './targets.ts';

/** Slow or lossy links: every link to and from the targets. Healing restores them. */
export const shape: FaultInjector<Extract<FaultSpec, { kind: 'shape' }>> = async (ctx, fault) => {
  const { targets, note } = await resolveTarget(ctx, fault.target);
  const links: Link[] = [];
  for (const from of ctx.nodes) {
    for (const to of ctx.nodes) {
      if (from !== to && (targets.includes(from) || targets.includes(to))) links.push({ from, to });
    }
  }
  const shaped = {
    ...(fault.delay !== undefined ? { delayMs: fault.delay } : {}),
    ...(fault.jitter !== undefined ? { jitterMs: fault.jitter } : {}),
    ...(fault.loss !== undefined ? { loss: fault.loss } : {}),
  };
  await ctx.backend.shape(links, shaped);
  let healed = false;
  return {
    kind: 'shape',
    value: { targets, ...shaped, ...(note ? { note } : {}) },
    async heal() {
      if (!healed) await ctx.backend.heal();
      healed = true;
      return { targets };
    },
  };
};
