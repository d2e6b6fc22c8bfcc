/**
 * The cluster preset's `options:` for `system: replica`, in camelCase, and
 * how each maps to a command-line flag of the replica server
 * (docs/replica.md describes each).
 *
 *   options:
 *     topology: single-leader        # single-leader | multi-leader | leaderless
 *     replication: sync              # single-leader: sync | semi-sync | async
 *     syncAcks: 1                    # semi-sync: follower acks per write
 *     replicationDelayMs: 200        # async: ship entries once this old
 *     conflicts: lww                 # multi-leader / leaderless: lww | version-vectors | crdt
 *     r: 2                           # leaderless read and write quorums
 *     w: 2
 *
 * Durations (`...Ms` keys) are numbers of milliseconds or strings such as
 * "200ms" / "1s".
 */
import { parseDuration } from '../../base/duration.ts';
import { configError } from '../../base/errors.ts';

type Topology = 'single-leader' | 'multi-leader' | 'leaderless';

type OptionSpec = { flag: string; only?: readonly Topology[] } & (
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'int'; min: number }
  | { kind: 'ms'; min: number }
  | { kind: 'bool' }
);

const SL: readonly Topology[] = ['single-leader'];
const LL: readonly Topology[] = ['leaderless'];

export const REPLICA_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  topology: { flag: 'topology', kind: 'enum', values: ['single-leader', 'multi-leader', 'leaderless'] },
  replication: { flag: 'replication', kind: 'enum', values: ['sync', 'semi-sync', 'async'], only: SL },
  syncAcks: { flag: 'sync-acks', kind: 'int', min: 1, only: SL },
  failover: { flag: 'failover', kind: 'enum', values: ['safe', 'unsafe'], only: SL },
  reads: { flag: 'reads', kind: 'enum', values: ['leader', 'any', 'ryw'], only: SL },
  leaderReads: { flag: 'leader-reads', kind: 'enum', values: ['index', 'lease'], only: SL },
  rywWaitMs: { flag: 'ryw-wait-ms', kind: 'ms', min: 0, only: SL },
  electionTimeoutMinMs: { flag: 'election-timeout-min-ms', kind: 'ms', min: 1, only: SL },
  electionTimeoutMaxMs: { flag: 'election-timeout-max-ms', kind: 'ms', min: 1, only: SL },
  heartbeatMs: { flag: 'heartbeat-ms', kind: 'ms', min: 1, only: SL },
  replicationDelayMs: { flag: 'replication-delay-ms', kind: 'ms', min: 0, only: ['single-leader', 'multi-leader'] },
  replicationBatch: { flag: 'replication-batch', kind: 'int', min: 1 },
  conflicts: {
    flag: 'conflicts',
    kind: 'enum',
    values: ['lww', 'version-vectors', 'crdt'],
    only: ['multi-leader', 'leaderless'],
  },
  r: { flag: 'r', kind: 'int', min: 1, only: LL },
  w: { flag: 'w', kind: 'int', min: 1, only: LL },
  readRepair: { flag: 'read-repair', kind: 'bool', only: LL },
  hintedHandoff: { flag: 'hinted-handoff', kind: 'bool', only: LL },
  hintRetryMs: { flag: 'hint-retry-ms', kind: 'ms', min: 1, only: LL },
  antiEntropyMs: { flag: 'anti-entropy-ms', kind: 'ms', min: 0, only: LL },
  rpcTimeoutMs: { flag: 'rpc-timeout-ms', kind: 'ms', min: 1 },
  requestTimeoutMs: { flag: 'request-timeout-ms', kind: 'ms', min: 1 },
  fsync: { flag: 'fsync', kind: 'enum', values: ['always', 'interval', 'never'] },
  fsyncIntervalMs: { flag: 'fsync-interval-ms', kind: 'ms', min: 1 },
};

const camel = (kebab: string): string => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** One option's value as a flag string; throws a config error naming `options.<key>`. */
const flagValue = (key: string, spec: OptionSpec, value: unknown): string => {
  const where = { path: `options.${key}` };
  switch (spec.kind) {
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value))
        throw configError(
          `options.${key}: expected one of ${spec.values.join(', ')}; got ${JSON.stringify(value)}`,
          where,
        );
      return value;
    case 'bool':
      if (typeof value !== 'boolean')
        throw configError(`options.${key}: expected true or false; got ${JSON.stringify(value)}`, where);
      return value ? 'on' : 'off';
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min)
        throw configError(`options.${key}: expected an integer >= ${spec.min}; got ${JSON.stringify(value)}`, where);
      return String(value);
    case 'ms': {
      let ms: number;
      if (typeof value === 'number') ms = value;
      else if (typeof value === 'string') {
        try {
          ms = /^\s*\d+\s*$/.test(value) ? Number(value) : parseDuration(value);
        } catch (e) {
          throw configError(`options.${key}: ${(e as Error).message}`, { ...where, cause: e });
        }
      } else ms = Number.NaN;
      if (!Number.isFinite(ms) || ms < spec.min)
        throw configError(
          `options.${key}: expected milliseconds >= ${spec.min} (a number or "200ms"); got ${JSON.stringify(value)}`,
          where,
        );
      return String(Math.round(ms));
    }
  }
};

/** Validates the preset's options and turns them into replica flags. */
export const replicaFlags = (options: Readonly<Record<string, unknown>>, nodeCount: number): string[] => {
  const flags: string[] = [];
  const resolved: Record<string, string> = {};
  const topology = (typeof options.topology === 'string' ? options.topology : 'single-leader') as Topology;
  for (const [key, value] of Object.entries(options)) {
    const spec = REPLICA_OPTIONS[key];
    if (!spec) {
      const hint = REPLICA_OPTIONS[camel(key)]
        ? `options are camelCase: write ${camel(key)}`
        : `known options: ${Object.keys(REPLICA_OPTIONS).join(', ')}`;
      throw configError(`options.${key}: unknown option for system replica`, { path: `options.${key}`, hint });
    }
    if (value === undefined || value === null) continue;
    resolved[key] = flagValue(key, spec, value);
    if (spec.only && !spec.only.includes(topology))
      throw configError(
        `options.${key}: only applies to topology ${spec.only.join(' or ')} (topology is ${topology})`,
        {
          path: `options.${key}`,
        },
      );
    flags.push(`--${spec.flag}`, resolved[key]);
  }
  const replication = options.replication ?? 'sync';
  const acks = options.syncAcks;
  if (replication === 'semi-sync' && typeof acks === 'number' && acks > nodeCount - 1)
    throw configError(
      `options.syncAcks: ${acks} acknowledgements asked, but ${nodeCount} nodes have only ${nodeCount - 1} followers`,
      { path: 'options.syncAcks' },
    );
  if (acks !== undefined && replication !== 'semi-sync')
    throw configError(
      `options.syncAcks: only meaningful with replication: semi-sync (replication is ${String(replication)})`,
      { path: 'options.syncAcks' },
    );
  for (const q of ['r', 'w'] as const) {
    const v = options[q];
    if (typeof v === 'number' && v > nodeCount)
      throw configError(`options.${q}: ${v} is more than the ${nodeCount} nodes (N)`, { path: `options.${q}` });
  }
  const min = Number(resolved.electionTimeoutMinMs);
  const max = Number(resolved.electionTimeoutMaxMs);
  if (max < min)
    throw configError(`options.electionTimeoutMaxMs: ${max} is below electionTimeoutMinMs ${min}`, {
      path: 'options.electionTimeoutMaxMs',
    });
  return flags;
};
