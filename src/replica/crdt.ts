/**
 * The mergeable values multi-leader and leaderless replicas keep per key.
 * Every kind has a pure `merge` that is commutative, associative and
 * idempotent, so replicas converge whatever order, duplication or delay
 * their exchanges suffer. An update returns a small *delta* — a state that,
 * merged into any replica, carries the update — which is what gets logged
 * and shipped.
 *
 *   lww      last-writer-wins register: the highest (timestamp, node) wins.
 *            Timestamps come from the node's (skewable) clock; a node never
 *            repeats or goes back on its own timestamps (object-replica.ts).
 *   mv       multi-value register: siblings with version vectors.
 *   pn       PN-counter: per-node increment and decrement totals.
 *   orset    observed-remove set: each add has a unique tag; a remove
 *            tombstones the tags it observed, so a concurrent add survives.
 *   lwwset   element-wise last-writer-wins set (as Cassandra's collections):
 *            each element has an add and a remove stamp; the later wins.
 */
import type { Scalar } from './state-machine.ts';
import { compareScalars } from './state-machine.ts';
import type { Sibling } from './version-vector.ts';
import { mergeSiblings } from './version-vector.ts';

/** A timestamp with the node id that breaks ties. */
export interface Stamp {
  ts: number;
  node: string;
}

export type ObjectState =
  | { t: 'lww'; value: Scalar; ts: number; node: string }
  | { t: 'mv'; siblings: Sibling[] }
  | { t: 'pn'; p: Record<string, number>; n: Record<string, number> }
  | { t: 'orset'; tags: Record<string, string[]>; tombstones: string[] }
  | { t: 'lwwset'; adds: Record<string, Stamp>; removes: Record<string, Stamp> };

export const stampAfter = (a: Stamp, b: Stamp): boolean => a.ts > b.ts || (a.ts === b.ts && a.node > b.node);

const maxStamp = (a: Stamp | undefined, b: Stamp | undefined): Stamp | undefined =>
  !a ? b : !b ? a : stampAfter(b, a) ? b : a;

const maxEach = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if (v > (out[k] ?? 0)) out[k] = v;
  return out;
};

const unionSorted = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])].sort();

/** Elements are JSON scalars; as record keys they are their JSON text. */
export const elementKey = (e: Scalar): string => JSON.stringify(e);
const elementOf = (key: string): Scalar => JSON.parse(key) as Scalar;

/** Merges two states of the same kind. Throws if the kinds differ (a configuration mismatch between nodes). */
export const mergeStates = (a: ObjectState, b: ObjectState): ObjectState => {
  if (a.t !== b.t) throw new Error(`cannot merge a ${a.t} with a ${b.t}: do all nodes use the same --conflicts?`);
  switch (a.t) {
    case 'lww': {
      const o = b as typeof a;
      if (stampAfter(o, a)) return o;
      if (stampAfter(a, o)) return a;
      // Equal stamps (a node reusing a timestamp after a crash): pick by value, so every replica picks the same.
      return canonicalJson(o.value) < canonicalJson(a.value) ? o : a;
    }
    case 'mv':
      return { t: 'mv', siblings: mergeSiblings(a.siblings, (b as typeof a).siblings) };
    case 'pn': {
      const o = b as typeof a;
      return { t: 'pn', p: maxEach(a.p, o.p), n: maxEach(a.n, o.n) };
    }
    case 'orset': {
      const o = b as typeof a;
      const tombstones = unionSorted(a.tombstones, o.tombstones);
      const dead = new Set(tombstones);
      const tags: Record<string, string[]> = {};
      for (const e of new Set([...Object.keys(a.tags), ...Object.keys(o.tags)])) {
        const live = unionSorted(a.tags[e] ?? [], o.tags[e] ?? []).filter((t) => !dead.has(t));
        if (live.length > 0) tags[e] = live;
      }
      return { t: 'orset', tags, tombstones };
    }
    case 'lwwset': {
      const o = b as typeof a;
      const pick = (x: Record<string, Stamp>, y: Record<string, Stamp>) => {
        const out: Record<string, Stamp> = { ...x };
        for (const [k, s] of Object.entries(y)) out[k] = maxStamp(out[k], s)!;
        return out;
      };
      return { t: 'lwwset', adds: pick(a.adds, o.adds), removes: pick(a.removes, o.removes) };
    }
  }
};

/** The elements of a set state, sorted. */
export const setElements = (s: ObjectState): Scalar[] => {
  if (s.t === 'orset') return Object.keys(s.tags).map(elementOf).sort(compareScalars);
  if (s.t === 'lwwset')
    return Object.entries(s.adds)
      .filter(([k, add]) => {
        const rm = s.removes[k];
        return !rm || stampAfter(add, rm);
      })
      .map(([k]) => elementOf(k))
      .sort(compareScalars);
  throw new Error(`not a set: ${s.t}`);
};

export const counterValue = (s: ObjectState): number => {
  if (s.t === 'pn') {
    const sum = (r: Record<string, number>) => Object.values(r).reduce((x, y) => x + y, 0);
    return sum(s.p) - sum(s.n);
  }
  if (s.t === 'lww') return typeof s.value === 'number' ? s.value : 0;
  throw new Error(`not a counter: ${s.t}`);
};

/** Delta of adding `delta` at `node` to a PN-counter: that node's new totals. */
export const pnAdd = (s: ObjectState | undefined, node: string, delta: number): ObjectState => {
  const p = s?.t === 'pn' ? (s.p[node] ?? 0) : 0;
  const n = s?.t === 'pn' ? (s.n[node] ?? 0) : 0;
  return delta >= 0 ? { t: 'pn', p: { [node]: p + delta }, n: {} } : { t: 'pn', p: {}, n: { [node]: n - delta } };
};

/** Delta of an OR-set add: one fresh tag. */
export const orsetAdd = (element: Scalar, tag: string): ObjectState => ({
  t: 'orset',
  tags: { [elementKey(element)]: [tag] },
  tombstones: [],
});

/** Delta of an OR-set remove: tombstones for the tags this replica has observed. */
export const orsetRemove = (s: ObjectState | undefined, element: Scalar): ObjectState => ({
  t: 'orset',
  tags: {},
  tombstones: s?.t === 'orset' ? [...(s.tags[elementKey(element)] ?? [])] : [],
});

export const lwwsetAdd = (element: Scalar, stamp: Stamp): ObjectState => ({
  t: 'lwwset',
  adds: { [elementKey(element)]: stamp },
  removes: {},
});

export const lwwsetRemove = (element: Scalar, stamp: Stamp): ObjectState => ({
  t: 'lwwset',
  adds: {},
  removes: { [elementKey(element)]: stamp },
});

/** JSON with object keys sorted, so equal states serialise (and hash) identically on every node. */
export const canonicalJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );
