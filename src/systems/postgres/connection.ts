/**
 * One connection to a PostgreSQL node, for clients and for the operator.
 * faultline owns its socket, so that a paused or partitioned server (which
 * accepts the TCP connection and then never answers) cannot hold a caller
 * past its deadline: `destroy()` drops the socket at once, whatever state
 * the protocol is in. Everything here is the superuser `postgres` on the
 * `postgres` database: nodes trust the run's own addresses (pg_hba).
 */
import net from 'node:net';
import pg from 'pg';
import { deadlineSignal } from '../../base/time.ts';
import type { NodeAddress } from '../system.ts';

export const SUPERUSER = 'postgres';
export const DATABASE = 'postgres';

/** What the server says besides results: NOTICE and WARNING messages. */
export interface Notice {
  severity: string | undefined;
  code: string | undefined;
  message: string;
  detail: string | undefined;
}

export interface PgConnection {
  readonly node: NodeAddress;
  readonly client: pg.Client;
  /** The session's backend pid and cancel key, for a cancel request. */
  readonly backendKey: { processID: number; secretKey: number } | undefined;
  /** The socket failed or was destroyed: open a new connection. */
  readonly broken: boolean;
  /** Notices received since the last `takeNotices()`. */
  takeNotices(): Notice[];
  /** Drops the socket now, no goodbye. */
  destroy(): void;
  /** Says goodbye (Terminate), giving up after a second. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  timeoutMs: number;
  signal: AbortSignal;
  applicationName: string;
  /** Server-side bound on each statement (it does not bound a commit's wait for a synchronous standby). */
  statementTimeoutMs?: number;
}

/** Connects within `timeoutMs`; rejects (and leaves nothing open) when it cannot or the signal aborts. */
export const connect = async (node: NodeAddress, options: ConnectOptions): Promise<PgConnection> => {
  const socket = new net.Socket();
  let broken = false;
  let notices: Notice[] = [];
  const client = new pg.Client({
    host: node.host,
    port: node.port,
    user: SUPERUSER,
    database: DATABASE,
    application_name: options.applicationName,
    ...(options.statementTimeoutMs !== undefined ? { statement_timeout: options.statementTimeoutMs } : {}),
    stream: () => socket,
  });
  const destroy = () => {
    broken = true;
    socket.destroy();
  };
  // An idle connection's socket error arrives as an 'error' event; unhandled, it would end the process.
  client.on('error', () => {
    broken = true;
  });
  client.on('end', () => {
    broken = true;
  });
  client.on('notice', (n) => {
    notices.push({ severity: n.severity, code: n.code, message: n.message ?? '', detail: n.detail });
  });
  const { signal, clear } = deadlineSignal(options.signal, options.timeoutMs);
  const onAbort = () => destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
  } catch (e) {
    destroy();
    throw signal.aborted && !options.signal.aborted
      ? new ConnectTimeout(`${node.id}: no connection within ${options.timeoutMs} ms`, e)
      : e;
  } finally {
    signal.removeEventListener('abort', onAbort);
    clear();
  }
  const keyed = client as unknown as { processID?: number | null; secretKey?: number | null };
  const backendKey =
    typeof keyed.processID === 'number' && typeof keyed.secretKey === 'number'
      ? { processID: keyed.processID, secretKey: keyed.secretKey }
      : undefined;
  return {
    node,
    client,
    backendKey,
    get broken() {
      return broken;
    },
    takeNotices() {
      const taken = notices;
      notices = [];
      return taken;
    },
    destroy,
    async close() {
      if (broken) return;
      const timer = setTimeout(destroy, 1000);
      try {
        await client.end();
      } catch {
        // ending a broken connection
      } finally {
        clearTimeout(timer);
        destroy();
      }
    },
  };
};

/** Connecting took longer than allowed (the server may be paused or cut off). */
export class ConnectTimeout extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'ConnectTimeout';
  }
}

/**
 * Runs one statement, giving up when `signal` aborts: the connection is
 * then destroyed (its state is unknown) and the promise rejects with the
 * signal's reason.
 */
export const queryUntil = async <R extends pg.QueryResultRow = Record<string, unknown>>(
  conn: PgConnection,
  sql: string,
  params: readonly unknown[],
  signal: AbortSignal,
): Promise<pg.QueryResult<R>> => {
  if (signal.aborted) throw signal.reason;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      conn.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const query = conn.client.query<R>(sql, [...params]);
  query.catch(() => {}); // when the abort wins, the query's own rejection is expected
  try {
    return await Promise.race([query, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
};

/**
 * A one-off admin statement: connect, run, close, all within `timeoutMs`.
 * For the operator and the readiness check, not for workload operations.
 */
export const adminQuery = async <R extends pg.QueryResultRow = Record<string, unknown>>(
  node: NodeAddress,
  sql: string,
  params: readonly unknown[],
  options: { signal: AbortSignal; timeoutMs: number },
): Promise<R[]> => {
  const { signal, clear } = deadlineSignal(options.signal, options.timeoutMs);
  let conn: PgConnection | undefined;
  try {
    conn = await connect(node, { timeoutMs: options.timeoutMs, signal, applicationName: 'faultline-operator' });
    return (await queryUntil<R>(conn, sql, params, signal)).rows;
  } finally {
    clear();
    await conn?.close();
  }
};

/**
 * A protocol cancel request (what libpq's PQcancel sends): a new connection
 * carrying the session's pid and key; the server interrupts whatever that
 * session is running. Resolves once sent (or when it could not be).
 */
export const sendCancel = (conn: PgConnection, timeoutMs = 500): Promise<boolean> =>
  new Promise((resolve) => {
    const key = conn.backendKey;
    if (!key) return resolve(false);
    const socket = net.connect({ host: conn.node.host, port: conn.node.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    socket.once('connect', () => {
      const message = Buffer.alloc(16);
      message.writeInt32BE(16, 0);
      message.writeInt32BE(80877102, 4); // the CancelRequest code
      message.writeInt32BE(key.processID, 8);
      message.writeInt32BE(key.secretKey, 12);
      socket.end(message, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  });
