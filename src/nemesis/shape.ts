import type { Link } from '../cluster/backend.ts';
import { type FaultInjector, healOnce } from './nemesis.ts';
import type { FaultSpec } from './spec.ts';
import { resolveTarget } from './targets.ts';

/** Slow or lossy links: every link to and from the targets. Healing removes this shape (others on the same links stay). */
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
  const release = await ctx.state.shape(links, shaped);
  return {
    kind: 'shape',
    value: { targets, ...shaped, ...(note ? { note } : {}) },
    heal: healOnce(async () => {
      await release();
      return { targets };
    }),
  };
};
