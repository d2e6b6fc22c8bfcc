import { describe, expect, test } from 'vitest';
import { EtcdError, GRPC } from '../../../src/systems/etcd/gateway.ts';
import { failureCompletion, isDefinite } from '../../../src/systems/etcd/outcome.ts';

const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
const abort = () => new DOMException('timed out after 2000 ms', 'TimeoutError');

describe('etcd outcomes', () => {
  test('a write that etcd may still apply is info: timeouts, resets, Unavailable answers, unknown errors', () => {
    const maybe = [
      abort(),
      new DOMException('aborted', 'AbortError'),
      withCode('ECONNRESET'),
      withCode('UND_ERR_SOCKET'),
      new EtcdError(GRPC.unavailable, 'etcdserver: request timed out', 503),
      new EtcdError(GRPC.unavailable, 'etcdserver: leader changed', 503),
      new EtcdError(GRPC.unavailable, 'etcdserver: request timed out, possibly due to previous leader failure', 503),
      new EtcdError(GRPC.unknown, 'unparseable answer (HTTP 502): <html>', 0),
    ];
    for (const e of maybe) {
      expect(isDefinite(e)).toBe(false);
      expect(failureCompletion(e, false).type).toBe('info');
    }
  });

  test('a write etcd certainly did not apply is fail: refused connection, rejected before raft, dropped proposal', () => {
    const never = [
      withCode('ECONNREFUSED'),
      Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      new EtcdError(GRPC.invalidArgument, 'etcdserver: request is too large', 400),
      new EtcdError(GRPC.resourceExhausted, 'etcdserver: mvcc: database space exceeded', 429),
      new EtcdError(GRPC.resourceExhausted, 'etcdserver: too many requests', 429),
      new EtcdError(GRPC.unknown, 'raft proposal dropped', 500),
      new EtcdError(GRPC.outOfRange, 'etcdserver: mvcc: required revision has been compacted', 400),
    ];
    for (const e of never) {
      expect(isDefinite(e)).toBe(true);
      expect(failureCompletion(e, false).type).toBe('fail');
    }
  });

  test('a read that does not succeed is fail, whatever the reason', () => {
    expect(failureCompletion(abort(), true)).toEqual({ type: 'fail', error: 'timeout' });
    expect(failureCompletion(new EtcdError(GRPC.unavailable, 'etcdserver: no leader', 503), true)).toEqual({
      type: 'fail',
      error: 'etcdserver: no leader',
    });
  });

  test('errors are described briefly for the history', () => {
    expect(failureCompletion(withCode('ECONNREFUSED'), false).error).toBe('connection refused');
    expect(failureCompletion(withCode('ECONNRESET'), false).error).toBe('ECONNRESET: connect ECONNRESET');
  });
});
