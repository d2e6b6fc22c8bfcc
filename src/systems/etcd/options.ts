/**
 * Options of `system: etcd`.
 *
 * Cluster preset (`options:`):
 *   heartbeatMs: 100          # --heartbeat-interval
 *   electionTimeoutMs: 1000   # --election-timeout (at least 5 heartbeats, etcd's own rule)
 *   reads: linearizable       # how clients read: linearizable | serializable
 *
 * Workload (`options:`): `reads` again, overriding the preset's, and
 * `readFrom: local` (faultline's final reads), which is a serializable read
 * of the bound member's own state.
 *
 * A serializable read is answered by the member from its own state without
 * asking the leader: fast, available in a minority, and possibly stale.
 */
import { configError } from '../../base/errors.ts';
import { type OptionValues, pickOptions, readOptions } from '../options.ts';

export const ETCD_OPTIONS = {
  heartbeatMs: { kind: 'ms', min: 1 },
  electionTimeoutMs: { kind: 'ms', min: 1 },
  reads: { kind: 'enum', values: ['linearizable', 'serializable'] },
} as const;

export const ETCD_CLIENT_OPTIONS = {
  reads: { kind: 'enum', values: ['linearizable', 'serializable'] },
  readFrom: { kind: 'enum', values: ['leader', 'local'] },
} as const;

export type EtcdOptions = OptionValues<typeof ETCD_OPTIONS>;

export const DEFAULT_HEARTBEAT_MS = 100;
export const DEFAULT_ELECTION_TIMEOUT_MS = 1000;

/** The preset's options, checked; throws FL_ERR_CONFIG naming `options.<key>`. */
export const etcdOptions = (options: Readonly<Record<string, unknown>>): EtcdOptions => {
  const o = readOptions('system etcd', ETCD_OPTIONS, options);
  const heartbeat = o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const election = o.electionTimeoutMs ?? DEFAULT_ELECTION_TIMEOUT_MS;
  if (election < 5 * heartbeat) {
    throw configError(
      `options.electionTimeoutMs: ${election} ms is less than 5 heartbeats (${5 * heartbeat} ms); etcd refuses to start`,
      { path: 'options.electionTimeoutMs', hint: 'raise electionTimeoutMs or lower heartbeatMs' },
    );
  }
  return o;
};

/** How a client reads: serializable when asked for (or for `readFrom: local`), linearizable otherwise. */
export const clientReadMode = (
  cluster: Readonly<Record<string, unknown>>,
  workload: Readonly<Record<string, unknown>>,
): { serializable: boolean } => {
  const fromCluster = pickOptions('system etcd', { reads: ETCD_OPTIONS.reads }, cluster);
  const fromWorkload = pickOptions('the etcd client', ETCD_CLIENT_OPTIONS, workload);
  const reads = fromWorkload.reads ?? fromCluster.reads ?? 'linearizable';
  return { serializable: reads === 'serializable' || fromWorkload.readFrom === 'local' };
};
