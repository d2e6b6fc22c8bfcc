/**
 * Single-leader replication: a Raft-like protocol, kept small.
 *
 * - Terms and votes are persisted in the WAL before any reply that depends on them.
 * - Election: randomised timeout, majority vote, up-to-date-log rule (raft-log.ts).
 * - AppendEntries with the prevIndex/prevTerm consistency check; a conflicting
 *   suffix is truncated. A request from a stale term is refused (fencing), and
 *   any higher term seen makes a node step down.
 * - A leader that has not heard from a majority for an election timeout steps
 *   down on its own (check-quorum), so a cut-off leader stops claiming the role.
 *
 * Replication modes differ only in the commit quorum — how many nodes (the
 * leader included) must have persisted an entry before it is applied and the
 * client is answered:
 *   sync       every node            (writes stall while any follower is down)
 *   semi-sync  the leader + k followers
 *   async      the leader alone      (followers receive entries once they are
 *                                      `replicationDelayMs` old; a failover can
 *                                      lose acknowledged writes, and a deposed
 *                                      leader's unreplicated suffix is truncated)
 * Elections always need a majority. With a commit quorum smaller than a
 * majority, an applied entry can later be truncated; the node then rebuilds its
 * state from the log and logs the loss — that loss is what faultline measures.
 *
 * Reads (`--reads leader`) are served by the leader after a read-index round:
 * it notes its commit index, confirms with a majority that it is still leader
 * (a heartbeat round sent after the read arrived), waits until it has applied
 * that index, then answers. A deposed leader cut off in a minority cannot
 * confirm, so it never serves a stale read. With `--leader-reads lease` the
 * leader skips the round while it holds a lease: a majority acknowledged a
 * heartbeat sent less than 0.9 election timeouts ago (node clock), and
 * followers refuse to vote for anyone that soon after hearing from a leader.
 * The lease is measured with the node's skewable clock, so a clock nemesis can
 * break it. `--reads any`: every node answers from its own state (stale
 * follower reads). `--reads ryw`: a follower answers a read that carries the
 * client's last write position (`after`) once it has applied it, and
 * redirects if it cannot within `--ryw-wait-ms`. With the write's term
 * (`afterTerm`) the log tells whether the write is still there: a follower
 * whose entry at `after` has another term redirects, and a leader whose log
 * lacks the entry refuses (`503 ryw-write-lost`) — an async write lost in a
 * failover can no longer be read by its writer, and read-your-writes allows
 * an error, not a read without it. `local` reads (`?local=1`) always answer
 * from the node's own state at once.
 *
 * `--failover unsafe` turns the safety off, as a naive primary/replica setup
 * would: a follower that stops hearing from the leader promotes itself with
 * no vote and no log comparison, a leader never checks that it still reaches
 * a majority, and it serves reads without confirming leadership. A leader cut
 * off by a partition keeps accepting (and, under async, acknowledging)
 * writes: split brain. Terms still order leaders once they can talk again:
 * the lower-term leader steps down and its divergent suffix is truncated.
 */
import { monotonicMs } from './clock.ts';
import type { ReplicaConfig } from './config.ts';
import type { Entry } from './raft-log.ts';
import { isUpToDate, lastPosition, majority, nextCommitIndex, planAppend, termAt } from './raft-log.ts';
import type { ApplyResult, Store, WriteOp } from './state-machine.ts';
import { createStore } from './state-machine.ts';
import type {
  ClientRequest,
  ClientWrite,
  ReadRequest,
  Reply,
  StatusReport,
  Topology,
  TopologyDeps,
} from './topology.ts';
import { PeerRequestError, replies } from './topology.ts';
import type { Wal } from './wal.ts';

type Role = 'follower' | 'candidate' | 'leader';

export interface AppendRequest {
  from: string;
  term: number;
  prevIndex: number;
  prevTerm: number;
  entries: Entry[];
  leaderCommit: number;
  /** Read-index round the leader had started when it sent this. */
  round: number;
}

export interface AppendResponse {
  term: number;
  success: boolean;
  /** On success: the last index the follower now holds in agreement with the leader. */
  matchIndex?: number;
  /** On a failed consistency check: where the leader should resume. */
  conflictIndex?: number;
  round: number;
}

export interface VoteRequest {
  from: string;
  term: number;
  lastLogIndex: number;
  lastLogTerm: number;
}

export interface VoteResponse {
  term: number;
  granted: boolean;
}

/** The leader's view of one follower. */
interface Progress {
  nextIndex: number;
  matchIndex: number;
  /** Highest read round this follower has answered in the current term. */
  ackedRound: number;
  /** Node-clock time at which the latest acknowledged request was sent (lease). */
  ackedSentAt: number;
  sentRound: number;
  /** Commit index the follower was last able to learn from us. */
  sentCommit: number;
  lastSentAt: number;
  lastAckAt: number;
  /** Wakes the replication loop early (new entries, a read round). */
  wake: (() => void) | undefined;
}

interface PendingWrite {
  term: number;
  resolve(reply: Reply): void;
}

export type SingleLeaderDeps = TopologyDeps;

const superseded = (): Reply =>
  replies.unavailable('superseded', true, 'the entry was replaced by another leader before it committed');

export class SingleLeader implements Topology {
  private readonly cfg: ReplicaConfig;
  private readonly deps: SingleLeaderDeps;
  private readonly store: Store = createStore();
  private readonly clusterSize: number;
  private readonly commitQuorum: number;

  private role: Role = 'follower';
  private term: number;
  private votedFor: string | null;
  private leaderId: string | null = null;
  private readonly log: Entry[];
  private commitIndex = 0;
  private appliedIndex = 0;
  private stopped = false;

  private electionTimer: NodeJS.Timeout | undefined;
  /** Monotonic ms when we last heard from the current leader (votes are refused for an election timeout after). */
  private lastLeaderContact = Number.NEGATIVE_INFINITY;
  // Leader-only state, reset at each election win.
  private progress = new Map<string, Progress>();
  private checkQuorumTimer: NodeJS.Timeout | undefined;
  private selfMatch = 0;
  private termStartIndex = 0;
  private roundSeq = 0;
  /** Leader: when each entry of this term was appended (async ships an entry once it is old enough). */
  private readonly appendedAt = new Map<number, number>();
  private prunedTo = 0;
  private readonly pending = new Map<number, PendingWrite>();
  private readonly waiters = new Set<() => void>();

  constructor(deps: SingleLeaderDeps) {
    this.deps = deps;
    this.cfg = deps.config;
    this.term = deps.replayed.term;
    this.votedFor = deps.replayed.votedFor;
    this.log = deps.replayed.log;
    this.clusterSize = deps.peers.ids.length + 1;
    this.commitQuorum =
      this.cfg.replication === 'sync'
        ? this.clusterSize
        : this.cfg.replication === 'semi-sync'
          ? Math.min(this.clusterSize, 1 + this.cfg.syncAcks)
          : 1;
  }

  start(): void {
    const last = lastPosition(this.log);
    this.deps.logger.info(
      `start: term ${this.term}, voted for ${this.votedFor ?? '-'}, log ${last.index}@${last.term} replayed from the WAL; ` +
        `${this.cfg.replication} replication, commit quorum ${this.commitQuorum}/${this.clusterSize}`,
    );
    this.resetElectionTimer();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.electionTimer);
    clearInterval(this.checkQuorumTimer);
    for (const p of this.progress.values()) p.wake?.();
    for (const [index, w] of this.pending) {
      this.pending.delete(index);
      w.resolve(replies.unavailable('shutting-down', true));
    }
    this.notify();
  }

  status(): StatusReport {
    return {
      id: this.cfg.id,
      role: this.role,
      term: this.term,
      leader: this.leaderId,
      commitIndex: this.commitIndex,
      appliedIndex: this.appliedIndex,
      lastLogIndex: this.log.length,
      topology: this.cfg.topology,
      replication: this.cfg.replication,
      clockOffsetMs: this.deps.clock.offsetMs,
      commitQuorum: this.commitQuorum,
      failover: this.cfg.failover,
      reads: this.cfg.reads,
    };
  }

  // ---------------------------------------------------------------- clients

  async handleClient(req: ClientRequest): Promise<Reply> {
    if (this.stopped) return replies.unavailable('shutting-down', false);
    if (req.kind === 'write') return this.write(toWriteOp(req.op));
    if (req.type === 'bank' && req.accounts === undefined) return replies.badRequest('a bank read needs ?accounts=');
    return this.read(req);
  }

  private async write(op: WriteOp): Promise<Reply> {
    if (this.role !== 'leader') return replies.notLeader(this.leaderId);
    const entry = this.appendAsLeader(op);
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(entry.index);
        resolve(replies.unavailable('timeout', true, `not committed within ${this.cfg.requestTimeoutMs} ms`));
      }, this.cfg.requestTimeoutMs);
      this.pending.set(entry.index, {
        term: entry.term,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
      });
    });
  }

  private view(req: ReadRequest): Record<string, unknown> {
    switch (req.type) {
      case 'kv':
        return { value: this.store.get(req.key) };
      case 'set':
        return { elements: this.store.members(req.key) };
      case 'counter':
        return { value: this.store.counter(req.key) };
      case 'bank':
        return { balances: this.store.balances(req.key, req.accounts ?? [], req.initial ?? 0) };
    }
  }

  /** Whether our log holds the client's last write: the entry at `after` has its term (log matching). */
  private holdsWrite(req: ReadRequest): boolean {
    if (req.after === undefined || req.afterTerm === undefined) return true;
    return termAt(this.log, req.after) === req.afterTerm;
  }

  private answerLocally(req: ReadRequest): Reply {
    return replies.ok({ ...this.view(req), index: this.appliedIndex, node: this.cfg.id });
  }

  private async read(req: ReadRequest): Promise<Reply> {
    if (req.local) return this.answerLocally(req);
    if (this.role !== 'leader') {
      if (this.cfg.reads === 'any' || (this.cfg.reads === 'ryw' && req.after === undefined))
        return this.answerLocally(req);
      if (this.cfg.reads === 'ryw' && req.after !== undefined) {
        const after = req.after;
        const applied = await this.waitFor(() => this.appliedIndex >= after, this.cfg.rywWaitMs);
        if (applied && this.holdsWrite(req)) return this.answerLocally(req);
      }
      return replies.notLeader(this.leaderId);
    }
    if (this.cfg.reads === 'ryw' && !this.holdsWrite(req))
      return replies.unavailable(
        'ryw-write-lost',
        false,
        `the client's write at log index ${req.after} of term ${req.afterTerm} is not in this leader's log: lost in a failover (or this leader was deposed)`,
      );
    // unsafe: no confirmation that we are still leader.
    if (this.cfg.failover === 'unsafe') return this.answerLocally(req);
    const term = this.term;
    const deadline = monotonicMs() + this.cfg.requestTimeoutMs;
    const remaining = () => Math.max(0, deadline - monotonicMs());
    const stillLeader = () => this.role === 'leader' && this.term === term && !this.stopped;
    // A new leader learns the true commit index only once an entry of its own term commits.
    const known = await this.waitFor(() => !stillLeader() || this.commitIndex >= this.termStartIndex, remaining());
    if (!stillLeader()) return replies.notLeader(this.leaderId);
    if (!known) return replies.unavailable('timeout', false, 'the new leader has not committed an entry yet');
    if (this.cfg.leaderReads === 'lease' && this.leaseValid()) return this.answerLocally(req);
    const readIndex = this.commitIndex;
    const round = ++this.roundSeq;
    this.kickReplicators();
    const confirmed = await this.waitFor(
      () => !stillLeader() || (this.roundConfirmed(round) && this.appliedIndex >= readIndex),
      remaining(),
    );
    if (!stillLeader()) return replies.notLeader(this.leaderId);
    if (!confirmed) return replies.unavailable('timeout', false, 'could not confirm leadership with a majority');
    return replies.ok({ ...this.view(req), index: readIndex, node: this.cfg.id });
  }

  /** A majority acknowledged a request we sent less than 0.9 election timeouts ago, by our (skewable) clock. */
  private leaseValid(): boolean {
    const sentAt = [Number.POSITIVE_INFINITY, ...[...this.progress.values()].map((p) => p.ackedSentAt)].sort(
      (a, b) => b - a,
    );
    const start = sentAt[majority(this.clusterSize) - 1] ?? Number.NEGATIVE_INFINITY;
    return this.deps.clock.now() < start + 0.9 * this.cfg.electionTimeoutMinMs;
  }

  private roundConfirmed(round: number): boolean {
    let acks = 1;
    for (const p of this.progress.values()) if (p.ackedRound >= round) acks++;
    return acks >= majority(this.clusterSize);
  }

  // ---------------------------------------------------------------- peers

  async handlePeer(method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (method === 'append') return { ...(await this.onAppend(parseAppend(body))) };
    if (method === 'vote') return { ...(await this.onVote(parseVote(body))) };
    throw new PeerRequestError(`unknown peer method "${method}"`);
  }

  private async onAppend(req: AppendRequest): Promise<AppendResponse> {
    if (req.term < this.term) {
      // Fencing: a deposed leader's replication is refused; our term tells it to step down.
      return { term: this.term, success: false, conflictIndex: 0, round: req.round };
    }
    let stateChanged = false;
    if (req.term > this.term) {
      this.adoptTerm(req.term);
      stateChanged = true;
    }
    if (this.role !== 'follower' || this.leaderId !== req.from) {
      if (this.role === 'leader') this.deps.logger.warn(`term ${this.term}: another leader ${req.from} in my term`);
      this.becomeFollower(req.from, `leader ${req.from} is replicating in term ${this.term}`);
    }
    this.lastLeaderContact = monotonicMs();
    this.resetElectionTimer();

    const plan = planAppend(this.log, req.prevIndex, req.prevTerm, req.entries);
    if (plan.kind === 'reject') {
      if (stateChanged) await this.persistState();
      return { term: this.term, success: false, conflictIndex: plan.conflictIndex, round: req.round };
    }
    if (plan.truncateFrom !== undefined) this.truncate(plan.truncateFrom, `leader ${req.from}, term ${req.term}`);
    for (const e of plan.append) this.log.push(e);
    const records = plan.append.map((entry) => ({ t: 'entry' as const, entry }));
    // Reply only once what we vouch for is on disk (a barrier also covers an earlier request's entries).
    await this.walAppend(stateChanged ? [this.stateRecord(), ...records] : records);
    if (this.term === req.term && this.leaderId === req.from) {
      const commit = Math.min(req.leaderCommit, plan.lastNewIndex);
      if (commit > this.commitIndex) {
        this.commitIndex = commit;
        this.applyCommitted();
      }
    }
    return { term: this.term, success: true, matchIndex: plan.lastNewIndex, round: req.round };
  }

  private async onVote(req: VoteRequest): Promise<VoteResponse> {
    // While we hear from a live leader, a candidate is a partitioned or slow node: ignoring it keeps it
    // from deposing a healthy leader, and is what makes a leader's read lease safe.
    const leaderAlive =
      this.role === 'leader' ||
      (this.leaderId !== null && monotonicMs() - this.lastLeaderContact < this.cfg.electionTimeoutMinMs);
    if (this.cfg.failover === 'safe' && leaderAlive && req.term > this.term) return { term: this.term, granted: false };
    let stateChanged = false;
    if (req.term > this.term) {
      this.adoptTerm(req.term);
      if (this.role !== 'follower') this.becomeFollower(null, `vote request from ${req.from} in term ${req.term}`);
      stateChanged = true;
    }
    const mine = lastPosition(this.log);
    const upToDate = isUpToDate({ term: req.lastLogTerm, index: req.lastLogIndex }, mine);
    const granted = req.term === this.term && (this.votedFor === null || this.votedFor === req.from) && upToDate;
    if (granted && this.votedFor !== req.from) {
      this.votedFor = req.from;
      stateChanged = true;
    }
    if (granted) this.resetElectionTimer();
    await this.walAppend(stateChanged ? [this.stateRecord()] : []);
    if (granted) this.deps.logger.info(`term ${this.term}: voted for ${req.from}`);
    else if (req.term === this.term && !upToDate)
      this.deps.logger.info(
        `term ${this.term}: refused vote to ${req.from}: its log ${req.lastLogIndex}@${req.lastLogTerm} is behind mine ${mine.index}@${mine.term}`,
      );
    return { term: this.term, granted };
  }

  // ---------------------------------------------------------------- roles

  private adoptTerm(term: number): void {
    this.deps.logger.info(`term ${this.term} -> ${term}`);
    this.term = term;
    this.votedFor = null;
  }

  private becomeFollower(leader: string | null, reason: string): void {
    const was = this.role;
    this.role = 'follower';
    this.leaderId = leader;
    if (was === 'leader') this.stopLeading();
    if (was !== 'follower' || leader !== null)
      this.deps.logger.info(`term ${this.term}: follower${leader ? ` of ${leader}` : ''} (${reason})`);
    this.resetElectionTimer();
    this.notify();
  }

  /** Steps down after seeing a higher term (or losing contact with a majority). */
  private stepDown(term: number, reason: string): void {
    if (term > this.term) {
      this.adoptTerm(term);
      void this.persistState();
    }
    this.becomeFollower(null, reason);
  }

  private stopLeading(): void {
    clearInterval(this.checkQuorumTimer);
    this.checkQuorumTimer = undefined;
    for (const p of this.progress.values()) p.wake?.();
    this.progress = new Map();
    this.appendedAt.clear();
  }

  private resetElectionTimer(): void {
    clearTimeout(this.electionTimer);
    if (this.stopped || this.role === 'leader') return;
    const { electionTimeoutMinMs: min, electionTimeoutMaxMs: max } = this.cfg;
    this.electionTimer = setTimeout(() => void this.startElection(), min + Math.random() * (max - min));
  }

  private async startElection(): Promise<void> {
    if (this.stopped || this.role === 'leader') return;
    if (this.cfg.failover === 'unsafe') return this.promoteUnsafely();
    this.term += 1;
    this.role = 'candidate';
    this.votedFor = this.cfg.id;
    this.leaderId = null;
    const term = this.term;
    const last = lastPosition(this.log);
    this.deps.logger.info(`term ${term}: election started (log ${last.index}@${last.term})`);
    this.resetElectionTimer(); // if this election is inconclusive, the next timeout starts another
    this.notify();
    await this.persistState();
    const isCandidate = () => this.role === 'candidate' && this.term === term && !this.stopped;
    if (!isCandidate()) return;
    const votes = new Set([this.cfg.id]);
    const tally = () => {
      if (isCandidate() && votes.size >= majority(this.clusterSize)) this.becomeLeader([...votes]);
    };
    tally();
    const req = { term, lastLogIndex: last.index, lastLogTerm: last.term };
    for (const peer of this.deps.peers.ids) {
      this.deps.peers.call<VoteResponse>(peer, 'vote', req, this.cfg.rpcTimeoutMs).then(
        (resp) => {
          if (resp.term > this.term) return this.stepDown(resp.term, `${peer} is in term ${resp.term}`);
          if (resp.granted && isCandidate()) {
            votes.add(peer);
            tally();
          }
        },
        () => {}, // unreachable peer: no vote
      );
    }
  }

  /**
   * Unsafe failover: take over at once, asking no one. Without a vote two
   * nodes could promote themselves into the same term, and two leaders'
   * different entries under one (index, term) would break log matching for
   * good: the nodes would never converge. So each node only takes terms of
   * its own residue (term mod N = its rank): leaders still split the brain,
   * but terms stay unique and the higher one wins cleanly after healing.
   */
  private async promoteUnsafely(): Promise<void> {
    const ids = [this.cfg.id, ...this.deps.peers.ids].sort();
    const rank = ids.indexOf(this.cfg.id);
    let next = this.term + 1;
    while (next % ids.length !== rank) next += 1;
    this.term = next;
    this.votedFor = this.cfg.id;
    const term = this.term;
    this.deps.logger.warn(
      `term ${term}: no leader heard for an election timeout: promoting myself without a vote (unsafe failover)`,
    );
    await this.persistState();
    if (this.stopped || this.term !== term || this.role === 'leader') return;
    this.becomeLeader([this.cfg.id]);
  }

  private becomeLeader(votes: string[]): void {
    clearTimeout(this.electionTimer);
    this.role = 'leader';
    this.leaderId = this.cfg.id;
    const now = monotonicMs();
    const next = this.log.length + 1;
    this.progress = new Map(
      this.deps.peers.ids.map((id) => [
        id,
        {
          nextIndex: next,
          matchIndex: 0,
          ackedRound: 0,
          ackedSentAt: Number.NEGATIVE_INFINITY,
          sentRound: 0,
          sentCommit: -1,
          lastSentAt: 0,
          lastAckAt: now,
          wake: undefined,
        },
      ]),
    );
    this.selfMatch = 0;
    this.roundSeq = 0;
    this.prunedTo = this.log.length;
    // A no-op of our own term: committing it commits everything before it, and tells us the commit index.
    this.termStartIndex = this.appendAsLeader({ type: 'noop' }).index;
    this.deps.logger.info(
      `term ${this.term}: became leader with votes from ${votes.join(', ')} (log ${this.log.length}, commit ${this.commitIndex})`,
    );
    const term = this.term;
    for (const peer of this.deps.peers.ids) void this.replicate(peer, term);
    this.checkQuorumTimer = setInterval(() => this.checkQuorum(), this.cfg.heartbeatMs);
    this.notify();
  }

  private checkQuorum(): void {
    if (this.role !== 'leader' || this.cfg.failover === 'unsafe') return;
    const cutoff = monotonicMs() - this.cfg.electionTimeoutMaxMs;
    let reachable = 1;
    for (const p of this.progress.values()) if (p.lastAckAt >= cutoff) reachable++;
    if (reachable < majority(this.clusterSize))
      this.stepDown(this.term, `no answer from a majority for ${this.cfg.electionTimeoutMaxMs} ms`);
  }

  // ---------------------------------------------------------------- the log

  private appendAsLeader(op: WriteOp): Entry {
    const entry: Entry = { term: this.term, index: this.log.length + 1, op };
    this.log.push(entry);
    this.appendedAt.set(entry.index, monotonicMs());
    this.walAppend([{ t: 'entry', entry }]).then(() => {
      if (this.role === 'leader' && this.term === entry.term && termAt(this.log, entry.index) === entry.term) {
        this.selfMatch = Math.max(this.selfMatch, entry.index);
        this.advanceCommit();
      }
    });
    this.kickReplicators();
    return entry;
  }

  private truncate(from: number, cause: string): void {
    const dropped = this.log.length - from + 1;
    const droppedApplied = Math.max(0, this.appliedIndex - from + 1);
    this.deps.logger.warn(
      `term ${this.term}: truncating ${dropped} entries from index ${from} (${cause})` +
        (droppedApplied > 0 ? `; ${droppedApplied} of them were applied: acknowledged writes lost` : ''),
    );
    this.log.length = from - 1;
    for (const [index, w] of this.pending) {
      if (index >= from) {
        this.pending.delete(index);
        w.resolve(superseded());
      }
    }
    this.commitIndex = Math.min(this.commitIndex, from - 1);
    if (this.appliedIndex >= from) {
      // Only possible when the commit quorum is below a majority: rebuild the state from the log.
      this.store.reset();
      this.appliedIndex = 0;
      this.applyCommitted();
    }
  }

  private advanceCommit(): void {
    const matches = [this.selfMatch, ...[...this.progress.values()].map((p) => p.matchIndex)];
    const everywhere = Math.min(...matches);
    for (; this.prunedTo < everywhere; this.prunedTo++) this.appendedAt.delete(this.prunedTo + 1);
    const commit = nextCommitIndex(this.log, matches, this.commitQuorum, this.term, this.commitIndex);
    if (commit <= this.commitIndex) return;
    this.commitIndex = commit;
    this.applyCommitted();
    if (this.cfg.replication !== 'async') this.kickReplicators();
  }

  private applyCommitted(): void {
    while (this.appliedIndex < this.commitIndex) {
      const entry = this.log[this.appliedIndex]!;
      this.appliedIndex++;
      const result = this.store.apply(entry.op);
      const w = this.pending.get(entry.index);
      if (w) {
        this.pending.delete(entry.index);
        w.resolve(w.term === entry.term ? resultReply(result, entry.index, entry.term) : superseded());
      }
    }
    this.notify();
  }

  // ---------------------------------------------------------------- replication

  /** One loop per follower while we lead `term`: at most one AppendEntries in flight to it. */
  private async replicate(peer: string, term: number): Promise<void> {
    const leading = () => this.role === 'leader' && this.term === term && !this.stopped;
    const p = this.progress.get(peer);
    if (!p) return;
    while (leading()) {
      const now = monotonicMs();
      const shippable = this.shippableIndex(p, now);
      const hasEntries = p.nextIndex <= shippable;
      const due =
        hasEntries ||
        this.roundSeq > p.sentRound ||
        Math.min(this.commitIndex, p.matchIndex) > p.sentCommit ||
        now - p.lastSentAt >= this.cfg.heartbeatMs;
      if (!due) {
        await this.sleepLoop(p, this.loopWaitMs(p, now, shippable));
        continue;
      }
      const prevIndex = p.nextIndex - 1;
      const entries = hasEntries
        ? this.log.slice(prevIndex, Math.min(shippable, prevIndex + this.cfg.replicationBatch))
        : [];
      const req = {
        term,
        prevIndex,
        prevTerm: termAt(this.log, prevIndex) ?? 0,
        entries,
        leaderCommit: this.commitIndex,
        round: this.roundSeq,
      };
      const sentAtClock = this.deps.clock.now();
      p.lastSentAt = now;
      p.sentRound = req.round;
      p.sentCommit = Math.min(req.leaderCommit, prevIndex + entries.length);
      let resp: AppendResponse;
      try {
        resp = await this.deps.peers.call<AppendResponse>(peer, 'append', req, this.cfg.rpcTimeoutMs);
      } catch {
        // Unreachable or hung link: resend everything the next time round.
        p.sentRound = p.ackedRound;
        p.sentCommit = -1;
        await this.sleepLoop(p, this.cfg.heartbeatMs);
        continue;
      }
      if (resp.term > this.term) return this.stepDown(resp.term, `${peer} is in term ${resp.term}`);
      if (!leading()) return;
      p.lastAckAt = monotonicMs();
      p.ackedRound = Math.max(p.ackedRound, resp.round);
      p.ackedSentAt = Math.max(p.ackedSentAt, sentAtClock);
      if (resp.success) {
        p.matchIndex = Math.max(p.matchIndex, resp.matchIndex ?? 0);
        p.nextIndex = p.matchIndex + 1;
        this.advanceCommit();
      } else {
        const conflict = resp.conflictIndex ?? p.nextIndex - 1;
        p.nextIndex = Math.max(1, Math.min(p.nextIndex - 1, conflict));
        // Only a follower that lost entries it had acknowledged (a WAL without fsync) can get here with a
        // match above its log: believe its log, not our memory.
        p.matchIndex = Math.min(p.matchIndex, Math.max(0, conflict - 1));
        p.sentCommit = -1;
      }
      this.notify();
    }
  }

  /** The last index that may be shipped now: everything, or under async only entries older than the delay. */
  private shippableIndex(p: Progress, now: number): number {
    const last = this.log.length;
    if (this.cfg.replication !== 'async' || this.cfg.replicationDelayMs === 0) return last;
    let i = p.nextIndex;
    const cutoff = now - this.cfg.replicationDelayMs;
    while (i <= last && (this.appendedAt.get(i) ?? Number.NEGATIVE_INFINITY) <= cutoff) i++;
    return i - 1;
  }

  private loopWaitMs(p: Progress, now: number, shippable: number): number {
    let wait = this.cfg.heartbeatMs - (now - p.lastSentAt);
    const nextAt = this.appendedAt.get(Math.max(shippable, p.nextIndex - 1) + 1);
    if (nextAt !== undefined) wait = Math.min(wait, nextAt + this.cfg.replicationDelayMs - now);
    return Math.max(1, wait);
  }

  private sleepLoop(p: Progress, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      p.wake = done;
      function done() {
        clearTimeout(timer);
        p.wake = undefined;
        resolve();
      }
    });
  }

  private kickReplicators(): void {
    for (const p of this.progress.values()) p.wake?.();
  }

  // ---------------------------------------------------------------- plumbing

  private stateRecord() {
    return { t: 'state' as const, term: this.term, votedFor: this.votedFor };
  }

  private persistState(): Promise<void> {
    return this.walAppend([this.stateRecord()]);
  }

  /** Appends to the WAL; an empty list waits for earlier appends. A WAL failure is fatal. */
  private walAppend(records: Parameters<Wal['append']>[0]): Promise<void> {
    const p = records.length > 0 ? this.deps.wal.append(records) : this.deps.wal.sync();
    return p.catch((e: unknown) => {
      this.deps.onFatal(e);
      return new Promise<void>(() => {}); // never resolves: the process is going down
    });
  }

  /** Resolves true once `check()` holds (re-checked on every state change), false after `timeoutMs`. */
  private waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onChange = () => {
        if (check() || this.stopped) finish(check());
      };
      const finish = (value: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(onChange);
        resolve(value);
      };
      const timer = setTimeout(() => finish(check()), timeoutMs);
      this.waiters.add(onChange);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** The term says which leader acknowledged the write (split-brain and fencing checks read it). */
const resultReply = (result: ApplyResult, index: number, term: number): Reply => {
  if (result.ok) return replies.ok({ ok: true, index, term });
  return result.error === 'cas-mismatch'
    ? replies.casMismatch(result.current, index)
    : replies.insufficientFunds(result.balance, index);
};

/** Client writes as log operations (a causal context means nothing under a total order). */
const toWriteOp = (op: ClientWrite): WriteOp => {
  switch (op.type) {
    case 'put':
      return { type: 'put', key: op.key, value: op.value };
    case 'cas':
      return { type: 'cas', key: op.key, from: op.from, to: op.to };
    default:
      return op;
  }
};

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

const parseAppend = (b: Record<string, unknown>): AppendRequest => {
  const { from, term, prevIndex, prevTerm, entries, leaderCommit, round } = b;
  if (
    typeof from !== 'string' ||
    !isInt(term) ||
    !isInt(prevIndex) ||
    !isInt(prevTerm) ||
    !Array.isArray(entries) ||
    !isInt(leaderCommit) ||
    !isInt(round)
  )
    throw new PeerRequestError('malformed append request');
  entries.forEach((e: Entry, i) => {
    if (!e || !isInt(e.term) || e.index !== prevIndex + 1 + i || typeof e.op?.type !== 'string')
      throw new PeerRequestError(`malformed entry ${i} in append request`);
  });
  return { from, term, prevIndex, prevTerm, entries: entries as Entry[], leaderCommit, round };
};

const parseVote = (b: Record<string, unknown>): VoteRequest => {
  const { from, term, lastLogIndex, lastLogTerm } = b;
  if (typeof from !== 'string' || !isInt(term) || !isInt(lastLogIndex) || !isInt(lastLogTerm))
    throw new PeerRequestError('malformed vote request');
  return { from, term, lastLogIndex, lastLogTerm };
};
