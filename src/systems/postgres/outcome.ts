/**
 * How a PostgreSQL answer becomes an operation's outcome. Pure, so every
 * case is tested on its own; the client (client.ts) gathers the facts.
 *
 * - ok: the statement returned, and no WARNING says its commit is in doubt.
 * - fail: certainly not applied — the statement was never sent (no
 *   connection), or the server refused it with an ERROR that rolls an
 *   autocommit statement back (a constraint, a read-only standby, a
 *   serialization failure, a cancelled statement: interrupts are held
 *   once the commit record is written, so a cancel that arrives later
 *   cannot fail the statement — it ends the synchronous-replication wait
 *   with a WARNING instead). A read that does not return is `fail`: it has
 *   no effect, so there is nothing to be unsure of (as in Jepsen).
 * - info: may or may not have been applied — the connection broke or timed
 *   out after the statement was sent, the server went down (FATAL, class
 *   57 shutdown/crash, class 08, 58, XX), or the commit's wait for a
 *   synchronous standby was cancelled: "The transaction has already
 *   committed locally, but might not have been replicated to the standby".
 *   That commit is visible on the primary yet may vanish at a failover, so
 *   it is never `ok` — `statement_timeout` does not end that wait either:
 *   only a cancel or a terminated session does, and both say so this way.
 */
import type { Completion } from '../system.ts';
import type { Notice } from './connection.ts';

/** What happened to one statement, as the client saw it. */
export type StatementResult =
  | { kind: 'done'; notices: readonly Notice[] }
  /** The server answered with an ErrorResponse. */
  | {
      kind: 'error';
      code: string | undefined;
      severity: string | undefined;
      message: string;
      notices: readonly Notice[];
    }
  /** No connection could be made: the statement was never sent. */
  | { kind: 'not-sent'; reason: string }
  /** The connection broke, or the deadline passed, after the statement was sent. */
  | { kind: 'lost'; reason: string; notices: readonly Notice[] };

/** A notice saying a commit stopped waiting for its synchronous standby (user cancel, or the session terminated). */
export const syncWaitCancelled = (notices: readonly Notice[]): Notice | undefined =>
  notices.find(
    (n) =>
      /wait for synchronous replication/i.test(n.message) ||
      /committed locally, but might not have been replicated/i.test(n.detail ?? ''),
  );

/** SQLSTATE classes after which an autocommit statement may or may not have committed. */
const UNCERTAIN_CLASSES = new Set(['08', '57', '58', 'XX']);
const QUERY_CANCELED = '57014';

/** Whether a server ERROR leaves the statement certainly not applied. */
export const isDefiniteError = (code: string | undefined, severity: string | undefined): boolean => {
  if (severity === 'FATAL' || severity === 'PANIC') return false;
  if (code === undefined || code.length !== 5) return false;
  if (code === QUERY_CANCELED) return true;
  return !UNCERTAIN_CLASSES.has(code.slice(0, 2));
};

const describeNotice = (n: Notice): string =>
  `${n.severity ?? 'WARNING'}: ${n.message}${n.detail ? ` (${n.detail})` : ''}`;

/** The outcome of a statement; `read` statements never end in `info`. */
export const completionOf = (result: StatementResult, read: boolean): Omit<Completion, 'value'> => {
  switch (result.kind) {
    case 'done': {
      const cancelled = syncWaitCancelled(result.notices);
      if (cancelled && !read) {
        return { type: 'info', error: `commit not confirmed by a synchronous standby: ${describeNotice(cancelled)}` };
      }
      return { type: 'ok' };
    }
    case 'not-sent':
      return { type: 'fail', error: result.reason };
    case 'error': {
      const error = `${result.code ?? 'no SQLSTATE'}: ${result.message}`;
      if (read || isDefiniteError(result.code, result.severity)) return { type: 'fail', error };
      return { type: 'info', error };
    }
    case 'lost': {
      const cancelled = syncWaitCancelled(result.notices);
      const error = cancelled ? `${result.reason}; ${describeNotice(cancelled)}` : result.reason;
      return { type: read ? 'fail' : 'info', error };
    }
  }
};
