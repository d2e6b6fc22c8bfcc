/**
 * What one PostgreSQL node says about itself: primary or standby, its
 * timeline, how far its WAL goes, whom it streams from and to. The leader
 * lookup, the status, the operator's failover and a restarting node's
 * rejoin all read it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { NodeAddress, NodeId } from '../system.ts';
import { adminQuery } from './connection.ts';

export interface NodeProbe {
  id: NodeId;
  /**
   * The cluster it belongs to: the system identifier initdb gave the first
   * primary, which pg_basebackup copies to every standby and promotion
   * keeps. A server of another cluster (another run's, on a port this node
   * had while it was down) has a different one.
   */
  systemId: string;
  standby: boolean;
  /** The timeline: a primary's current one, a standby's received (or last checkpoint's) one. Promotion bumps it. */
  timeline: number;
  /** A primary's flushed WAL end. */
  flushLsn: string | null;
  /** A standby's WAL received and flushed to its disk (kept after streaming stops). */
  receiveLsn: string | null;
  /** A standby's WAL replayed. */
  replayLsn: string | null;
  /** `synchronous_standby_names` as the node has it. */
  syncStandbyNames: string;
  /** A standby's upstream "host:port" while streaming. */
  upstream: string | null;
  /** A primary's connected standbys. */
  replicas: { name: string; state: string; sync: string }[];
}

const PROBE_SQL = `
SELECT pg_is_in_recovery() AS standby,
       (SELECT system_identifier::text FROM pg_control_system()) AS system_id,
       CASE WHEN pg_is_in_recovery()
            THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver),
                          (SELECT timeline_id FROM pg_control_checkpoint()))
            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline,
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_flush_lsn()::text END AS flush_lsn,
       pg_last_wal_receive_lsn()::text AS receive_lsn,
       pg_last_wal_replay_lsn()::text AS replay_lsn,
       current_setting('synchronous_standby_names') AS sync_names,
       (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming') AS upstream,
       (SELECT coalesce(json_agg(json_build_object('name', application_name, 'state', state, 'sync', sync_state)
                                 ORDER BY application_name), '[]'::json)
          FROM pg_stat_replication) AS replicas`;

interface ProbeRow {
  standby: boolean;
  system_id: string;
  timeline: number;
  flush_lsn: string | null;
  receive_lsn: string | null;
  replay_lsn: string | null;
  sync_names: string;
  upstream: string | null;
  replicas: { name: string; state: string; sync: string }[];
}

/** Asks one node; rejects when it does not answer within `timeoutMs`. */
export const probe = async (node: NodeAddress, signal: AbortSignal, timeoutMs = 1500): Promise<NodeProbe> => {
  const [row] = await adminQuery<ProbeRow>(node, PROBE_SQL, [], { signal, timeoutMs });
  if (!row) throw new Error(`${node.id}: the probe returned no row`);
  return {
    id: node.id,
    systemId: row.system_id,
    standby: row.standby,
    timeline: Number(row.timeline),
    flushLsn: row.flush_lsn,
    receiveLsn: row.receive_lsn,
    replayLsn: row.replay_lsn,
    syncStandbyNames: row.sync_names,
    upstream: row.upstream,
    replicas: row.replicas,
  };
};

/**
 * Every node that answers and belongs to the cluster: `cluster` (a system
 * identifier) when given, else the one most answers share (none on a tie).
 * A stranger on a node's port counts as not answering.
 */
export const probeAll = async (
  nodes: readonly NodeAddress[],
  signal: AbortSignal,
  timeoutMs = 1500,
  cluster?: string,
): Promise<NodeProbe[]> => {
  const probes = (await Promise.all(nodes.map((n) => probe(n, signal, timeoutMs).catch(() => undefined)))).filter(
    (p): p is NodeProbe => p !== undefined,
  );
  const id = cluster ?? clusterOf(probes);
  return probes.filter((p) => p.systemId === id);
};

/** The system identifier most probes share; undefined when none, or on a tie. */
export const clusterOf = (probes: readonly NodeProbe[]): string | undefined => {
  const counts = new Map<string, number>();
  for (const p of probes) counts.set(p.systemId, (counts.get(p.systemId) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  return ranked[0] && ranked[0][1] !== ranked[1]?.[1] ? ranked[0][0] : undefined;
};

/** A stopped node's system identifier, from its control file (the first field of pg_control); undefined if unreadable. */
export const systemIdOf = (pgdata: string): string | undefined => {
  try {
    return readFileSync(path.join(pgdata, 'global', 'pg_control'))
      .readBigUInt64LE(0)
      .toString();
  } catch {
    return undefined;
  }
};

/** An LSN ("16/B374D848") as a number that orders like the WAL; -1 for none. */
export const lsnValue = (lsn: string | null): bigint => {
  const m = lsn ? /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(lsn) : null;
  if (!m) return -1n;
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
};

/**
 * How far a standby's WAL goes: the furthest it received (flushed to its
 * disk) or replayed. Received counts, not only replayed: a synchronous
 * commit is acknowledged once a standby has *flushed* it, and promotion
 * replays everything received first — so the standby that received most
 * holds every acknowledged commit.
 */
export const walPosition = (p: NodeProbe): bigint => {
  const received = lsnValue(p.receiveLsn);
  const replayed = lsnValue(p.replayLsn);
  // bigints: Math.max does not take them
  if (received > replayed) return received;
  return replayed;
};

/** The primary among answers: not in recovery, on the highest timeline (a stale one may linger). */
export const primaryOf = (probes: readonly NodeProbe[]): NodeProbe | undefined =>
  probes.filter((p) => !p.standby).sort((a, b) => b.timeline - a.timeline || a.id.localeCompare(b.id))[0];
