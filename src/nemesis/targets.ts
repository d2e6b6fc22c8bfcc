import type { Random } from '../base/random.ts';
import { deadlineSignal, sleep } from '../base/time.ts';
import type { NodeId } from '../systems/system.ts';
import type { NemesisContext } from './nemesis.ts';
import type { Target } from './spec.ts';

/**
 * The current leader, asking the system for a few seconds: right after a
 * failover an election may still be running. Undefined for leaderless
 * systems or when none emerges.
 */
export const findLeader = async (ctx: NemesisContext, patienceMs = 3000): Promise<NodeId | undefined> => {
  const deadline = performance.now() + patienceMs;
  const running = () => ctx.backend.addresses().filter((a) => ctx.backend.isRunning(a.id));
  do {
    const leader = await ctx.system.leader(running(), ctx.signal).catch(() => undefined);
    if (leader) return leader;
    await sleep(200, ctx.signal);
  } while (performance.now() < deadline && !ctx.signal.aborted);
  return undefined;
};

/** Roles that only the running cluster can answer; everything else a schedule fixes in advance. */
export const isRole = (target: Target): target is 'leader' | 'followers' =>
  target === 'leader' || target === 'followers';

/**
 * A target with its random choice made: `random`, `minority`, `majority`
 * and `all` become node lists (so a schedule replays the same nodes);
 * roles stay roles, resolved when the fault starts.
 */
export const chooseTarget = (target: Target, nodes: readonly NodeId[], rng: Random): Target => {
  if (Array.isArray(target) || isRole(target)) return Array.isArray(target) ? [...target] : target;
  const shuffled = rng.shuffle(nodes);
  switch (target) {
    case 'all':
      return [...nodes];
    case 'random':
      return [shuffled[0]!];
    case 'minority':
      return shuffled.slice(0, Math.max(1, Math.floor((nodes.length - 1) / 2))).sort();
    case 'majority':
      return shuffled.slice(0, Math.floor(nodes.length / 2) + 1).sort();
  }
};

/** Resolves a target to node ids. `note` says when a role could not be found and a random node was chosen. */
export const resolveTarget = async (
  ctx: NemesisContext,
  target: Target,
): Promise<{ targets: NodeId[]; note?: string }> => {
  const nodes = [...ctx.nodes];
  if (!isRole(target)) return { targets: chooseTarget(target, nodes, ctx.rng) as NodeId[] };
  const shuffled = ctx.rng.shuffle(nodes);
  switch (target) {
    case 'leader':
    case 'followers': {
      const leader = await findLeader(ctx);
      if (!leader) {
        return {
          targets: target === 'leader' ? [shuffled[0]!] : shuffled.slice(1).sort(),
          note: 'no leader found; chose at random',
        };
      }
      return { targets: target === 'leader' ? [leader] : nodes.filter((n) => n !== leader) };
    }
  }
};

/**
 * Nodes that call themselves leader right now, each asked separately (not
 * through the system's leader election view): under a partition with
 * unsafe failover there can be two. Recorded when a partition heals.
 */
export const claimedLeaders = async (ctx: NemesisContext): Promise<NodeId[] | undefined> => {
  const status = ctx.system.status;
  if (!status) return undefined;
  const running = ctx.backend.addresses().filter((a) => ctx.backend.isRunning(a.id));
  const { signal, clear } = deadlineSignal(ctx.signal, 1000);
  try {
    const roles = await Promise.all(
      running.map((a) =>
        status.call(ctx.system, a, signal).then(
          (s) => s.role,
          () => undefined,
        ),
      ),
    );
    return running.filter((_, i) => roles[i] === 'leader').map((a) => a.id);
  } finally {
    clear();
  }
};
