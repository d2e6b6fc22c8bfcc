/**
 * Leaderless (Dynamo-style) replication. Every node holds every key (N is
 * the cluster size); the node a client contacts coordinates its request.
 *
 * Write: the coordinator applies the op to its own replica (one
 * acknowledgement), sends the delta to every other node in parallel, and
 * answers once W replicas (itself included) have it. Fewer than W within the
 * RPC timeout → 503, outcome unknown (some replicas may have it). A replica
 * that did not answer gets a *hint*: the coordinator keeps the delta and
 * retries every `hintRetryMs` until it is delivered (hinted handoff; hints
 * live in memory and do not count toward W).
 *
 * Read: the coordinator merges its own state with the first R replies
 * (itself included) and answers; under version vectors concurrent writes
 * come back as siblings. Read repair, in two parts: before answering, a
 * state that fewer than W of the consulted replicas hold is written back to
 * W replicas (blocking, as Cassandra's quorum reads and ABD's second phase
 * do: without it a read can return a write still in flight on one replica,
 * and the next read, meeting two replicas it has not reached, goes back in
 * time — monotonic reads broken); once every replica has answered (or timed
 * out), those whose state differs from the merge receive it in the
 * background.
 *
 * Anti-entropy: every `antiEntropyMs` a node compares a digest (key → hash)
 * with a random peer and both exchange the keys that differ, so replicas
 * converge after a partition heals even for keys nobody reads.
 *
 * With R + W > N every read quorum overlaps every write quorum, so a read
 * sees the latest acknowledged write; with R + W <= N it may not.
 * A cas reads with R first, then writes with W; it is not atomic.
 */
import type { ReplicaConfig } from './config.ts';
import type { ObjectState } from './crdt.ts';
import { canonicalJson, mergeStates } from './crdt.ts';
import { enqueue } from './multi-leader.ts';
import type { KeyState } from './object-replica.ts';
import { ObjectReplica, parseKeyStates, readKey } from './object-replica.ts';
import type { ClientRequest, ReadRequest, Reply, StatusReport, Topology, TopologyDeps } from './topology.ts';
import { BANK_NEEDS_SINGLE_LEADER, PeerRequestError, replies } from './topology.ts';

export type LeaderlessDeps = TopologyDeps;

/** Resolves once `count` of `promises` fulfilled (true) or too many rejected for that to happen (false). */
const quorum = (promises: readonly Promise<unknown>[], count: number): Promise<boolean> =>
  new Promise((resolve) => {
    let ok = 0;
    let failed = 0;
    if (count <= 0) resolve(true);
    // Handlers on every promise, even once decided: a late rejection must not go unhandled.
    for (const p of promises) {
      p.then(
        () => {
          if (++ok === count) resolve(true);
        },
        () => {
          if (++failed > promises.length - count) resolve(false);
        },
      );
    }
  });

export class Leaderless implements Topology {
  private readonly objects: ObjectReplica;
  private readonly cfg: ReplicaConfig;
  private readonly hints = new Map<string, Map<string, ObjectState>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private stats = { readRepairs: 0, hintsDelivered: 0, antiEntropyKeys: 0 };

  constructor(private readonly deps: LeaderlessDeps) {
    this.cfg = deps.config;
    this.objects = new ObjectReplica(
      this.cfg.id,
      this.cfg.conflicts,
      deps.wal,
      deps.replayed,
      deps.clock,
      deps.onFatal,
    );
    for (const peer of deps.peers.ids) this.hints.set(peer, new Map());
  }

  private get n(): number {
    return this.deps.peers.ids.length + 1;
  }

  start(): void {
    const { r, w, conflicts, readRepair, hintedHandoff, antiEntropyMs } = this.cfg;
    this.deps.logger.info(
      `start: leaderless, N=${this.n} R=${r} W=${w} (${r + w > this.n ? 'R+W>N' : 'R+W<=N: reads may be stale'}), ` +
        `conflicts ${conflicts}, read repair ${readRepair ? 'on' : 'off'}, hinted handoff ${hintedHandoff ? 'on' : 'off'}, ` +
        `anti-entropy ${antiEntropyMs > 0 ? `every ${antiEntropyMs} ms` : 'off'}; ${this.objects.all().length} keys replayed`,
    );
    if (hintedHandoff) this.timers.push(setInterval(() => void this.deliverHints(), this.cfg.hintRetryMs));
    if (antiEntropyMs > 0 && this.deps.peers.ids.length > 0)
      this.timers.push(setInterval(() => void this.antiEntropy(), antiEntropyMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
  }

  status(): StatusReport {
    return {
      id: this.cfg.id,
      role: 'peer',
      term: 0,
      leader: null,
      commitIndex: this.objects.changes,
      appliedIndex: this.objects.changes,
      lastLogIndex: this.objects.changes,
      topology: 'leaderless',
      replication: 'quorum',
      conflicts: this.cfg.conflicts,
      n: this.n,
      r: this.cfg.r,
      w: this.cfg.w,
      clockOffsetMs: this.deps.clock.offsetMs,
      keys: this.objects.store.keys().length,
      hints: Object.fromEntries([...this.hints].map(([p, h]) => [p, h.size])),
      ...this.stats,
    };
  }

  async handleClient(req: ClientRequest): Promise<Reply> {
    if (this.stopped) return replies.unavailable('shutting-down', false);
    if (req.kind === 'read') {
      if (req.local) return this.objects.readReply(req, this.objects.store.get(readKey(req)));
      const state = await this.quorumRead(readKey(req));
      if (typeof state === 'string') return replies.unavailable('quorum-unavailable', false, state);
      return this.objects.readReply(req, state);
    }
    if (req.op.type === 'transfer') return replies.badRequest(BANK_NEEDS_SINGLE_LEADER);
    if (req.op.type === 'cas') {
      // Bring our replica up to date with a read quorum first, so the comparison sees the latest write.
      const read: ReadRequest = { kind: 'read', type: 'kv', key: req.op.key, local: false };
      const state = await this.quorumRead(readKey(read));
      if (typeof state === 'string') return replies.unavailable('quorum-unavailable', false, state);
    }
    const result = await this.objects.update(req.op);
    if (!result.ok) return replies.casMismatch(result.current);
    const acked = await this.replicate({ key: result.key, state: result.delta });
    if (!acked)
      return replies.unavailable('quorum-unavailable', true, `fewer than W=${this.cfg.w} replicas acknowledged`);
    return replies.ok({ ok: true, node: this.cfg.id, ...(result.context ? { context: result.context } : {}) });
  }

  async handlePeer(method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    switch (method) {
      case 'merge': {
        const changed = await this.objects.merge(parseOr400(() => parseKeyStates(body.items)));
        return { ok: true, changed: changed.length };
      }
      case 'fetch': {
        const key = body.key;
        if (typeof key !== 'string') throw new PeerRequestError('fetch: "key" must be a string');
        return { state: this.objects.store.get(key) ?? null };
      }
      case 'digest':
        return this.compareDigest(body.digest);
      default:
        throw new PeerRequestError(`unknown peer method "${method}"`);
    }
  }

  /** Sends a delta to every peer; resolves true once W replicas (us included) have it. */
  private async replicate(item: KeyState): Promise<boolean> {
    const sends = this.deps.peers.ids.map((peer) =>
      this.deps.peers.call(peer, 'merge', { items: [item] }, this.cfg.rpcTimeoutMs).catch((e: unknown) => {
        if (this.cfg.hintedHandoff) enqueue(this.hints.get(peer)!, item.key, item.state);
        throw e;
      }),
    );
    return quorum(sends, this.cfg.w - 1);
  }

  /**
   * Our state merged with R-1 peers' (or why there is none: too few answered,
   * or too few took the write-back). The merge is folded into our replica.
   */
  private async quorumRead(key: string): Promise<ObjectState | undefined | string> {
    const seen = new Map<string, ObjectState | null>();
    const fetches = this.deps.peers.ids.map((peer) =>
      this.deps.peers.call<{ state: ObjectState | null }>(peer, 'fetch', { key }, this.cfg.rpcTimeoutMs).then((r) => {
        seen.set(peer, r.state);
      }),
    );
    const enough = await quorum(fetches, this.cfg.r - 1);
    if (!enough) return `fewer than R=${this.cfg.r} replicas answered`;
    const merged = [...seen.values()].reduce<ObjectState | undefined>(
      (acc, s) => (s ? (acc ? mergeStates(acc, s) : s) : acc),
      undefined,
    );
    if (merged) await this.objects.merge([{ key, state: merged }]);
    const result = this.objects.store.get(key);
    if (this.cfg.readRepair && result && !(await this.heldByW(key, result, seen)))
      return `fewer than W=${this.cfg.w} replicas took the read's write-back`;
    if (this.cfg.readRepair)
      void Promise.allSettled(fetches)
        .then(() => this.readRepair(key, seen))
        .catch(() => {});
    return result;
  }

  /**
   * True once W replicas hold `state`: us, the consulted peers that answered
   * with it, and as many others as a write-back reaches.
   */
  private async heldByW(key: string, state: ObjectState, seen: Map<string, ObjectState | null>): Promise<boolean> {
    const want = canonicalJson(state);
    let holders = 1;
    for (const theirs of seen.values()) if (theirs && canonicalJson(theirs) === want) holders++;
    if (holders >= this.cfg.w) return true;
    this.stats.readRepairs++;
    return this.replicate({ key, state });
  }

  private async readRepair(key: string, seen: Map<string, ObjectState | null>): Promise<void> {
    const late = [...seen.values()].filter((s): s is ObjectState => s !== null).map((state) => ({ key, state }));
    await this.objects.merge(late);
    const state = this.objects.store.get(key);
    if (!state || this.stopped) return;
    const want = canonicalJson(state);
    for (const [peer, theirs] of seen) {
      if (theirs && canonicalJson(theirs) === want) continue;
      this.stats.readRepairs++;
      this.deps.peers.call(peer, 'merge', { items: [{ key, state }] }, this.cfg.rpcTimeoutMs).catch(() => {});
    }
  }

  private deliveringHints = false;

  /**
   * Sends each peer a batch of its hints. A hint stays queued until delivered
   * (so status shows it while a send is in flight) and is dropped only if no
   * newer write was merged into it meanwhile.
   */
  private async deliverHints(): Promise<void> {
    if (this.deliveringHints) return;
    this.deliveringHints = true;
    try {
      for (const [peer, hints] of this.hints) {
        if (hints.size === 0 || this.stopped) continue;
        const batch = [...hints].slice(0, this.cfg.replicationBatch).map(([key, state]) => ({ key, state }));
        try {
          await this.deps.peers.call(peer, 'merge', { items: batch }, this.cfg.rpcTimeoutMs);
        } catch {
          continue; // still unreachable: the hints wait for the next round
        }
        for (const { key, state } of batch) if (hints.get(key) === state) hints.delete(key);
        this.stats.hintsDelivered += batch.length;
        this.deps.logger.info(`hinted handoff: delivered ${batch.length} keys to ${peer}`);
      }
    } finally {
      this.deliveringHints = false;
    }
  }

  private antiEntropyRunning = false;

  /** Compares digests with a random peer, then both sides exchange the keys that differ. */
  private async antiEntropy(): Promise<void> {
    if (this.antiEntropyRunning || this.stopped) return;
    this.antiEntropyRunning = true;
    const ids = this.deps.peers.ids;
    const peer = ids[Math.floor(Math.random() * ids.length)]!;
    try {
      const resp = await this.deps.peers.call<{ items: unknown; want: unknown }>(
        peer,
        'digest',
        { digest: this.objects.digest() },
        this.cfg.rpcTimeoutMs,
      );
      const theirs = parseKeyStates(resp.items);
      const changed = await this.objects.merge(theirs);
      const want = Array.isArray(resp.want) ? resp.want.filter((k): k is string => typeof k === 'string') : [];
      const ours = want
        .map((key) => ({ key, state: this.objects.store.get(key) }))
        .filter((x): x is KeyState => x.state !== undefined);
      if (ours.length > 0) await this.deps.peers.call(peer, 'merge', { items: ours }, this.cfg.rpcTimeoutMs);
      if (changed.length + ours.length > 0) {
        this.stats.antiEntropyKeys += changed.length + ours.length;
        this.deps.logger.info(`anti-entropy with ${peer}: received ${changed.length} keys, sent ${ours.length}`);
      }
    } catch {
      // Unreachable peer: try another one next round.
    } finally {
      this.antiEntropyRunning = false;
    }
  }

  /** A peer's digest against ours: our states for keys that differ, and the keys we want from it. */
  private compareDigest(raw: unknown): Record<string, unknown> {
    if (typeof raw !== 'object' || raw === null) throw new PeerRequestError('digest: "digest" must be an object');
    const theirs = raw as Record<string, unknown>;
    const ours = this.objects.digest();
    const items: KeyState[] = [];
    const want: string[] = [];
    for (const [key, hash] of Object.entries(ours)) {
      if (theirs[key] === hash) continue;
      items.push({ key, state: this.objects.store.get(key)! });
      want.push(key); // differing: merge both ways
    }
    for (const key of Object.keys(theirs)) if (!(key in ours)) want.push(key);
    return { items, want };
  }
}

const parseOr400 = <T>(f: () => T): T => {
  try {
    return f();
  } catch (e) {
    throw new PeerRequestError((e as Error).message);
  }
};
