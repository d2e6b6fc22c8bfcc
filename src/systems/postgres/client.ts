/**
 * Workload clients for PostgreSQL (npm `pg`), one per worker. Writes go to
 * the current primary, found by asking every node (`pg_is_in_recovery()`,
 * the highest timeline wins), as an application behind Patroni's REST API
 * or a `target_session_attrs=read-write` connection string would. Reads go
 * there too, or, node-local (`ClientOptions.localReads`, the final phase;
 * or the workload option `readFrom: local`), to the client's own node: a
 * standby answers from its replayed state.
 *
 * register: read  SELECT value FROM registers WHERE key = $1          → value | null
 *           write INSERT ... ON CONFLICT (key) DO UPDATE               → ok
 *           cas   UPDATE registers SET value = to, version + 1
 *                 WHERE key = $1 AND value = from                      → ok, or fail when no row matched
 * set:      add   INSERT INTO set_elements ... ON CONFLICT DO NOTHING  → ok
 *           read  SELECT element ... ORDER BY element                  → sorted elements
 * counter:  add   INSERT ... ON CONFLICT DO UPDATE value + delta       → ok
 *           read  SELECT value                                         → number (0 when absent)
 *
 * Each statement is its own (autocommit) transaction. The cas is one
 * UPDATE: under READ COMMITTED a concurrent update of the row makes it
 * wait and re-check its WHERE on the new version, so compare and set are
 * atomic. Outcomes are mapped in outcome.ts.
 *
 * Timeouts: the session's `statement_timeout` bounds each statement on
 * the server, but not a commit's wait for a synchronous standby. So the
 * client keeps its own deadline: when it passes, it sends a cancel
 * request and gives the statement a moment to answer — a cancelled
 * statement fails, a cancelled synchronous-replication wait answers with
 * a WARNING (info) — and otherwise drops the connection (info for a
 * write: it may still commit).
 */
import { configError } from '../../base/errors.ts';
import { deadlineSignal } from '../../base/time.ts';
import type { Client, ClientOp, ClientOptions, Completion, NodeAddress } from '../system.ts';
import { connect, type PgConnection, queryUntil, sendCancel } from './connection.ts';
import { completionOf, type StatementResult } from './outcome.ts';
import { primaryOf, probeAll } from './probe.ts';

export type PostgresWorkload = 'register' | 'set' | 'counter';
export const POSTGRES_WORKLOADS: readonly PostgresWorkload[] = ['register', 'set', 'counter'];

/** The tables every workload uses; created on the primary when it becomes ready. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS registers (key text PRIMARY KEY, value bigint NOT NULL, version bigint NOT NULL);
CREATE TABLE IF NOT EXISTS set_elements (key text NOT NULL, element bigint NOT NULL, PRIMARY KEY (key, element));
CREATE TABLE IF NOT EXISTS counters (key text PRIMARY KEY, value bigint NOT NULL);`;

type Row = Record<string, unknown>;

/** Which cluster a server belongs to, and, for a primary, its timeline: the term its acknowledgements carry. */
const IDENTITY_SQL = `SELECT system_identifier::text AS id,
  CASE WHEN pg_is_in_recovery() THEN NULL
       ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline
  FROM pg_control_system()`;

/** One operation as one SQL statement, and how its rows become the completion. */
export interface Statement {
  sql: string;
  params: unknown[];
  read: boolean;
  /** From the rows and the affected-row count: the completion of a statement that ran. */
  complete(rows: readonly Row[], rowCount: number): Completion;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const int = (op: ClientOp, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new TypeError(`${op.f} expects an integer value, got ${JSON.stringify(v)}`);
  return v;
};

/** Maps a workload op to its statement, or throws for an op this workload does not have. */
export const toStatement = (workload: PostgresWorkload, op: ClientOp): Statement => {
  const ok = (value?: unknown): Completion => (value === undefined ? { type: 'ok' } : { type: 'ok', value });
  if (workload === 'register') {
    const key = op.key ?? 'r';
    switch (op.f) {
      case 'read':
        return {
          sql: 'SELECT value FROM registers WHERE key = $1',
          params: [key],
          read: true,
          complete: (rows) => ok(rows[0] ? num(rows[0].value) : null),
        };
      case 'write':
        return {
          sql:
            'INSERT INTO registers (key, value, version) VALUES ($1, $2, 1) ' +
            'ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = registers.version + 1',
          params: [key, int(op, op.value)],
          read: false,
          complete: () => ok(),
        };
      case 'cas': {
        if (!Array.isArray(op.value) || op.value.length !== 2)
          throw new TypeError(`cas expects value [from, to], got ${JSON.stringify(op.value)}`);
        return {
          sql: 'UPDATE registers SET value = $3, version = version + 1 WHERE key = $1 AND value = $2',
          params: [key, int(op, op.value[0]), int(op, op.value[1])],
          read: false,
          // No row matched: the UPDATE ran and changed nothing — certainly not applied.
          complete: (_rows, rowCount) => (rowCount === 1 ? ok() : { type: 'fail', error: 'cas-mismatch' }),
        };
      }
    }
  } else if (workload === 'set') {
    const key = op.key ?? 's';
    switch (op.f) {
      case 'add':
        return {
          sql: 'INSERT INTO set_elements (key, element) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          params: [key, int(op, op.value)],
          read: false,
          complete: () => ok(),
        };
      case 'read':
        return {
          sql: 'SELECT element FROM set_elements WHERE key = $1 ORDER BY element',
          params: [key],
          read: true,
          complete: (rows) => ok(rows.map((r) => num(r.element))),
        };
    }
  } else {
    const key = op.key ?? 'c';
    switch (op.f) {
      case 'add':
        return {
          sql:
            'INSERT INTO counters (key, value) VALUES ($1, $2) ' +
            'ON CONFLICT (key) DO UPDATE SET value = counters.value + EXCLUDED.value',
          params: [key, int(op, op.value)],
          read: false,
          complete: () => ok(),
        };
      case 'read':
        return {
          sql: 'SELECT value FROM counters WHERE key = $1',
          params: [key],
          read: true,
          complete: (rows) => ok(rows[0] ? num(rows[0].value) : 0),
        };
    }
  }
  throw new TypeError(`the ${workload} client has no operation "${op.f}"`);
};

/** What a pg error carries, when it came from the server. */
const serverError = (e: unknown): { code: string | undefined; severity: string | undefined } | undefined => {
  const d = e as { code?: unknown; severity?: unknown; name?: unknown };
  return d && typeof d === 'object' && typeof d.severity === 'string'
    ? { code: typeof d.code === 'string' ? d.code : undefined, severity: d.severity }
    : undefined;
};

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** How long a statement may take to answer a cancel before its connection is dropped. */
const cancelGraceMs = (timeoutMs: number): number => Math.max(50, Math.min(300, Math.floor(timeoutMs / 4)));

export const openPostgresClient = (workload: string, node: NodeAddress, options: ClientOptions): Client => {
  if (!(POSTGRES_WORKLOADS as readonly string[]).includes(workload))
    throw configError(`system postgres has no client for workload "${workload}"`, {
      hint: `postgres workloads: ${POSTGRES_WORKLOADS.join(', ')}`,
    });
  const readFrom = options.options.readFrom ?? 'leader';
  if (readFrom !== 'leader' && readFrom !== 'local')
    throw configError(`readFrom: expected leader or local; got ${JSON.stringify(readFrom)}`, { path: 'readFrom' });
  // Node-local reads: the final phase's (ClientOptions.localReads), or the workload option.
  const local = options.localReads === true || readFrom === 'local';
  const grace = cancelGraceMs(options.timeoutMs);
  // At most two connections: to the primary, and to the bound node for local reads.
  const conns = new Map<string, PgConnection>();
  /** A primary's timeline per connection: it cannot change while connected (promotion needs a standby, demotion a restart). */
  const timelines = new WeakMap<PgConnection, number>();
  let primaryId: string | undefined;
  /** The cluster's system identifier, learnt from the first probe (when every node is up and ours). */
  let cluster: string | undefined;
  let closed = false;

  const drop = (c: PgConnection) => {
    c.destroy();
    if (conns.get(c.node.id) === c) conns.delete(c.node.id);
    if (primaryId === c.node.id) primaryId = undefined; // ask again who is primary
  };

  /** The node to send to: the bound one for a local read, else the primary (asked for when not known). */
  const targetFor = async (read: boolean, signal: AbortSignal): Promise<NodeAddress | string> => {
    if (read && local) return node;
    if (primaryId === undefined || conns.get(primaryId)?.broken !== false) {
      const primary = primaryOf(await probe(signal));
      if (!primary) return 'no primary answers (every node is down, in recovery, or unreachable)';
      primaryId = primary.id;
    }
    return options.nodes.find((n) => n.id === primaryId) ?? `${primaryId} is not among the nodes`;
  };

  /** Every node of this cluster that answers (a stranger on a node's port does not count). */
  const probe = async (signal: AbortSignal) => {
    const probes = await probeAll(options.nodes, signal, Math.min(1000, options.timeoutMs), cluster);
    cluster ??= probes[0]?.systemId;
    return probes;
  };

  const connectionTo = async (target: NodeAddress, signal: AbortSignal): Promise<PgConnection> => {
    const open = conns.get(target.id);
    if (open && !open.broken) return open;
    if (open) drop(open);
    if (cluster === undefined) await probe(signal);
    const c = await connect(target, {
      timeoutMs: options.timeoutMs,
      signal,
      applicationName: 'faultline-client',
      statementTimeoutMs: options.timeoutMs,
    });
    // Before any statement: is this server of our cluster, or a stranger that took the port of a node that is down?
    const [row] = (
      await queryUntil<{ id: string; timeline: number | null }>(c, IDENTITY_SQL, [], signal).catch((e: unknown) => {
        c.destroy();
        throw e;
      })
    ).rows;
    if (cluster !== undefined && row?.id !== cluster) {
      c.destroy();
      throw new Error(`${target.id} at ${target.host}:${target.port} is a server of another cluster`);
    }
    if (typeof row?.timeline === 'number') timelines.set(c, row.timeline);
    conns.set(target.id, c);
    return c;
  };

  /** Runs the statement; on the deadline, cancels it and waits a moment for its answer. */
  const run = async (c: PgConnection, st: Statement, deadline: AbortSignal) => {
    c.takeNotices();
    type Settled = { ok: true; rows: Row[]; rowCount: number } | { ok: false; error: unknown };
    const query: Promise<Settled> = c.client.query(st.sql, st.params).then(
      (r) => ({ ok: true, rows: r.rows as Row[], rowCount: r.rowCount ?? 0 }),
      (error: unknown) => ({ ok: false, error }),
    );
    let timedOut = false;
    const settled = await new Promise<Settled | undefined>((resolve) => {
      const onDeadline = () => {
        timedOut = true;
        void sendCancel(c, grace);
        const timer = setTimeout(() => resolve(undefined), grace + 50);
        void query.then((s) => {
          clearTimeout(timer);
          resolve(s);
        });
      };
      if (deadline.aborted) onDeadline();
      else deadline.addEventListener('abort', onDeadline, { once: true });
      void query.then((s) => {
        deadline.removeEventListener('abort', onDeadline);
        if (!timedOut) resolve(s);
      });
    });
    const notices = c.takeNotices();
    if (!settled) {
      drop(c);
      return { result: { kind: 'lost', reason: 'timeout', notices } satisfies StatementResult };
    }
    if (settled.ok) return { result: { kind: 'done', notices } satisfies StatementResult, settled };
    const server = serverError(settled.error);
    if (!server || c.broken) {
      drop(c);
      return { result: { kind: 'lost', reason: messageOf(settled.error), notices } satisfies StatementResult };
    }
    // A standby refusing a write (25006), or a session the server ended: ask again who is primary.
    if (server.severity === 'FATAL' || server.severity === 'PANIC' || server.code === '25006') drop(c);
    return {
      result: {
        kind: 'error',
        code: server.code,
        severity: server.severity,
        message: messageOf(settled.error),
        notices,
      } satisfies StatementResult,
    };
  };

  return {
    async invoke(op, signal) {
      const st = toStatement(workload as PostgresWorkload, op);
      if (closed) return { type: 'fail', error: 'client closed' };
      // Our deadline comes a little before the worker's, leaving time to cancel.
      const { signal: deadline, clear } = deadlineSignal(signal, Math.max(1, options.timeoutMs - grace));
      try {
        let target: NodeAddress | string;
        try {
          target = await targetFor(st.read, deadline);
        } catch (e) {
          target = messageOf(e);
        }
        if (typeof target === 'string') return completionOf({ kind: 'not-sent', reason: target }, st.read);
        let c: PgConnection;
        try {
          c = await connectionTo(target, deadline);
        } catch (e) {
          if (primaryId === target.id) primaryId = undefined;
          return { ...completionOf({ kind: 'not-sent', reason: messageOf(e) }, st.read), node: target.id };
        }
        const { result, settled } = await run(c, st, deadline);
        const completion = completionOf(result, st.read);
        if (completion.type === 'ok' && settled?.ok) {
          const done = st.complete(settled.rows, settled.rowCount);
          const term = done.type === 'ok' ? timelines.get(c) : undefined;
          return { ...done, node: target.id, ...(term !== undefined ? { term } : {}) };
        }
        return { ...completion, node: target.id };
      } finally {
        clear();
      }
    },
    async close() {
      closed = true;
      const open = [...conns.values()];
      conns.clear();
      await Promise.all(open.map((c) => c.close()));
    },
  };
};
