/**
 * What multi-leader and leaderless nodes share: an ObjectStore rebuilt from
 * the WAL, local updates and remote merges that are logged before they are
 * acknowledged, read replies, and digests for anti-entropy.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { NodeClock } from './clock.ts';
import type { ObjectState } from './crdt.ts';
import { canonicalJson, counterValue, setElements } from './crdt.ts';
import type { Conflicts, ObjectOp, UpdateResult } from './object-store.ts';
import { ObjectStore, registerView } from './object-store.ts';
import type { ReadRequest, Reply } from './topology.ts';
import { BANK_NEEDS_SINGLE_LEADER, replies } from './topology.ts';
import type { Replayed, Wal } from './wal.ts';

export interface KeyState {
  key: string;
  state: ObjectState;
}

export class ObjectReplica {
  readonly store: ObjectStore;
  /** Local updates and merges that changed something, since start: a rough progress figure for status. */
  changes = 0;
  private readonly bootId = randomBytes(4).toString('hex');
  private tagSeq = 0;
  private lastStamp = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly id: string,
    conflicts: Conflicts,
    private readonly wal: Wal,
    replayed: Replayed,
    private readonly clock: NodeClock,
    private readonly onFatal: (e: unknown) => void,
  ) {
    this.store = new ObjectStore(conflicts);
    for (const { key, state } of replayed.objects) this.store.merge(key, state);
  }

  /** Applies a client op here and logs its delta. */
  async update(op: ObjectOp): Promise<UpdateResult> {
    const result = this.store.update(op, {
      node: this.id,
      now: this.nextStamp(),
      tag: () => `${this.id}.${this.bootId}.${++this.tagSeq}`,
    });
    if (result.ok) {
      this.changes++;
      await this.log([{ key: result.key, state: result.delta }]);
    }
    return result;
  }

  /**
   * The node clock's time, but at least 1 ms after this node's previous stamp: two writes in
   * the same millisecond must not tie, or LWW would drop one of them on every replica.
   */
  private nextStamp(): number {
    this.lastStamp = Math.max(this.clock.now(), this.lastStamp + 1);
    return this.lastStamp;
  }

  /** Merges states from a peer; logs and returns those that changed something. */
  async merge(items: readonly KeyState[]): Promise<KeyState[]> {
    const changed = items.filter(({ key, state }) => this.store.merge(key, state));
    this.changes += changed.length;
    if (changed.length > 0) await this.log(changed);
    return changed;
  }

  all(): KeyState[] {
    return this.store.keys().map((key) => ({ key, state: this.store.get(key)! }));
  }

  /** key → CRC-32 of its canonical JSON: equal on two nodes iff their states are equal (modulo collisions). */
  digest(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { key, state } of this.all()) out[key] = crc32(canonicalJson(state));
    return out;
  }

  /** A read reply from a (possibly merged) state. */
  readReply(req: ReadRequest, state: ObjectState | undefined): Reply {
    const node = this.id;
    switch (req.type) {
      case 'kv': {
        const view = registerView(state);
        return replies.ok({ ...view, node });
      }
      case 'set':
        return replies.ok({ elements: state ? setElements(state) : [], node });
      case 'counter':
        return replies.ok({ value: state ? counterValue(state) : 0, node });
      case 'bank':
        return replies.badRequest(BANK_NEEDS_SINGLE_LEADER);
    }
  }

  private log(items: readonly KeyState[]): Promise<void> {
    return this.wal.append(items.map(({ key, state }) => ({ t: 'object' as const, key, state }))).catch((e) => {
      this.onFatal(e);
      return new Promise<void>(() => {});
    });
  }
}

export const readKey = (req: ReadRequest): string => `${req.type}/${req.key}`;

export const parseKeyStates = (items: unknown): KeyState[] => {
  if (!Array.isArray(items)) throw new TypeError('items must be an array');
  return items.map((it: { key?: unknown; state?: { t?: unknown } }, i) => {
    if (typeof it?.key !== 'string' || typeof it.state?.t !== 'string') throw new TypeError(`malformed item ${i}`);
    return it as KeyState;
  });
};
