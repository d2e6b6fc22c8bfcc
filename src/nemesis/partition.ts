import type { Random } from '../base/random.ts';
import type { Grudge } from '../cluster/backend.ts';
import type { NodeId } from '../systems/system.ts';
import {
  bridge,
  bridgeGrudge,
  deafGrudge,
  describeComponents,
  grudgeOf,
  halves,
  isolateGrudge,
  muteGrudge,
  ringGrudge,
} from './grudges.ts';
import { type FaultInjector, healOnce } from './nemesis.ts';
import type { FaultSpec, Target } from './spec.ts';
import { chooseTarget, claimedLeaders, resolveTarget } from './targets.ts';

// Grudge builders live in grudges.ts; re-exported where callers found them before.
export { grudgeOf, halves, isolate, ringGrudge } from './grudges.ts';

type PartitionFault = Extract<FaultSpec, { kind: 'partition' }>;

/**
 * A partition with its random choices made, for a schedule: halves,
 * bridge and ring become explicit grudges (with a label saying what they
 * are); isolate, mute and deaf keep their shape with the target chosen
 * (a role such as `leader` stays a role, found when the fault starts).
 */
export const choosePartition = (fault: PartitionFault, nodes: readonly NodeId[], rng: Random): PartitionFault => {
  const g = fault.grudge;
  if (typeof g === 'object') return fault;
  const explicit = (grudge: Record<NodeId, NodeId[]>, label: string): PartitionFault => ({
    kind: 'partition',
    grudge,
    label,
  });
  switch (g) {
    case 'halves': {
      const sides = halves(nodes, rng);
      return explicit(grudgeOf(sides), `halves: ${describeComponents(sides)}`);
    }
    case 'bridge': {
      const b = bridge(nodes, rng);
      return explicit(bridgeGrudge(b.sides), `bridge ${b.bridge}: ${describeComponents(b.sides)}`);
    }
    case 'ring':
    case 'majorities-ring':
      return explicit(ringGrudge(nodes, rng), 'majorities ring');
    case 'isolate-leader':
      return { kind: 'partition', grudge: 'isolate', target: 'leader' };
    case 'isolate-random':
      return { kind: 'partition', grudge: 'isolate', target: chooseTarget('random', nodes, rng) };
    case 'isolate':
    case 'mute':
    case 'deaf':
      return { kind: 'partition', grudge: g, target: chooseTarget(fault.target ?? 'random', nodes, rng) };
  }
};

/** The grudge of a partition fault, resolving its target on the running cluster if it names a role. */
const grudgeFor = async (
  ctx: Parameters<FaultInjector>[0],
  fault: PartitionFault,
): Promise<{ grudge: Grudge; description: string; targets?: NodeId[]; note?: string }> => {
  const planned = choosePartition(fault, ctx.nodes, ctx.rng);
  const g = planned.grudge;
  if (typeof g === 'object') return { grudge: g, description: planned.label ?? 'explicit grudge' };
  const { targets, note } = await resolveTarget(ctx, (planned.target ?? 'random') as Target);
  const others = ctx.nodes.filter((n) => !targets.includes(n));
  switch (g) {
    case 'mute':
      return {
        grudge: muteGrudge(targets, ctx.nodes),
        description: `mute ${targets.join(' ')}`,
        targets,
        ...(note ? { note } : {}),
      };
    case 'deaf':
      return {
        grudge: deafGrudge(targets, ctx.nodes),
        description: `deaf ${targets.join(' ')}`,
        targets,
        ...(note ? { note } : {}),
      };
    default:
      return {
        grudge: isolateGrudge(targets, ctx.nodes),
        description: `isolate ${describeComponents([...targets.map((t) => [t]), others])}`,
        targets,
        ...(note ? { note } : {}),
      };
  }
};

/** Cut the network as the grudge says, on top of any other cut in place; healing lifts this one only. */
export const partition: FaultInjector<PartitionFault> = async (ctx, fault) => {
  const { grudge, description, targets, note } = await grudgeFor(ctx, fault);
  const release = await ctx.state.cut(grudge);
  return {
    kind: 'partition',
    value: { grudge, description, ...(targets ? { targets } : {}), ...(note ? { note } : {}) },
    heal: healOnce(async () => {
      // Who thought they led while the network was cut: two leaders is split brain.
      const leaders = await claimedLeaders(ctx);
      await release();
      return leaders ? { leadersBeforeHeal: leaders } : {};
    }),
  };
};
