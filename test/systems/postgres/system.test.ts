import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { packagePath } from '../../../src/base/ts-node.ts';
import { lookupUser } from '../../../src/cluster/local-process.ts';
import { RUN_ID_ENV } from '../../../src/cluster/markers.ts';
import { descendantsOf, isLive, sysvSegmentsOf } from '../../../src/cluster/process-tree.ts';
import { findLeftovers } from '../../../src/cluster/registry.ts';
import { postgresSystem, serviceFile } from '../../../src/systems/postgres/system.ts';
import type { LaunchContext } from '../../../src/systems/system.ts';
import { procState } from '../../cluster/helpers.ts';
import { BIN, tempReports } from '../../e2e/helpers.ts';
import { skipWithout } from '../../support/environment.ts';
import { postgresMissing, uidOf, upPostgres } from './cluster.ts';

const context = (index: number, options: Record<string, unknown> = {}): LaunchContext => {
  const nodes = ['n1', 'n2', 'n3'];
  const id = nodes[index]!;
  return {
    id,
    index,
    nodes,
    host: '127.0.0.1',
    ports: { pg: 5000 + index },
    port: 5000 + index,
    dataDir: `/tmp/run/data/${id}`,
    peers: Object.fromEntries(nodes.filter((n) => n !== id).map((n, i) => [n, { pg: `127.0.0.1:${6000 + i}` }])),
    options,
    runId: 'r1',
  };
};

describe('postgres node commands', () => {
  test('node 0 is initialised as the primary, with the sync standby names in its config file, not on the command line', () => {
    const steps = postgresSystem.setup!(context(0, { replication: 'sync' }));
    expect(steps.map((s) => s.name)).toEqual(['services', 'initdb', 'configure']);
    expect(steps.every((s) => s.user === 'postgres')).toBe(true);
    expect(steps[1]!.args).toEqual(
      expect.arrayContaining(['-D', '/tmp/run/data/n1/pgdata', '-A', 'trust', '--no-sync']),
    );
    expect(steps[2]!.args.join('\n')).toContain(`synchronous_standby_names = 'ANY 1 ("n2", "n3")'`);
    const launch = postgresSystem.launch(context(0, { replication: 'sync' }))[0]!;
    expect(launch.args.join(' ')).not.toContain('synchronous_standby_names');
    expect(launch.args.join(' ')).toContain('unix_socket_directories=/tmp/run/data/n1');
    expect(launch.stopSignal).toBe('SIGINT');
    expect(launch.env?.PGSERVICEFILE).toBe('/tmp/run/data/n1/pg_service.conf');
  });

  test('other nodes are cloned from node 0 by name, under their own node id, through their service file', () => {
    const steps = postgresSystem.setup!(context(2));
    expect(steps.map((s) => s.name)).toEqual(['services', 'pg_basebackup']);
    expect(steps[1]!.args).toContain('service=n1 user=postgres application_name=n3 sslmode=disable connect_timeout=5');
    expect(steps[1]!.env?.PGSERVICEFILE).toBe('/tmp/run/data/n3/pg_service.conf');
    expect(serviceFile(context(2).peers)).toBe('[n1]\nhost=127.0.0.1\nport=6000\n[n2]\nhost=127.0.0.1\nport=6001\n');
  });
});

describe('postgres binaries', () => {
  test('a missing server is refused before the run starts, naming the package; nothing is written', async () => {
    const reports = tempReports();
    const r = await execa(
      process.execPath,
      [BIN, 'run', '--cluster', 'postgres-sync', '--workload', 'set', '--time-limit', '5s', '--reports-dir', reports],
      { reject: false, all: true, cwd: packagePath('.'), env: { FAULTLINE_PG_BIN: '/nonexistent/postgresql/bin' } },
    );
    expect(r.exitCode, r.all).toBe(3);
    expect(r.all).toContain('system postgres needs /nonexistent/postgresql/bin/initdb, which is not installed');
    expect(r.all).toContain('apt-get install postgresql');
    expect(readdirSync(reports)).toEqual([]);
  }, 60_000);
});

describe.skipIf(skipWithout('postgresql', postgresMissing()))('a postgres cluster on the local backend', () => {
  test('n1 is primary; the standbys stream under their node ids; servers run as postgres; sockets stay in the data dir', async () => {
    const c = await upPostgres({ replication: 'sync' });
    const signal = AbortSignal.timeout(10_000);
    expect(await postgresSystem.leader(c.backend.addresses(), signal)).toBe('n1');
    const primary = await postgresSystem.status!(c.node('n1'), signal);
    expect(primary).toMatchObject({ role: 'leader', term: 1, syncStandbyNames: 'ANY 1 ("n2", "n3")' });
    expect((primary.replicas as { name: string; state: string }[]).map((r) => `${r.name} ${r.state}`)).toEqual([
      'n2 streaming',
      'n3 streaming',
    ]);
    expect(await postgresSystem.status!(c.node('n2'), signal)).toMatchObject({ role: 'follower', standby: true });

    const postmaster = c.backend.pids().n1!;
    if (process.getuid?.() === 0) expect(uidOf(postmaster)).toBe(lookupUser('postgres').uid);
    const dataDir = path.join(c.backend.runDir!, 'data', 'n1');
    expect(readdirSync(dataDir)).toContain(`.s.PGSQL.${c.node('n1').port}`);
    expect(existsSync(`/var/run/postgresql/.s.PGSQL.${c.node('n1').port}`)).toBe(false);
  }, 180_000);

  test('pause freezes every process of the node, also the backends that left its process group; resume thaws them', async () => {
    const c = await upPostgres({ replication: 'async' }, ['n1', 'n2']);
    const postmaster = c.backend.pids().n1!;
    const children = descendantsOf(postmaster);
    // checkpointer, background writer, walwriter, autovacuum, ..., and the walsender for n2
    expect(children.length).toBeGreaterThanOrEqual(4);
    const groups = new Set(
      children.map((pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]),
    );
    expect(groups.has(String(postmaster))).toBe(false); // each child has a process group of its own

    await c.backend.pause('n1');
    expect([postmaster, ...children].map((pid) => procState(pid))).toEqual([postmaster, ...children].map(() => 'T'));
    await c.backend.resume('n1');
    expect([postmaster, ...children].map((pid) => procState(pid)).filter((s) => s === 'T')).toEqual([]);
    expect(await c.sql('n1', 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  }, 180_000);

  test('kill takes down the whole tree; cleanup lists the children whose environment is blank; down leaves nothing', async () => {
    const c = await upPostgres({ replication: 'async' }, ['n1', 'n2']);
    const postmaster = c.backend.pids().n2!;
    const children = descendantsOf(postmaster);
    // A PostgreSQL child overwrites its environment with its process title: the run markers are not there ...
    const environ = readFileSync(`/proc/${children[0]}/environ`, 'latin1');
    expect(environ).not.toContain(RUN_ID_ENV);
    // ... yet cleanup finds it, as a child of a proven postmaster.
    const found = await findLeftovers(c.runId);
    const listed = found.filter((l) => l.kind === 'process').map((l) => Number(l.id));
    const stable = children.filter((pid) => descendantsOf(postmaster).includes(pid)); // not a short-lived backend
    expect(stable.length).toBeGreaterThanOrEqual(4);
    expect(listed).toEqual(expect.arrayContaining([postmaster, ...stable]));

    // PostgreSQL's interlock segment, which a killed postmaster cannot remove; no /dev/shm segments (mmap DSM).
    const segments = sysvSegmentsOf([postmaster]);
    expect(segments).toHaveLength(1);
    expect(found.filter((l) => l.kind === 'shared memory').map((l) => l.id)).toContain(String(segments[0]!.id));
    await c.backend.kill('n2');
    expect([postmaster, ...children].filter(isLive)).toEqual([]);
    expect(readFileSync('/proc/sysvipc/shm', 'utf8')).not.toMatch(
      new RegExp(`^\\s*\\S+\\s+${segments[0]!.id}\\s`, 'm'),
    );
    expect(existsSync(path.join(c.backend.runDir!, 'data', 'n2', 'pgdata', 'pg_dynshmem'))).toBe(true);

    const runDir = c.backend.runDir!;
    const n1 = [c.backend.pids().n1!, ...descendantsOf(c.backend.pids().n1!)];
    await c.backend.down();
    expect(n1.filter(isLive)).toEqual([]);
    expect(existsSync(runDir)).toBe(false);
    expect(await findLeftovers(c.runId)).toEqual([]);
  }, 180_000);
});
