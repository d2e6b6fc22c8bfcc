import type { Completion } from '../system.ts';
import { EtcdError, GRPC } from './gateway.ts';

/**
 * What a failed etcd request means for the history.
 *
 * `fail` only when etcd certainly did not apply it:
 * - the connection was refused (the request never reached the member);
 * - the server rejected it before proposing it to raft: bad request
 *   (InvalidArgument), too many requests or no space (ResourceExhausted),
 *   NotFound, OutOfRange (compacted), FailedPrecondition, permission errors;
 * - "raft proposal dropped": raft refused to append it (no leader, a leader
 *   transfer), so it is in no log.
 *
 * `info` for everything else: a timeout of ours, a reset or closed
 * connection, and etcd's own Unavailable answers ("request timed out",
 * "leader changed", "request timed out, possibly due to previous leader
 * failure") — the proposal may already be in the log and be committed
 * later, which is exactly what etcd's documentation warns of. Jepsen's etcd
 * client draws the same line.
 *
 * A read has no effect, so a read that does not succeed is `fail`.
 */
const DEFINITE_CODES: ReadonlySet<number> = new Set([
  GRPC.invalidArgument,
  GRPC.notFound,
  GRPC.alreadyExists,
  GRPC.permissionDenied,
  GRPC.resourceExhausted,
  GRPC.failedPrecondition,
  GRPC.outOfRange,
  GRPC.unimplemented,
  GRPC.unauthenticated,
]);

const DEFINITE_MESSAGES: readonly RegExp[] = [/raft proposal dropped/, /too many requests/];

const errorCode = (e: unknown): string | undefined => {
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  if (typeof err?.code === 'string') return err.code;
  return typeof err?.cause?.code === 'string' ? err.cause.code : undefined;
};

/** A short description of a failure for the history's `error` field. */
export const describeFailure = (e: unknown): string => {
  if (e instanceof EtcdError) return e.message;
  const err = e as Error | undefined;
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') return 'timeout';
  const code = errorCode(e);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code) return `${code}: ${err?.message ?? ''}`.trim();
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
};

/** Whether etcd certainly did not apply the request that failed with `e`. */
export const isDefinite = (e: unknown): boolean => {
  if (e instanceof EtcdError) {
    return DEFINITE_CODES.has(e.grpcCode) || DEFINITE_MESSAGES.some((re) => re.test(e.message));
  }
  return errorCode(e) === 'ECONNREFUSED';
};

/** The completion of a request that failed with `e`. */
export const failureCompletion = (e: unknown, read: boolean): Completion => ({
  type: read || isDefinite(e) ? 'fail' : 'info',
  error: describeFailure(e),
});
