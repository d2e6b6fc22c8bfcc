import { sleep } from '../base/time.ts';
import type { NodeId } from '../systems/system.ts';
import { type FaultInjector, healOnce } from './nemesis.ts';
import type { FaultSpec } from './spec.ts';
import { resolveTarget } from './targets.ts';

/**
 * A rolling restart: each target in turn is SIGKILLed, stays down for
 * `downtime`, is restarted and waited for until ready, then the next —
 * never two down at once (from this fault). Each node's restart is
 * recorded as a `restart-node` nemesis event with its downtime. Healing
 * stops the roll: a node down at that moment comes back, the rest are
 * skipped (and listed).
 */
export const rollingRestart: FaultInjector<Extract<FaultSpec, { kind: 'rolling-restart' }>> = async (ctx, fault) => {
  const { targets, note } = await resolveTarget(ctx, fault.target);
  const halt = new AbortController();
  const onAbort = () => halt.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const restarted: NodeId[] = [];
  let current: (() => Promise<void>) | undefined;
  const roll = (async () => {
    for (const node of targets) {
      if (halt.signal.aborted) return;
      const began = performance.now();
      current = await ctx.state.down([node]);
      await sleep(fault.downtime, halt.signal);
      const release = current;
      current = undefined;
      await release();
      restarted.push(node);
      ctx.event('restart-node', { node, downMs: Math.round(performance.now() - began) });
    }
  })();
  // A failure shows at heal; don't let it go unhandled meanwhile.
  roll.catch(() => {});
  return {
    kind: 'rolling-restart',
    value: { targets, downtimeMs: fault.downtime, ...(note ? { note } : {}) },
    heal: healOnce(async () => {
      halt.abort();
      ctx.signal.removeEventListener('abort', onAbort);
      try {
        await roll;
      } finally {
        await current?.();
      }
      return { targets, restarted, skipped: targets.filter((n) => !restarted.includes(n)) };
    }),
  };
};
