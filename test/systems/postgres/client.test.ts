import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPostgresClient, toStatement } from '../../../src/systems/postgres/client.ts';
import type { Client, ClientOp, Completion } from '../../../src/systems/system.ts';
import { skipWithout } from '../../support/environment.ts';
import { eventually, type PgCluster, postgresMissing, startPostgres, upPostgres } from './cluster.ts';

describe('postgres statements', () => {
  test('each workload op is one statement; a cas that matches no row fails definitely', () => {
    expect(toStatement('register', { f: 'read', key: 'k1', value: null }).read).toBe(true);
    const cas = toStatement('register', { f: 'cas', key: 'k1', value: [1, 2] });
    expect(cas).toMatchObject({ params: ['k1', 1, 2], read: false });
    expect(cas.sql).toContain('WHERE key = $1 AND value = $2');
    expect(cas.complete([], 0)).toEqual({ type: 'fail', error: 'cas-mismatch' });
    expect(cas.complete([], 1)).toEqual({ type: 'ok' });
    expect(toStatement('set', { f: 'read', value: null }).complete([{ element: '3' }, { element: '7' }], 2)).toEqual({
      type: 'ok',
      value: [3, 7],
    });
    expect(toStatement('counter', { f: 'read', value: null }).complete([], 0)).toEqual({ type: 'ok', value: 0 });
    expect(() => toStatement('set', { f: 'cas', value: [1, 2] })).toThrow('the set client has no operation "cas"');
    expect(() => toStatement('register', { f: 'write', key: 'k', value: 'x' })).toThrow('write expects an integer');
  });
});

/**
 * How far past its timeout an op may end: the client cancels a little before the timeout and waits at most
 * 350 ms more; the rest is slack for timers firing late on a loaded machine (these tests assert an op is bounded,
 * not how fast it is).
 */
const LATE = 1000;

/** A client of `workload` bound to `node`, closed when the test ends. */
const clientOf = (c: PgCluster, workload: string, node: string, timeoutMs = 1500, options = {}): Client =>
  openPostgresClient(workload, c.node(node), { timeoutMs, nodes: c.backend.addresses(), options });

const run = async (client: Client, op: ClientOp): Promise<Completion & { ms: number }> => {
  const started = performance.now();
  const completion = await client.invoke(op, new AbortController().signal);
  return { ...completion, ms: performance.now() - started };
};

/** A session holding an exclusive lock on a table until released: statements on it wait. */
const lockTable = async (c: PgCluster, table: string) => {
  const holder = new pg.Client({
    host: c.node('n1').host,
    port: c.node('n1').port,
    user: 'postgres',
    database: 'postgres',
  });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    release: async () => {
      await holder.query('ROLLBACK');
      await holder.end();
    },
  };
};

/** The client session waiting on a lock, once it is there. */
const waitingSession = async (c: PgCluster): Promise<number> => {
  let pid = 0;
  await eventually('a client statement waits on the lock', async () => {
    const rows = await c.sql<{ pid: number }>(
      'n1',
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'faultline-client' AND wait_event_type = 'Lock'",
    );
    pid = rows[0]?.pid ?? 0;
    return pid !== 0;
  });
  return pid;
};

describe.skipIf(skipWithout('postgresql', postgresMissing()))('the postgres client against a real sync pair', () => {
  // One primary and its synchronous standby, shared: each test leaves both running.
  let c: PgCluster & { stop(): Promise<void> };
  beforeAll(async () => {
    c = await startPostgres({ replication: 'sync' }, ['n1', 'n2']);
  }, 180_000);
  afterAll(async () => {
    await c?.stop();
  }, 60_000);

  test('register, set and counter through the primary, whichever node the client is bound to; local reads on a standby', async () => {
    const reg = clientOf(c, 'register', 'n2');
    expect(await run(reg, { f: 'read', key: 'k', value: null })).toMatchObject({ type: 'ok', value: null, node: 'n1' });
    expect(await run(reg, { f: 'write', key: 'k', value: 5 })).toMatchObject({ type: 'ok', node: 'n1' });
    expect(await run(reg, { f: 'cas', key: 'k', value: [5, 7] })).toMatchObject({ type: 'ok' });
    expect(await run(reg, { f: 'cas', key: 'k', value: [5, 9] })).toMatchObject({
      type: 'fail',
      error: 'cas-mismatch',
    });
    expect(await run(reg, { f: 'read', key: 'k', value: null })).toMatchObject({ type: 'ok', value: 7 });
    expect(await c.sql('n1', "SELECT value, version FROM registers WHERE key = 'k'")).toEqual([
      { value: '7', version: '2' },
    ]);

    const set = clientOf(c, 'set', 'n1');
    for (const e of [3, 1, 2]) expect((await run(set, { f: 'add', value: e })).type).toBe('ok');
    expect(await run(set, { f: 'read', value: null })).toMatchObject({ type: 'ok', value: [1, 2, 3] });
    // Synchronous commit: acknowledged means flushed on the standby, and it replays them soon after.
    const local = clientOf(c, 'set', 'n2', 1500, { readFrom: 'local' });
    await eventually('the standby has replayed the adds', async () => {
      const r = await run(local, { f: 'read', value: null });
      return r.node === 'n2' && JSON.stringify(r.value) === '[1,2,3]';
    });

    const counter = clientOf(c, 'counter', 'n2');
    await run(counter, { f: 'add', value: 2 });
    await run(counter, { f: 'add', value: 3 });
    expect(await run(counter, { f: 'read', value: null })).toMatchObject({ type: 'ok', value: 5 });
    for (const client of [reg, set, local, counter]) await client.close();
  }, 180_000);

  test('a write whose session is terminated mid-statement is info (it may have committed); this one did not', async () => {
    const set = clientOf(c, 'set', 'n1', 10_000);
    expect((await run(set, { f: 'add', key: 'term', value: 1 })).type).toBe('ok');
    const lock = await lockTable(c, 'set_elements');
    const pending = run(set, { f: 'add', key: 'term', value: 2 });
    await c.sql('n1', 'SELECT pg_terminate_backend($1)', [await waitingSession(c)]);
    const r = await pending;
    expect(r.type).toBe('info');
    expect(r.error).toMatch(/57P01|terminat/);
    await lock.release();
    // Indeterminate, not a claim that it happened: here it had not.
    expect(await c.sql('n1', "SELECT element FROM set_elements WHERE key = 'term'")).toEqual([{ element: '1' }]);
    // The client reconnects for the next op.
    expect((await run(set, { f: 'add', key: 'term', value: 3 })).type).toBe('ok');
    await set.close();
  }, 180_000);

  test('at the deadline a waiting statement is cancelled: a definite fail, and nothing was written', async () => {
    const set = clientOf(c, 'set', 'n1', 1200);
    expect((await run(set, { f: 'add', key: 'cancel', value: 1 })).type).toBe('ok');
    const lock = await lockTable(c, 'set_elements');
    const r = await run(set, { f: 'add', key: 'cancel', value: 2 });
    expect(r).toMatchObject({ type: 'fail', error: expect.stringContaining('57014') });
    expect(r.ms).toBeLessThan(1200 + LATE); // bounded: the op timeout and a cancel's grace
    await lock.release();
    expect(await c.sql('n1', "SELECT element FROM set_elements WHERE key = 'cancel'")).toEqual([{ element: '1' }]);
    await set.close();
  }, 180_000);

  test('statement_timeout does not end a wait for a synchronous standby; the cancelled wait is info, and the row did commit locally', async () => {
    // The faultline client connects and finds the primary first: on a loaded machine doing that
    // inside the op's deadline once made the op fail before its INSERT was sent.
    const set = clientOf(c, 'set', 'n1', 1500);
    expect((await run(set, { f: 'add', key: 'client', value: 1 })).type).toBe('ok');
    await c.backend.pause('n2'); // the only standby: no commit can be confirmed

    // A plain session with statement_timeout = 300 ms is still waiting a second later ...
    const raw = new pg.Client({ ...c.node('n1'), user: 'postgres', database: 'postgres', statement_timeout: 300 });
    await raw.connect();
    const notices: string[] = [];
    raw.on('notice', (n) => notices.push(`${n.message} ${n.detail}`));
    let settled = false;
    const insert = raw.query('INSERT INTO set_elements VALUES ($1, $2)', ['raw', 1]).finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(settled).toBe(false);
    const [waiting] = await c.sql<{ wait_event: string }>(
      'n1',
      "SELECT wait_event FROM pg_stat_activity WHERE query LIKE 'INSERT INTO set_elements VALUES%' AND state = 'active'",
    );
    expect(waiting?.wait_event).toBe('SyncRep');
    // ... and a cancel ends the wait with a WARNING, yet the INSERT reports success.
    await c.sql(
      'n1',
      "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO set_elements VALUES%' AND state = 'active'",
    );
    expect((await insert).rowCount).toBe(1);
    expect(notices.join('\n')).toContain('committed locally, but might not have been replicated');
    await raw.end();

    // The faultline client cancels at its deadline and reports that outcome as info, never ok.
    const r = await run(set, { f: 'add', key: 'client', value: 2 });
    expect(r.type, JSON.stringify(r)).toBe('info');
    expect(r.error).toContain('committed locally, but might not have been replicated');
    expect(r.ms).toBeLessThan(1500 + LATE);
    // It is visible on the primary, though no standby has it.
    expect(await c.sql('n1', "SELECT element FROM set_elements WHERE key = 'client' ORDER BY element")).toEqual([
      { element: '1' },
      { element: '2' },
    ]);
    await c.backend.resume('n2');
    await set.close();
  }, 180_000);
});

describe.skipIf(skipWithout('postgresql', postgresMissing()))('the postgres client against a failing primary', () => {
  test('a paused primary: a write times out as info, a read fails, both within the deadline; then killed: fail once nothing can be sent', async () => {
    const c = await upPostgres({ replication: 'async' }, ['n1', 'n2']);
    const set = clientOf(c, 'set', 'n1', 1000);
    expect((await run(set, { f: 'add', value: 1 })).type).toBe('ok');
    await c.backend.pause('n1');
    const write = await run(set, { f: 'add', value: 2 });
    expect(write).toMatchObject({ type: 'info', error: 'timeout', node: 'n1' });
    expect(write.ms).toBeLessThan(1000 + LATE);
    const read = await run(set, { f: 'read', value: null });
    expect(read.type).toBe('fail');
    expect(read.ms).toBeLessThan(1000 + LATE);
    await c.backend.resume('n1');
    expect((await run(set, { f: 'add', value: 3 })).type).toBe('ok');

    await c.backend.kill('n1');
    // On the connection that was open, the write may have gone out before the reset was seen: info or fail, never ok.
    expect(['info', 'fail']).toContain((await run(set, { f: 'add', value: 4 })).type);
    // With no connection left, nothing can be sent: no primary answers.
    const refused = await run(set, { f: 'add', value: 5 });
    expect(refused).toMatchObject({ type: 'fail', error: expect.stringContaining('no primary') });
    await set.close();
  }, 180_000);

  test("a stranger on a node's port (another cluster, say another run's) is never written to, nor read from", async () => {
    const [ours, other] = await Promise.all([
      upPostgres({ replication: 'async' }, ['n1', 'n2']),
      upPostgres({ replication: 'async' }, ['n1']),
    ]);
    // n3's port is served by the other cluster's primary, as when a run took the port of a node that was down.
    const nodes = [...ours.backend.addresses(), { ...other.node('n1'), id: 'n3' }];
    const options = (o = {}) => ({ timeoutMs: 1500, nodes, options: o });
    const writer = openPostgresClient('set', nodes[2]!, options());
    const w = await run(writer, { f: 'add', value: 1 });
    expect(w).toMatchObject({ type: 'ok', node: 'n1' }); // the primary of the cluster most nodes belong to
    const reader = openPostgresClient('set', nodes[2]!, options({ readFrom: 'local' }));
    const r = await run(reader, { f: 'read', value: null });
    expect(r).toMatchObject({ type: 'fail', error: expect.stringContaining('a server of another cluster') });
    expect(await other.sql('n1', 'SELECT count(*)::int AS n FROM set_elements')).toEqual([{ n: 0 }]);
    await writer.close();
    await reader.close();
  }, 180_000);
});
