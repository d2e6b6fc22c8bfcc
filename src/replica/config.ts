/**
 * The replica's command-line flags, parsed into one frozen config. Every
 * flag has a default except --id and --port; errors name the flag.
 */
import { parseArgs } from 'node:util';
import { configError } from '../core/errors.ts';
import type { FsyncPolicy } from './wal.ts';

export type TopologyName = 'single-leader';
export type Replication = 'sync' | 'semi-sync' | 'async';

export interface ReplicaConfig {
  id: string;
  host: string;
  port: number;
  dataDir: string;
  /** id → "host:port" this node uses to reach that peer. */
  peers: Readonly<Record<string, string>>;
  topology: TopologyName;
  replication: Replication;
  /** semi-sync: follower acknowledgements a write waits for. */
  syncAcks: number;
  /** async: an entry is shipped to followers once it is this old. */
  replicationDelayMs: number;
  /** Most entries in one AppendEntries. */
  replicationBatch: number;
  electionTimeoutMinMs: number;
  electionTimeoutMaxMs: number;
  heartbeatMs: number;
  /** Timeout of one peer RPC (a partitioned link hangs, so this bounds it). */
  rpcTimeoutMs: number;
  /** How long a client write or read waits inside the server before a 503. */
  requestTimeoutMs: number;
  fsync: FsyncPolicy;
}

export const TOPOLOGIES: readonly TopologyName[] = ['single-leader'];
export const REPLICATIONS: readonly Replication[] = ['sync', 'semi-sync', 'async'];

export const DEFAULTS = {
  host: '127.0.0.1',
  topology: 'single-leader',
  replication: 'sync',
  syncAcks: 1,
  replicationDelayMs: 200,
  replicationBatch: 500,
  electionTimeoutMinMs: 300,
  electionTimeoutMaxMs: 600,
  heartbeatMs: 75,
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

export const parseReplicaArgs = (argv: readonly string[]): ReplicaConfig => {
  const s = { type: 'string' } as const;
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        id: s,
        host: s,
        port: s,
        'data-dir': s,
        peers: s,
        topology: s,
        replication: s,
        'sync-acks': s,
        'replication-delay-ms': s,
        'replication-batch': s,
        'election-timeout-min-ms': s,
        'election-timeout-max-ms': s,
        'heartbeat-ms': s,
        'rpc-timeout-ms': s,
        'request-timeout-ms': s,
        fsync: s,
        'fsync-interval-ms': s,
      },
    }));
  } catch (e) {
    throw configError(`replica: ${(e as Error).message}`, { cause: e });
  }
  const id = values.id;
  if (!id) throw configError('--id is required (e.g. --id n1)');
  const port = intFlag('port', values.port, -1, 0);
  if (port < 0 || port > 65535) throw configError('--port is required (0-65535)');
  const peers = parsePeers(values.peers ?? '', id);
  const replication = oneOf('replication', values.replication, REPLICATIONS, DEFAULTS.replication);
  const syncAcks = intFlag('sync-acks', values['sync-acks'], DEFAULTS.syncAcks, 1);
  const followers = Object.keys(peers).length;
  if (replication === 'semi-sync' && syncAcks > followers)
    throw configError(`--sync-acks: ${syncAcks} acknowledgements asked, but only ${followers} followers exist`);
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
    topology: oneOf('topology', values.topology, TOPOLOGIES, DEFAULTS.topology),
    replication,
    syncAcks,
    replicationDelayMs: intFlag('replication-delay-ms', values['replication-delay-ms'], DEFAULTS.replicationDelayMs, 0),
    replicationBatch: intFlag('replication-batch', values['replication-batch'], DEFAULTS.replicationBatch, 1),
    electionTimeoutMinMs,
    electionTimeoutMaxMs,
    heartbeatMs: intFlag('heartbeat-ms', values['heartbeat-ms'], DEFAULTS.heartbeatMs, 1),
    rpcTimeoutMs: intFlag('rpc-timeout-ms', values['rpc-timeout-ms'], DEFAULTS.rpcTimeoutMs, 1),
    requestTimeoutMs: intFlag('request-timeout-ms', values['request-timeout-ms'], DEFAULTS.requestTimeoutMs, 1),
    fsync,
  });
};
