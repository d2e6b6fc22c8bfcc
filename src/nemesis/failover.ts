import type { Grudge } from '../net/links.ts';
import type { NodeId, OperatorContext } from '../systems/system.ts';
import { type ActiveFault, healOnce, type InjectorContext } from './nemesis.ts';
import type { Release } from './state.ts';

/**
 * The operator, for systems that do not elect their own leader (PostgreSQL
 * streaming replication): right after a fault takes nodes away, a system
 * with `failover` is asked to act as Patroni or a human would — fence the
 * lost primary, promote the best standby, repoint the others — and each
 * step it takes is recorded as a nemesis event. A fence holds the node down
 * in the composed fault state (state.ts) while the fault lasts; when the
 * fault heals the hold is released and the node starts again, unless
 * another fault still holds it (the system's `rejoin` then brings a former
 * primary back as a standby).
 *
 * This is the only place the nemesis calls an operator; the rest of the
 * nemesis knows nothing about it.
 */

/**
 * The nodes a fault took away, as an operator's health checks would see
 * them: the targets of a kill or a pause; for a partition, every node that
 * can no longer reach a majority of the cluster (itself included), which is
 * what a consensus store such as etcd under Patroni decides by. A majorities
 * ring loses nobody.
 */
export const lostNodes = (fault: ActiveFault, nodes: readonly NodeId[]): NodeId[] => {
  const value = fault.value as { targets?: unknown; grudge?: unknown };
  if (fault.kind === 'kill' || fault.kind === 'pause') {
    return Array.isArray(value.targets) ? value.targets.filter((t): t is NodeId => typeof t === 'string') : [];
  }
  if (fault.kind === 'partition' && value.grudge && typeof value.grudge === 'object') {
    const grudge = value.grudge as Grudge;
    const majority = Math.floor(nodes.length / 2) + 1;
    return nodes.filter((n) => {
      const reachable = nodes.filter((m) => m === n || !(grudge[n]?.includes(m) || grudge[m]?.includes(n)));
      return reachable.length < majority;
    });
  }
  return [];
};

/**
 * Wraps an injected fault for a system with `failover`: `failover()` runs
 * the operator (never throws: a failed failover is recorded as the
 * `failover-error` event, and the fault stays in place to be healed), and
 * the returned fault's heal also releases the nodes the operator fenced.
 */
export const withOperator = (
  ctx: InjectorContext,
  fault: ActiveFault,
): { fault: ActiveFault; failover: () => Promise<void> } => {
  const failoverOf = ctx.system.failover;
  const lost = lostNodes(fault, ctx.nodes);
  if (!failoverOf || lost.length === 0) return { fault, failover: async () => {} };
  const fenced: { node: NodeId; release: Release }[] = [];
  const operator: OperatorContext = {
    nodes: ctx.backend.addresses(),
    lost,
    running: () => ctx.nodes.filter((n) => ctx.backend.isRunning(n)),
    fence: async (node) => {
      fenced.push({ node, release: await ctx.state.down([node]) });
    },
    step: (f, value) => ctx.event(f, value),
    signal: ctx.signal,
  };
  return {
    fault: {
      kind: fault.kind,
      value: fault.value,
      heal: healOnce(async () => {
        const healed = await fault.heal();
        for (const f of fenced) await f.release();
        const nodes = [...new Set(fenced.map((f) => f.node))];
        return nodes.length > 0 ? { ...healed, releasedFenced: nodes } : healed;
      }),
    },
    failover: async () => {
      try {
        await failoverOf.call(ctx.system, operator);
      } catch (e) {
        if (!ctx.signal.aborted)
          ctx.event('failover-error', { lost, error: e instanceof Error ? e.message : String(e) });
      }
    },
  };
};
