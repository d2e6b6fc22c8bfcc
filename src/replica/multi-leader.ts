/**
 * Multi-leader replication: every node accepts every write, acknowledges it
 * once it is in its own WAL, and ships it to the others asynchronously.
 *
 * Each write produces a delta (object-store.ts); the node merges it locally
 * and adds it to an outbox per peer. Every `replicationDelayMs` a loop per
 * peer sends that peer's outbox (merged per key, at most `replicationBatch`
 * keys); a failed send goes back into the outbox, so a partitioned peer gets
 * everything once the link heals. Merges are idempotent and commutative, so
 * resending is harmless and arrival order does not matter. On start a node
 * queues its whole state for every peer, which covers deltas a crash took
 * out of its outboxes.
 *
 * Conflicts are resolved by the merge: `lww` (the node clock's timestamp
 * wins, node id breaking ties — a node with a clock behind loses its
 * writes), `version-vectors` (concurrent register writes are kept as
 * siblings), `crdt` (OR-set, PN-counter). Reads are local.
 */
import type { ObjectState } from './crdt.ts';
import { mergeStates } from './crdt.ts';
import type { KeyState } from './object-replica.ts';
import { ObjectReplica, parseKeyStates, readKey } from './object-replica.ts';
import type { ClientRequest, Reply, StatusReport, Topology, TopologyDeps } from './topology.ts';
import { BANK_NEEDS_SINGLE_LEADER, PeerRequestError, replies } from './topology.ts';

export type MultiLeaderDeps = TopologyDeps;

/** Adds `state` to a per-key outbox, merging with what is already waiting. */
export const enqueue = (outbox: Map<string, ObjectState>, key: string, state: ObjectState): void => {
  const waiting = outbox.get(key);
  outbox.set(key, waiting ? mergeStates(waiting, state) : state);
};

export class MultiLeader implements Topology {
  private readonly objects: ObjectReplica;
  private readonly outboxes = new Map<string, Map<string, ObjectState>>();
  private readonly wakers = new Set<() => void>();
  private stopped = false;
  private shipped = 0;

  constructor(private readonly deps: MultiLeaderDeps) {
    const { config } = deps;
    this.objects = new ObjectReplica(config.id, config.conflicts, deps.wal, deps.replayed, deps.clock, deps.onFatal);
    for (const peer of deps.peers.ids) this.outboxes.set(peer, new Map());
  }

  start(): void {
    const all = this.objects.all();
    this.deps.logger.info(
      `start: multi-leader, conflicts ${this.deps.config.conflicts}, ${all.length} keys replayed from the WAL; ` +
        `shipping every ${this.deps.config.replicationDelayMs} ms`,
    );
    for (const [peer, outbox] of this.outboxes) {
      for (const { key, state } of all) enqueue(outbox, key, state);
      void this.shipLoop(peer, outbox);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wakers) wake();
  }

  status(): StatusReport {
    const pending = Object.fromEntries([...this.outboxes].map(([peer, o]) => [peer, o.size]));
    return {
      id: this.deps.config.id,
      role: 'peer',
      term: 0,
      leader: null,
      commitIndex: this.objects.changes,
      appliedIndex: this.objects.changes,
      lastLogIndex: this.objects.changes,
      topology: 'multi-leader',
      replication: 'async',
      conflicts: this.deps.config.conflicts,
      clockOffsetMs: this.deps.clock.offsetMs,
      keys: this.objects.store.keys().length,
      outbox: pending,
      shipped: this.shipped,
    };
  }

  async handleClient(req: ClientRequest): Promise<Reply> {
    if (this.stopped) return replies.unavailable('shutting-down', false);
    if (req.kind === 'read') return this.objects.readReply(req, this.objects.store.get(readKey(req)));
    if (req.op.type === 'transfer') return replies.badRequest(BANK_NEEDS_SINGLE_LEADER);
    const result = await this.objects.update(req.op);
    if (!result.ok) return replies.casMismatch(result.current);
    for (const outbox of this.outboxes.values()) enqueue(outbox, result.key, result.delta);
    return replies.ok({ ok: true, node: this.deps.config.id, ...(result.context ? { context: result.context } : {}) });
  }

  async handlePeer(method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (method !== 'merge') throw new PeerRequestError(`unknown peer method "${method}"`);
    let items: KeyState[];
    try {
      items = parseKeyStates(body.items);
    } catch (e) {
      throw new PeerRequestError(`malformed merge request: ${(e as Error).message}`);
    }
    const changed = await this.objects.merge(items);
    return { ok: true, changed: changed.length };
  }

  /** Every `replicationDelayMs`, sends the peer what accumulated for it; on failure keeps it for the next round. */
  private async shipLoop(peer: string, outbox: Map<string, ObjectState>): Promise<void> {
    const { replicationDelayMs, replicationBatch, rpcTimeoutMs } = this.deps.config;
    let failures = 0;
    while (!this.stopped) {
      await this.sleep(replicationDelayMs);
      if (this.stopped || outbox.size === 0) continue;
      const batch: KeyState[] = [];
      for (const [key, state] of outbox) {
        batch.push({ key, state });
        outbox.delete(key);
        if (batch.length >= replicationBatch) break;
      }
      try {
        await this.deps.peers.call(peer, 'merge', { items: batch }, rpcTimeoutMs);
        this.shipped += batch.length;
        if (failures > 0) this.deps.logger.info(`replication to ${peer} resumed after ${failures} failed attempts`);
        failures = 0;
      } catch (e) {
        for (const { key, state } of batch) enqueue(outbox, key, state);
        if (failures++ === 0) this.deps.logger.info(`replication to ${peer} failing: ${(e as Error).message}`);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.wakers.add(done);
    });
  }
}
