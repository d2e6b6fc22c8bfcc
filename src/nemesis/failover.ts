import type { Grudge } from '../net/links.ts';
import type { NodeId, OperatorContext } from '../systems/system.ts';
import type { ActiveFault, NemesisContext } from './nemesis.ts';

/**
 * The operator, for systems that do not elect their own leader (PostgreSQL
 * streaming replication): right after a fault takes nodes away, a system
 * with `failover` is asked to act as Patroni or a human would — fence the
 * lost primary, promote the best standby, repoint the others — and each
 * step it takes is recorded as a nemesis event. The nodes it fenced stay
 * down while the fault lasts and are started again when it heals (the
 * system's `rejoin` then brings a former primary back as a standby).
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

/** A failover step, recorded as a nemesis event `f` with `value`. */
export type RecordStep = (f: string, value: Record<string, unknown>, error?: string) => void;

/**
 * Wraps an injected fault for a system with `failover`: `failover()` runs
 * the operator (never throws: a failed failover is recorded as the
 * `failover-error` event, and the fault stays in place to be healed), and
 * the returned fault's heal also starts the nodes the operator fenced.
 */
export const withOperator = (
  ctx: NemesisContext,
  fault: ActiveFault,
  record: RecordStep,
): { fault: ActiveFault; failover: () => Promise<void> } => {
  const failoverOf = ctx.system.failover;
  const lost = lostNodes(fault, ctx.nodes);
  if (!failoverOf || lost.length === 0) return { fault, failover: async () => {} };
  const fenced = new Set<NodeId>();
  const operator: OperatorContext = {
    nodes: ctx.backend.addresses(),
    lost,
    running: () => ctx.nodes.filter((n) => ctx.backend.isRunning(n)),
    fence: async (node) => {
      if (ctx.backend.isRunning(node)) fenced.add(node);
      await ctx.backend.kill(node);
    },
    step: (f, value) => record(f, value),
    signal: ctx.signal,
  };
  return {
    fault: {
      kind: fault.kind,
      value: fault.value,
      async heal() {
        const healed = await fault.heal();
        const restart = [...fenced].filter((n) => !ctx.backend.isRunning(n));
        await Promise.all(restart.map((n) => ctx.backend.start(n, ctx.signal)));
        fenced.clear();
        return restart.length > 0 ? { ...healed, restartedFenced: restart } : healed;
      },
    },
    failover: async () => {
      try {
        await failoverOf.call(ctx.system, operator);
      } catch (e) {
        if (!ctx.signal.aborted) record('failover-error', { lost }, e instanceof Error ? e.message : String(e));
      }
    },
  };
};
