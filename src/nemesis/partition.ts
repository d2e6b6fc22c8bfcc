import type { Random } from '../base/random.ts';
import type { Grudge } from '../cluster/backend.ts';
import type { NodeId } from '../systems/system.ts';
import type { FaultInjector } from './nemesis.ts';
import type { FaultSpec } from './spec.ts';
import { claimedLeaders, findLeader } from './targets.ts';

/** A grudge that cuts every link between different components (each node drops traffic from the other sides). */
export const grudgeOf = (components: readonly (readonly NodeId[])[]): Record<NodeId, NodeId[]> => {
  const grudge: Record<NodeId, NodeId[]> = {};
  for (const side of components) {
    const others = components.filter((c) => c !== side).flat();
    for (const n of side) grudge[n] = [...others].sort();
  }
  return grudge;
};

/** Two random halves; with an odd count the first half is the smaller (a minority and a majority). */
export const halves = (nodes: readonly NodeId[], rng: Random): NodeId[][] => {
  const shuffled = rng.shuffle(nodes);
  const cut = Math.floor(nodes.length / 2);
  return [shuffled.slice(0, cut).sort(), shuffled.slice(cut).sort()];
};

/** One node alone, the rest together. */
export const isolate = (node: NodeId, nodes: readonly NodeId[]): NodeId[][] => [
  [node],
  nodes.filter((n) => n !== node),
];

/**
 * Jepsen's majorities ring: each node sees only its neighbours on a random
 * ring, so every node believes it is in a majority (with 5 nodes) but no two
 * agree on which. Not a set of components, so built directly.
 */
export const ringGrudge = (nodes: readonly NodeId[], rng: Random): Record<NodeId, NodeId[]> => {
  const ring = rng.shuffle(nodes);
  const n = ring.length;
  const grudge: Record<NodeId, NodeId[]> = {};
  ring.forEach((node, i) => {
    const near = new Set([ring[(i + 1) % n]!, ring[(i + n - 1) % n]!, node]);
    grudge[node] = nodes.filter((m) => !near.has(m)).sort();
  });
  return grudge;
};

const describe = (components: readonly (readonly NodeId[])[]): string => components.map((c) => c.join(' ')).join(' | ');

/** Cut the network as the grudge says; healing removes every cut. */
export const partition: FaultInjector<Extract<FaultSpec, { kind: 'partition' }>> = async (ctx, fault) => {
  let grudge: Grudge;
  let description: string;
  let note: string | undefined;
  const spec = fault.grudge;
  if (typeof spec === 'object') {
    grudge = spec;
    description = 'explicit grudge';
  } else if (spec === 'ring') {
    grudge = ringGrudge(ctx.nodes, ctx.rng);
    description = 'majorities ring';
  } else {
    let components: NodeId[][];
    if (spec === 'halves') components = halves(ctx.nodes, ctx.rng);
    else {
      let victim = spec === 'isolate-leader' ? await findLeader(ctx) : undefined;
      if (spec === 'isolate-leader' && !victim) note = 'no leader found; isolated a random node';
      victim ??= ctx.rng.pick(ctx.nodes);
      components = isolate(victim, ctx.nodes);
    }
    grudge = grudgeOf(components);
    description = `${spec}: ${describe(components)}`;
  }
  await ctx.backend.partition(grudge);
  let healed = false;
  return {
    kind: 'partition',
    value: { grudge, description, ...(note ? { note } : {}) },
    async heal() {
      if (healed) return {};
      // Who thought they led while the network was cut: two leaders is split brain.
      const leaders = await claimedLeaders(ctx);
      await ctx.backend.heal();
      healed = true;
      return leaders ? { leadersBeforeHeal: leaders } : {};
    },
  };
};
