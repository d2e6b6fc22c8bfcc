/**
 * The per-key mergeable state of a multi-leader or leaderless replica, and
 * the client operations on it. Which kind of value a key holds depends on
 * the configured conflict resolution:
 *
 *   conflicts          registers (kv)      sets      counters
 *   lww                lww (clock)         lwwset    lww (read-modify-write: increments can be lost)
 *   version-vectors    mv (siblings)       orset     pn
 *   crdt               lww (clock)         orset     pn
 *
 * `update` applies a client operation locally and returns the delta that
 * carries it to other replicas; `merge` folds in a delta or a full state
 * received from one.
 */
import type { ObjectState, Stamp } from './crdt.ts';
import {
  counterValue,
  lwwsetAdd,
  lwwsetRemove,
  mergeStates,
  orsetAdd,
  orsetRemove,
  pnAdd,
  setElements,
} from './crdt.ts';
import type { Scalar } from './state-machine.ts';
import type { VersionVector } from './version-vector.ts';
import { contextOf, writeSibling } from './version-vector.ts';

export type Conflicts = 'lww' | 'version-vectors' | 'crdt';
export const CONFLICTS: readonly Conflicts[] = ['lww', 'version-vectors', 'crdt'];

/** A client operation that changes state. `context`: the causal context the client last saw (version vectors). */
export type ObjectOp =
  | { type: 'put'; key: string; value: Scalar; context?: VersionVector }
  | { type: 'cas'; key: string; from: Scalar; to: Scalar; context?: VersionVector }
  | { type: 'add'; key: string; element: Scalar }
  | { type: 'remove'; key: string; element: Scalar }
  | { type: 'incr'; key: string; delta: number };

/** Store keys are namespaced by data type: "kv/x", "set/s", "counter/c". */
export const storeKey = (op: ObjectOp): string =>
  `${op.type === 'put' || op.type === 'cas' ? 'kv' : op.type === 'incr' ? 'counter' : 'set'}/${op.key}`;

export interface RegisterView {
  /** The single value; null when unwritten; with several siblings, the sorted sibling values. */
  value: Scalar | Scalar[];
  siblings: Scalar[];
  /** Version vectors only: pass it back on the next write to supersede what was read. */
  context?: VersionVector;
}

export type UpdateResult =
  | { ok: true; key: string; delta: ObjectState; context?: VersionVector }
  | { ok: false; error: 'cas-mismatch'; current: Scalar | Scalar[] };

export interface UpdateEnv {
  node: string;
  /** The node's clock (ms), for lww stamps. */
  now: number;
  /** A tag unique across the cluster and restarts, for OR-set adds. */
  tag(): string;
}

export const registerView = (s: ObjectState | undefined): RegisterView => {
  if (!s) return { value: null, siblings: [] };
  if (s.t === 'lww') return { value: s.value, siblings: [s.value] };
  if (s.t === 'mv') {
    const siblings = s.siblings.map((x) => x.value);
    return {
      value: siblings.length === 0 ? null : siblings.length === 1 ? siblings[0]! : siblings,
      siblings,
      context: contextOf(s.siblings),
    };
  }
  throw new Error(`not a register: ${s.t}`);
};

export class ObjectStore {
  private readonly states = new Map<string, ObjectState>();

  constructor(readonly conflicts: Conflicts) {}

  get(key: string): ObjectState | undefined {
    return this.states.get(key);
  }

  keys(): string[] {
    return [...this.states.keys()];
  }

  /** Folds `state` into `key`; returns whether anything changed. */
  merge(key: string, state: ObjectState): boolean {
    const old = this.states.get(key);
    const next = old ? mergeStates(old, state) : state;
    if (old && JSON.stringify(old) === JSON.stringify(next)) return false;
    this.states.set(key, next);
    return true;
  }

  register(key: string): RegisterView {
    return registerView(this.states.get(`kv/${key}`));
  }

  set(key: string): Scalar[] {
    const s = this.states.get(`set/${key}`);
    return s ? setElements(s) : [];
  }

  counter(key: string): number {
    const s = this.states.get(`counter/${key}`);
    return s ? counterValue(s) : 0;
  }

  /** Applies a client operation here and returns its delta (already merged locally). */
  update(op: ObjectOp, env: UpdateEnv): UpdateResult {
    const key = storeKey(op);
    const current = this.states.get(key);
    const stamp: Stamp = { ts: env.now, node: env.node };
    let delta: ObjectState;
    switch (op.type) {
      case 'cas': {
        const view = registerView(current);
        if (Array.isArray(view.value) || view.value !== op.from)
          return { ok: false, error: 'cas-mismatch', current: view.value };
        delta = this.registerDelta(current, op.to, op.context ?? view.context, stamp);
        break;
      }
      case 'put':
        delta = this.registerDelta(current, op.value, op.context, stamp);
        break;
      case 'add':
        delta = this.conflicts === 'lww' ? lwwsetAdd(op.element, stamp) : orsetAdd(op.element, env.tag());
        break;
      case 'remove':
        delta = this.conflicts === 'lww' ? lwwsetRemove(op.element, stamp) : orsetRemove(current, op.element);
        break;
      case 'incr':
        delta =
          this.conflicts === 'lww'
            ? { t: 'lww', value: (current ? counterValue(current) : 0) + op.delta, ...stamp }
            : pnAdd(current, env.node, op.delta);
        break;
    }
    this.merge(key, delta);
    const after = this.states.get(key);
    return { ok: true, key, delta, ...(after?.t === 'mv' ? { context: registerView(after).context } : {}) };
  }

  private registerDelta(
    current: ObjectState | undefined,
    value: Scalar,
    context: VersionVector | undefined,
    stamp: Stamp,
  ): ObjectState {
    if (this.conflicts !== 'version-vectors') return { t: 'lww', value, ts: stamp.ts, node: stamp.node };
    const siblings = current?.t === 'mv' ? current.siblings : [];
    // No context from the client: a blind write supersedes what this node has seen.
    const ctx = context ?? contextOf(siblings);
    return { t: 'mv', siblings: [writeSibling(siblings, value, ctx, stamp.node).sibling] };
  }
}
