/**
 * Version vectors and multi-value registers (siblings), as Dynamo and Riak
 * use them. Pure functions over plain data.
 *
 * A version vector maps a node id to the number of writes that node has
 * coordinated for this key. Two versions are ordered when one vector is <=
 * the other everywhere; otherwise they are concurrent, and a register keeps
 * both values as siblings until a write whose causal context covers them
 * supersedes them.
 */
import type { Scalar } from './state-machine.ts';
import { compareScalars } from './state-machine.ts';

export type VersionVector = Readonly<Record<string, number>>;

export type Order = 'equal' | 'before' | 'after' | 'concurrent';

/** How `a` relates to `b`. */
export const compareVV = (a: VersionVector, b: VersionVector): Order => {
  let less = false;
  let greater = false;
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[node] ?? 0;
    const y = b[node] ?? 0;
    if (x < y) less = true;
    if (x > y) greater = true;
  }
  return less && greater ? 'concurrent' : less ? 'before' : greater ? 'after' : 'equal';
};

/** `a` <= `b` everywhere: b has seen everything a has. */
export const descends = (b: VersionVector, a: VersionVector): boolean => {
  const o = compareVV(a, b);
  return o === 'before' || o === 'equal';
};

/** Pointwise maximum. */
export const mergeVV = (...vvs: readonly VersionVector[]): VersionVector => {
  const out: Record<string, number> = {};
  for (const vv of vvs) for (const [node, n] of Object.entries(vv)) if (n > (out[node] ?? 0)) out[node] = n;
  return sortKeys(out);
};

const sortKeys = (vv: Record<string, number>): VersionVector =>
  Object.fromEntries(Object.entries(vv).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export interface Sibling {
  value: Scalar;
  vv: VersionVector;
}

/**
 * Merges two sibling lists: the union, minus every sibling that another one
 * strictly descends from, and minus duplicates. Commutative, associative,
 * idempotent — so replicas can exchange lists in any order.
 */
export const mergeSiblings = (a: readonly Sibling[], b: readonly Sibling[]): Sibling[] => {
  // Sorted first, so that which of two equal versions is kept does not depend on argument order.
  const all = [...a, ...b].sort(compareSiblings);
  const kept: Sibling[] = [];
  for (const s of all) {
    if (all.some((o) => compareVV(s.vv, o.vv) === 'before')) continue;
    if (kept.some((k) => compareVV(k.vv, s.vv) === 'equal')) continue;
    kept.push(s);
  }
  return kept;
};

const compareSiblings = (x: Sibling, y: Sibling): number => {
  const byValue = compareScalars(x.value, y.value);
  if (byValue !== 0) return byValue;
  const vx = JSON.stringify(mergeVV(x.vv));
  const vy = JSON.stringify(mergeVV(y.vv));
  return vx < vy ? -1 : vx > vy ? 1 : 0;
};

/** The causal context a reader hands back on its next write: everything it saw. */
export const contextOf = (siblings: readonly Sibling[]): VersionVector => mergeVV(...siblings.map((s) => s.vv));

/**
 * A write of `value` at `node` with the writer's causal `context`. The new
 * version descends from the context and is one write further at `node`, so
 * it supersedes exactly the siblings the writer saw; siblings it did not see
 * stay, as concurrent. Returns the new sibling (the delta to replicate) and
 * the register after the write.
 */
export const writeSibling = (
  siblings: readonly Sibling[],
  value: Scalar,
  context: VersionVector,
  node: string,
): { sibling: Sibling; siblings: Sibling[] } => {
  // The node's counter must exceed every version of this key that carries it.
  const counter = Math.max(context[node] ?? 0, ...siblings.map((s) => s.vv[node] ?? 0)) + 1;
  const sibling: Sibling = { value, vv: mergeVV(context, { [node]: counter }) };
  return { sibling, siblings: mergeSiblings(siblings, [sibling]) };
};
