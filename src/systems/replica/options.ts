/**
 * The cluster preset's `options:` for `system: replica`, in camelCase, and
 * how each maps to a command-line flag of the replica server.
 *
 *   options:
 *     topology: single-leader        # single-leader
 *     replication: sync              # sync | semi-sync | async
 *     syncAcks: 1                    # semi-sync: follower acks per write
 *     replicationDelayMs: 200        # async: ship entries once this old
 *     ...
 *
 * Durations (`...Ms` keys) are numbers of milliseconds or strings such as
 * "200ms" / "1s".
 */
import { parseDuration } from '../../core/duration.ts';
import { configError } from '../../core/errors.ts';

type OptionSpec =
  | { flag: string; kind: 'enum'; values: readonly string[] }
  | { flag: string; kind: 'int'; min: number }
  | { flag: string; kind: 'ms'; min: number };

export const REPLICA_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  topology: { flag: 'topology', kind: 'enum', values: ['single-leader'] },
  replication: { flag: 'replication', kind: 'enum', values: ['sync', 'semi-sync', 'async'] },
  syncAcks: { flag: 'sync-acks', kind: 'int', min: 1 },
  replicationDelayMs: { flag: 'replication-delay-ms', kind: 'ms', min: 0 },
  replicationBatch: { flag: 'replication-batch', kind: 'int', min: 1 },
  electionTimeoutMinMs: { flag: 'election-timeout-min-ms', kind: 'ms', min: 1 },
  electionTimeoutMaxMs: { flag: 'election-timeout-max-ms', kind: 'ms', min: 1 },
  heartbeatMs: { flag: 'heartbeat-ms', kind: 'ms', min: 1 },
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
    flags.push(`--${spec.flag}`, resolved[key]);
  }
  const replication = options.replication ?? 'sync';
  const acks = options.syncAcks;
  if (replication === 'semi-sync' && typeof acks === 'number' && acks > nodeCount - 1)
    throw configError(
      `options.syncAcks: ${acks} acknowledgements asked, but ${nodeCount} nodes have only ${nodeCount - 1} followers`,
      {
        path: 'options.syncAcks',
      },
    );
  if (acks !== undefined && replication !== 'semi-sync')
    throw configError(
      `options.syncAcks: only meaningful with replication: semi-sync (replication is ${String(replication)})`,
      {
        path: 'options.syncAcks',
      },
    );
  const min = Number(resolved.electionTimeoutMinMs);
  const max = Number(resolved.electionTimeoutMaxMs);
  if (max < min)
    throw configError(`options.electionTimeoutMaxMs: ${max} is below electionTimeoutMinMs ${min}`, {
      path: 'options.electionTimeoutMaxMs',
    });
  return flags;
};
