/**
 * `system: postgres` — PostgreSQL streaming replication (Debian
 * `postgresql`, 15 here): node 0 starts as the primary (initdb), every
 * other node as a standby cloned from it (pg_basebackup, application_name
 * = its node id); `wal_level=replica`, hot standby.
 *
 * Nothing outside the run's folders: each node's data dir holds its
 * cluster (`pgdata/`) and its unix socket; the TCP port is the backend's;
 * no system service, no /var/run/postgresql, config on the command line
 * (`-c`) except what ALTER SYSTEM must be able to change at runtime
 * (synchronous_standby_names, primary_conninfo: a `-c` setting would
 * override them). Every node trusts connections (pg_hba): they only come
 * from loopback or the run's own container network. As root, every
 * process runs as the `postgres` user (initdb refuses root).
 *
 * PostgreSQL has no failover of its own: faultline's nemesis plays the
 * operator (failover.ts), and a restarted former primary rejoins as a
 * standby (`rejoin`).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { sleep } from '../../base/time.ts';
import type { LaunchContext, NodeAddress, NodeId, NodeLaunch, System } from '../system.ts';
import { openPostgresClient, POSTGRES_WORKLOADS, SCHEMA_SQL } from './client.ts';
import { adminQuery, SUPERUSER } from './connection.ts';
import { failover, primaryConninfo } from './failover.ts';
import { postgresOptions, syncStandbyNames } from './options.ts';
import { primaryOf, probe, probeAll, systemIdOf } from './probe.ts';

/**
 * Where the server binaries are: `FAULTLINE_PG_BIN`, else the newest
 * /usr/lib/postgresql/<version>/bin (Debian's layout; not on PATH), else
 * version 15's, which the requirement check then names.
 */
export const pgBinDir = (): string => {
  const fromEnv = process.env.FAULTLINE_PG_BIN;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  try {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v) && Number(v) >= 13 && existsSync(path.join(root, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], 'bin');
  } catch {
    // no PostgreSQL installed
  }
  return path.join(root, '15', 'bin');
};

const BIN = pgBinDir();
const bin = (name: string): string => path.join(BIN, name);
/** The OS user the servers run as when faultline is root. */
const OS_USER = 'postgres';
const pgdataOf = (ctx: LaunchContext): string => path.join(ctx.dataDir, 'pgdata');
const PORT = 'pg';

const splitHostPort = (address: string): { host: string; port: number } => {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
};

/** The node's libpq service file: how it reaches each peer, by node id (see primaryConninfo). */
const serviceFileOf = (ctx: LaunchContext): string => path.join(ctx.dataDir, 'pg_service.conf');
const serviceEnv = (ctx: LaunchContext) => ({ PGSERVICEFILE: serviceFileOf(ctx) });

/** One `[node]` section per peer, with the address this node dials it at. */
export const serviceFile = (peers: LaunchContext['peers']): string =>
  Object.entries(peers)
    .map(([id, ports]) => {
      const { host, port } = splitHostPort(ports[PORT]!);
      return `[${id}]\nhost=${host}\nport=${port}\n`;
    })
    .join('');

const writeServiceFile = (ctx: LaunchContext): NodeLaunch => ({
  name: 'services',
  command: 'sh',
  args: ['-c', 'printf "%s" "$2" > "$1"', 'services', serviceFileOf(ctx), serviceFile(ctx.peers)],
  user: OS_USER,
});

/** A standby cloned from node `from`, set to stream from it under its own node id. */
const cloneSteps = (ctx: LaunchContext, from: NodeId, wipe: boolean): NodeLaunch[] => [
  ...(wipe ? [{ name: 'wipe', command: 'rm', args: ['-rf', pgdataOf(ctx)], user: OS_USER }] : []),
  {
    name: 'pg_basebackup',
    command: bin('pg_basebackup'),
    // --no-sync: the copy need not survive an OS crash (faults here kill processes, not the machine).
    args: [
      '-D',
      pgdataOf(ctx),
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
      '-w',
      '-d',
      primaryConninfo(from, ctx.id),
    ],
    env: serviceEnv(ctx),
    user: OS_USER,
  },
];

/** Trust every address: nodes and the controller reach each other on loopback or the run's own network. */
const HBA = [
  'host all all 0.0.0.0/0 trust',
  'host replication all 0.0.0.0/0 trust',
  'host all all ::/0 trust',
  'host replication all ::/0 trust',
].join('\n');

/** Readiness: a connection works; on a primary the workload tables exist. */
const ready = async (node: NodeAddress, signal: AbortSignal): Promise<void> => {
  for (;;) {
    if (signal.aborted) throw signal.reason ?? new Error(`${node.id}: gave up waiting for PostgreSQL`);
    try {
      const [row] = await adminQuery<{ standby: boolean }>(node, 'SELECT pg_is_in_recovery() AS standby', [], {
        signal,
        timeoutMs: 2000,
      });
      // Local commit only: a sync primary whose standbys are not cloned yet would wait for them forever.
      if (row && !row.standby)
        await adminQuery(node, `SET synchronous_commit = local; ${SCHEMA_SQL}`, [], { signal, timeoutMs: 10_000 });
      return;
    } catch {
      await sleep(200, signal);
    }
  }
};

export const postgresSystem: System = {
  name: 'postgres',
  workloads: POSTGRES_WORKLOADS,
  ports: [PORT],
  abilities: {
    // Standbys dial their primary by node id through their own service
    // file, which holds this node's peer addresses (per-pair proxies on the
    // local backend), so partitions and link shapes reach replication.
    peerAddressing: 'per-pair',
    // A standby is cloned from the running primary.
    startOrder: 'sequential',
  },
  requires: [
    { command: bin('initdb'), package: 'postgresql' },
    { command: bin('postgres'), package: 'postgresql' },
    { command: bin('pg_basebackup'), package: 'postgresql' },
  ],

  validateOptions(options, nodeCount) {
    postgresOptions(options, nodeCount);
  },

  setup(ctx) {
    if (ctx.index > 0) return [writeServiceFile(ctx), ...cloneSteps(ctx, ctx.nodes[0]!, false)];
    const options = postgresOptions(ctx.options, ctx.nodes.length);
    // In the file, not on the command line: ALTER SYSTEM must be able to change it at failover.
    // shared_buffers too: initdb wrote its own, and a reload would complain that `-c` differs.
    const conf = [
      `synchronous_standby_names = '${syncStandbyNames(options, ctx.id, ctx.nodes)}'`,
      // Small: three servers share a CI machine.
      'shared_buffers = 32MB',
    ].join('\n');
    return [
      writeServiceFile(ctx),
      {
        name: 'initdb',
        command: bin('initdb'),
        args: ['-D', pgdataOf(ctx), '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        user: OS_USER,
      },
      {
        name: 'configure',
        command: 'sh',
        args: [
          '-c',
          'printf "%s\\n" "$2" >> "$1/pg_hba.conf" && printf "%s\\n" "$3" >> "$1/postgresql.conf"',
          'configure',
          pgdataOf(ctx),
          HBA,
          conf,
        ],
        user: OS_USER,
      },
    ];
  },

  launch(ctx) {
    const options = postgresOptions(ctx.options, ctx.nodes.length);
    const settings: Record<string, string> = {
      listen_addresses: ctx.host,
      port: String(ctx.port),
      unix_socket_directories: ctx.dataDir,
      cluster_name: ctx.id,
      wal_level: 'replica',
      hot_standby: 'on',
      max_wal_senders: '10',
      wal_keep_size: '128MB',
      synchronous_commit: options.synchronousCommit,
      // Dynamic shared memory as files in the data dir, not /dev/shm: a killed server cannot remove its segments.
      dynamic_shared_memory_type: 'mmap',
      // Messages the client matches (the synchronous-replication warning) stay in English.
      lc_messages: 'C',
      log_line_prefix: '%m [%p] %a ',
    };
    return [
      {
        name: 'postgres',
        command: bin('postgres'),
        args: ['-D', pgdataOf(ctx), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
        env: serviceEnv(ctx),
        user: OS_USER,
        // Fast shutdown: SIGTERM would wait for every client session to end.
        stopSignal: 'SIGINT',
      },
    ];
  },

  /**
   * A node that another node replaced as primary must not come back as a
   * second primary with its own, unreplicated commits: when some other
   * node is primary now, the restarting node is cloned afresh from it and
   * rejoins as its standby (what Patroni does with pg_rewind or a
   * reinitialise). Its unreplicated commits are gone — which is exactly
   * the loss an asynchronous failover causes. With no other primary it
   * restarts as it was.
   */
  async rejoin(ctx, signal) {
    const others: NodeAddress[] = Object.entries(ctx.peers).map(([id, ports]) => ({
      id,
      ...splitHostPort(ports[PORT]!),
      ports: { [PORT]: splitHostPort(ports[PORT]!).port },
    }));
    for (let attempt = 0; attempt < 3 && !signal.aborted; attempt++) {
      // Only a primary of this node's own cluster: never clone a stranger found on a peer's port.
      const primary = primaryOf(await probeAll(others, signal, 1500, systemIdOf(pgdataOf(ctx))));
      if (primary) return cloneSteps(ctx, primary.id, true);
      await sleep(300, signal);
    }
    return [];
  },

  async ready(node, signal) {
    await ready(node, signal);
  },

  async openClient(workload, node, options) {
    return openPostgresClient(workload, node, options);
  },

  async leader(nodes, signal) {
    return primaryOf(await probeAll(nodes, signal, 1000))?.id;
  },

  async status(node, signal) {
    const p = await probe(node, signal);
    return { ...p, id: node.id, role: p.standby ? 'follower' : 'leader', term: p.timeline };
  },

  failover,
};
