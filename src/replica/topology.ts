/**
 * The one small interface the HTTP server calls. Each topology
 * (single-leader, and in later versions multi-leader and leaderless)
 * implements it; the server only parses requests and writes replies.
 */
import type { NodeClock } from './clock.ts';
import type { ReplicaConfig } from './config.ts';
import type { Logger } from './logger.ts';
import type { ObjectOp } from './object-store.ts';
import type { Peers } from './peers.ts';
import type { Scalar } from './state-machine.ts';
import type { Replayed, Wal } from './wal.ts';

/** The data types: registers (kv), sets, counters, and bank accounts (single-leader only: transfers need a total order). */
export type DataType = 'kv' | 'set' | 'counter' | 'bank';

export interface ReadRequest {
  kind: 'read';
  type: DataType;
  key: string;
  /** Answer from this node's own state, whatever its role. */
  local: boolean;
  /** Read-your-writes: the log position of the client's last write (single-leader). */
  after?: number;
  /** The term of that write: a log with another term at `after` lost it in a failover. */
  afterTerm?: number;
  /** Bank: the accounts to read, and the balance of an account never written. */
  accounts?: string[];
  initial?: number;
}

/** A bank transfer: one atomic log entry (single-leader only). An account never written holds `initial`. */
export interface TransferOp {
  type: 'transfer';
  key: string;
  from: string;
  to: string;
  amount: number;
  initial: number;
}

/** A client write, as every topology receives it (`context` only matters with version vectors). */
export type ClientWrite = ObjectOp | TransferOp;

/** Why a topology without a total order refuses bank operations. */
export const BANK_NEEDS_SINGLE_LEADER = 'bank transfers need the single-leader topology (one log orders them)';

/** A client request, already parsed and validated by the server. */
export type ClientRequest = ReadRequest | { kind: 'write'; op: ClientWrite };

/** An HTTP reply: status and JSON body. */
export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** What `GET /admin/status` reports. */
export interface StatusReport {
  id: string;
  role: 'leader' | 'follower' | 'candidate' | 'peer';
  term: number;
  leader: string | null;
  commitIndex: number;
  appliedIndex: number;
  lastLogIndex: number;
  topology: string;
  replication: string;
  clockOffsetMs: number;
  [key: string]: unknown;
}

/** What every topology is built from: its config, WAL, peers, clock and logger. */
export interface TopologyDeps {
  config: ReplicaConfig;
  wal: Wal;
  replayed: Replayed;
  peers: Peers;
  clock: NodeClock;
  logger: Logger;
  /** Called when the node cannot continue (its WAL failed); the process should exit. */
  onFatal(error: unknown): void;
}

export interface Topology {
  start(): void;
  /** Stops timers and peer traffic; pending requests are answered 503 maybe-applied. */
  stop(): Promise<void>;
  handleClient(req: ClientRequest): Promise<Reply>;
  /** A peer RPC; throws PeerRequestError for an unknown method or a malformed body. */
  handlePeer(method: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  status(): StatusReport;
}

export class PeerRequestError extends Error {}

/**
 * Error replies. `maybeApplied` tells a client whether the operation may
 * have taken effect: false is a definite refusal (faultline records `fail`),
 * true means the outcome is unknown (`info`).
 */
export const replies = {
  ok: (body: Record<string, unknown>): Reply => ({ status: 200, body }),
  notLeader: (leader: string | null): Reply => ({
    status: 421,
    body: { error: 'not-leader', leader, maybeApplied: false },
  }),
  casMismatch: (current: Scalar | Scalar[], index?: number): Reply => ({
    status: 412,
    body: { error: 'cas-mismatch', current, ...(index !== undefined ? { index } : {}), maybeApplied: false },
  }),
  unavailable: (error: string, maybeApplied: boolean, message?: string): Reply => ({
    status: 503,
    body: { error, maybeApplied, ...(message ? { message } : {}) },
  }),
  badRequest: (message: string): Reply => ({
    status: 400,
    body: { error: 'bad-request', message, maybeApplied: false },
  }),
  insufficientFunds: (balance: number, index?: number): Reply => ({
    status: 409,
    body: { error: 'insufficient-funds', balance, ...(index !== undefined ? { index } : {}), maybeApplied: false },
  }),
};
