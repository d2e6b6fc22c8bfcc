import type { Random } from '../base/random.ts';
import type { Grudge } from '../net/links.ts';
import type { NodeId } from '../systems/system.ts';

/**
 * Grudge builders, pure: each node maps to the nodes whose traffic it drops
 * (Jepsen's grudge). The partition fault and the planner both use them.
 */

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

/** Each target alone, the rest together. */
export const isolateGrudge = (targets: readonly NodeId[], nodes: readonly NodeId[]): Record<NodeId, NodeId[]> =>
  grudgeOf([...targets.map((t) => [t]), nodes.filter((n) => !targets.includes(n))].filter((c) => c.length > 0));

/** The targets hear everyone but nobody hears them: every other node drops their traffic. */
export const muteGrudge = (targets: readonly NodeId[], nodes: readonly NodeId[]): Record<NodeId, NodeId[]> => {
  const grudge: Record<NodeId, NodeId[]> = {};
  for (const n of nodes) {
    const dropped = targets.filter((t) => t !== n);
    if (dropped.length > 0) grudge[n] = [...dropped].sort();
  }
  return grudge;
};

/** The targets are heard by everyone but hear nobody: they drop everyone's traffic. */
export const deafGrudge = (targets: readonly NodeId[], nodes: readonly NodeId[]): Record<NodeId, NodeId[]> => {
  const grudge: Record<NodeId, NodeId[]> = {};
  for (const t of targets) grudge[t] = nodes.filter((n) => n !== t).sort();
  return grudge;
};

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

/**
 * Jepsen's bridge: two halves that cannot see each other, and one node that
 * sees both — so each half may think it reaches a majority through it.
 */
export const bridge = (nodes: readonly NodeId[], rng: Random): { sides: NodeId[][]; bridge: NodeId } => {
  const shuffled = rng.shuffle(nodes);
  const via = shuffled[0]!;
  const rest = shuffled.slice(1);
  const cut = Math.floor(rest.length / 2);
  return { sides: [rest.slice(0, cut).sort(), rest.slice(cut).sort()], bridge: via };
};

export const bridgeGrudge = (sides: readonly (readonly NodeId[])[]): Record<NodeId, NodeId[]> => grudgeOf(sides);

/** The union of grudges: a node drops traffic from anyone any of them says. */
export const unionGrudge = (grudges: readonly Grudge[]): Record<NodeId, NodeId[]> => {
  const out = new Map<NodeId, Set<NodeId>>();
  for (const g of grudges) {
    for (const [receiver, senders] of Object.entries(g)) {
      for (const s of senders) {
        if (s === receiver) continue;
        const set = out.get(receiver) ?? new Set<NodeId>();
        set.add(s);
        out.set(receiver, set);
      }
    }
  }
  const grudge: Record<NodeId, NodeId[]> = {};
  for (const receiver of [...out.keys()].sort()) grudge[receiver] = [...out.get(receiver)!].sort();
  return grudge;
};

/** Whether a grudge cuts nothing. */
export const isEmptyGrudge = (g: Grudge): boolean => Object.entries(g).every(([r, s]) => s.every((x) => x === r));

/** "n1 | n2 n3" */
export const describeComponents = (components: readonly (readonly NodeId[])[]): string =>
  components.map((c) => c.join(' ')).join(' | ');

/** Every node named in a grudge (as receiver or sender). */
export const grudgeNodes = (g: Grudge): NodeId[] => {
  const s = new Set<NodeId>();
  for (const [r, senders] of Object.entries(g)) {
    if (senders.some((x) => x !== r)) s.add(r);
    for (const x of senders) if (x !== r) s.add(x);
  }
  return [...s].sort();
};
