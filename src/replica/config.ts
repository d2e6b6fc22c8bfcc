/**
 * The replica's command-line flags, parsed into one frozen config. Every
 * flag has a default except --id and --port; errors name the flag.
 * docs/replica.md lists them all.
 */
import { parseArgs } from 'node:util';
import { configError } from '../base/errors.ts';
import type { Conflicts } from './object-store.ts';
import { CONFLICTS } from './object-store.ts';
import { majority } from './raft-log.ts';
import type { FsyncPolicy } from './wal.ts';

export type TopologyName = 'single-leader' | 'multi-leader' | 'leaderless';
export type Replication = 'sync' | 'semi-sync' | 'async';
export type Failover = 'safe' | 'unsafe';
/** Where single-leader reads are answered: the leader only, any node from its own state, or a node that has applied the client's last write. */
export type ReadMode = 'leader' | 'any' | 'ryw';
/** How a single-leader leader confirms it may answer a read: a majority round, or a time lease. */
export type LeaderReads = 'index' | 'lease';

export interface ReplicaConfig {
  id: string;
  host: string;
  port: number;
  dataDir: string;
  /** id → "host:port" this node uses to reach that peer. */
  peers: Readonly<Record<string, string>>;
  topology: TopologyName;

  // single-leader
  replication: Replication;
  /** semi-sync: follower acknowledgements a write waits for. */
  syncAcks: number;
  failover: Failover;
  reads: ReadMode;
  leaderReads: LeaderReads;
  /** ryw: how long a follower waits to apply the client's last write before redirecting. */
  rywWaitMs: number;
  electionTimeoutMinMs: number;
  electionTimeoutMaxMs: number;
  heartbeatMs: number;

  // single-leader async and multi-leader
  /** single-leader async: an entry ships once this old. multi-leader: the shipping period. */
  replicationDelayMs: number;
  /** Most entries (single-leader) or keys (multi-leader) in one message. */
  replicationBatch: number;

  // multi-leader and leaderless
  conflicts: Conflicts;

  // leaderless
  /** Replies a read waits for, and acknowledgements a write waits for (N is the cluster size). */
  r: number;
  w: number;
  readRepair: boolean;
  hintedHandoff: boolean;
  hintRetryMs: number;
  /** Period of anti-entropy exchanges with a random peer; 0 turns it off. */
  antiEntropyMs: number;

  /** Timeout of one peer RPC (a partitioned link hangs, so this bounds it). */
  rpcTimeoutMs: number;
  /** How long a client request waits inside the server before a 503. */
  requestTimeoutMs: number;
  fsync: FsyncPolicy;
}

export const TOPOLOGIES: readonly TopologyName[] = ['single-leader', 'multi-leader', 'leaderless'];
export const REPLICATIONS: readonly Replication[] = ['sync', 'semi-sync', 'async'];

export const DEFAULTS = {
  host: '127.0.0.1',
  topology: 'single-leader',
  replication: 'sync',
  syncAcks: 1,
  failover: 'safe',
  reads: 'leader',
  leaderReads: 'index',
  rywWaitMs: 1000,
  replicationDelayMs: 200,
  replicationBatch: 500,
  electionTimeoutMinMs: 300,
  electionTimeoutMaxMs: 600,
  heartbeatMs: 75,
  hintRetryMs: 500,
  antiEntropyMs: 1000,
  rpcTimeoutMs: 1000,
  requestTimeoutMs: 10_000,
  fsync: 'always',
  fsyncIntervalMs: 100,
} as const;

const intFlag = (name: string, raw: string | undefined, fallback: number, min: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw configError(`--${name}: expected an integer >= ${min}, got "${raw}"`);
  return n;
};

const oneOf = <T extends string>(name: string, raw: string | undefined, allowed: readonly T[], fallback: T): T => {
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw configError(`--${name}: expected one of ${allowed.join(', ')}; got "${raw}"`);
  return raw as T;
};

const onOff = (name: string, raw: string | undefined): boolean =>
  oneOf(name, raw, ['on', 'off', 'true', 'false'] as const, 'on') === 'on' || raw === 'true';

/** "n2=127.0.0.1:7102,n3=127.0.0.1:7103" → {n2: "127.0.0.1:7102", n3: ...} */
export const parsePeers = (raw: string, selfId: string): Record<string, string> => {
  const peers: Record<string, string> = {};
  for (const part of raw.split(',').filter((p) => p.trim() !== '')) {
    const m = /^\s*([^=\s]+)=([^:\s]+):(\d+)\s*$/.exec(part);
    if (!m) throw configError(`--peers: expected id=host:port, got "${part}"`);
    const [, id, host, port] = m as unknown as [string, string, string, string];
    if (id === selfId) throw configError(`--peers: lists this node's own id "${id}"`);
    if (peers[id]) throw configError(`--peers: "${id}" appears twice`);
    peers[id] = `${host}:${port}`;
  }
  return peers;
};

const STRING_FLAGS = [
  'id',
  'host',
  'port',
  'data-dir',
  'peers',
  'topology',
  'replication',
  'sync-acks',
  'failover',
  'reads',
  'leader-reads',
  'ryw-wait-ms',
  'replication-delay-ms',
  'replication-batch',
  'election-timeout-min-ms',
  'election-timeout-max-ms',
  'heartbeat-ms',
  'conflicts',
  'r',
  'w',
  'read-repair',
  'hinted-handoff',
  'hint-retry-ms',
  'anti-entropy-ms',
  'rpc-timeout-ms',
  'request-timeout-ms',
  'fsync',
  'fsync-interval-ms',
] as const;

export const parseReplicaArgs = (argv: readonly string[]): ReplicaConfig => {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }])),
    }) as { values: Record<string, string | undefined> });
  } catch (e) {
    throw configError(`replica: ${(e as Error).message}`, { cause: e });
  }
  const id = values.id;
  if (!id) throw configError('--id is required (e.g. --id n1)');
  const port = intFlag('port', values.port, -1, 0);
  if (port < 0 || port > 65535) throw configError('--port is required (0-65535)');
  const peers = parsePeers(values.peers ?? '', id);
  const size = Object.keys(peers).length + 1;
  const topology = oneOf('topology', values.topology, TOPOLOGIES, DEFAULTS.topology);
  const replication = oneOf('replication', values.replication, REPLICATIONS, DEFAULTS.replication);
  const syncAcks = intFlag('sync-acks', values['sync-acks'], DEFAULTS.syncAcks, 1);
  if (replication === 'semi-sync' && syncAcks > size - 1)
    throw configError(`--sync-acks: ${syncAcks} acknowledgements asked, but only ${size - 1} followers exist`);
  const electionTimeoutMinMs = intFlag(
    'election-timeout-min-ms',
    values['election-timeout-min-ms'],
    DEFAULTS.electionTimeoutMinMs,
    1,
  );
  const electionTimeoutMaxMs = intFlag(
    'election-timeout-max-ms',
    values['election-timeout-max-ms'],
    Math.max(DEFAULTS.electionTimeoutMaxMs, electionTimeoutMinMs * 2),
    electionTimeoutMinMs,
  );
  const r = intFlag('r', values.r, majority(size), 1);
  const w = intFlag('w', values.w, majority(size), 1);
  if (r > size) throw configError(`--r: ${r} replies asked, but the cluster has ${size} nodes`);
  if (w > size) throw configError(`--w: ${w} acknowledgements asked, but the cluster has ${size} nodes`);
  const fsyncKind = oneOf('fsync', values.fsync, ['always', 'interval', 'never'] as const, DEFAULTS.fsync);
  const fsync: FsyncPolicy =
    fsyncKind === 'interval'
      ? {
          kind: 'interval',
          intervalMs: intFlag('fsync-interval-ms', values['fsync-interval-ms'], DEFAULTS.fsyncIntervalMs, 1),
        }
      : { kind: fsyncKind };
  return Object.freeze({
    id,
    host: values.host ?? DEFAULTS.host,
    port,
    dataDir: values['data-dir'] ?? `./replica-data-${id}`,
    peers: Object.freeze(peers),
    topology,
    replication,
    syncAcks,
    failover: oneOf('failover', values.failover, ['safe', 'unsafe'] as const, DEFAULTS.failover),
    reads: oneOf('reads', values.reads, ['leader', 'any', 'ryw'] as const, DEFAULTS.reads),
    leaderReads: oneOf('leader-reads', values['leader-reads'], ['index', 'lease'] as const, DEFAULTS.leaderReads),
    rywWaitMs: intFlag('ryw-wait-ms', values['ryw-wait-ms'], DEFAULTS.rywWaitMs, 0),
    replicationDelayMs: intFlag('replication-delay-ms', values['replication-delay-ms'], DEFAULTS.replicationDelayMs, 0),
    replicationBatch: intFlag('replication-batch', values['replication-batch'], DEFAULTS.replicationBatch, 1),
    electionTimeoutMinMs,
    electionTimeoutMaxMs,
    heartbeatMs: intFlag('heartbeat-ms', values['heartbeat-ms'], DEFAULTS.heartbeatMs, 1),
    conflicts: oneOf('conflicts', values.conflicts, CONFLICTS, topology === 'leaderless' ? 'version-vectors' : 'lww'),
    r,
    w,
    readRepair: onOff('read-repair', values['read-repair']),
    hintedHandoff: onOff('hinted-handoff', values['hinted-handoff']),
    hintRetryMs: intFlag('hint-retry-ms', values['hint-retry-ms'], DEFAULTS.hintRetryMs, 1),
    antiEntropyMs: intFlag('anti-entropy-ms', values['anti-entropy-ms'], DEFAULTS.antiEntropyMs, 0),
    rpcTimeoutMs: intFlag('rpc-timeout-ms', values['rpc-timeout-ms'], DEFAULTS.rpcTimeoutMs, 1),
    requestTimeoutMs: intFlag('request-timeout-ms', values['request-timeout-ms'], DEFAULTS.requestTimeoutMs, 1),
    fsync,
  });
};
