/**
 * etcd's v3 API through its JSON gateway (grpc-gateway, served on the client
 * port: POST /v3/kv/range, /v3/kv/put, /v3/kv/txn, /v3/maintenance/status,
 * /v3/cluster/member/list), with undici.
 *
 * Why the gateway and not the `etcd3` npm package over gRPC: a faultline
 * client must be bound to one member and must know exactly what happened to
 * each request. The gateway is one HTTP request per operation to one member,
 * cancelled by an AbortSignal, with the server's gRPC status code in the
 * answer; `etcd3` balances over endpoints and retries on its own (a retried
 * compare-and-set that had already been applied would come back as a
 * mismatch, a wrong `fail`), and brings gRPC and protobuf dependencies for
 * nothing faultline needs. The gateway is part of the etcd server itself,
 * so nothing else runs.
 *
 * Keys and values are bytes, base64 in JSON; 64-bit integers are strings;
 * fields with zero values (false, 0, empty) are left out of answers.
 */
import { type Dispatcher, request } from 'undici';

/** A gRPC status code, as etcd puts it in an error answer. */
export const GRPC = {
  ok: 0,
  cancelled: 1,
  unknown: 2,
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  alreadyExists: 6,
  permissionDenied: 7,
  resourceExhausted: 8,
  failedPrecondition: 9,
  aborted: 10,
  outOfRange: 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  dataLoss: 15,
  unauthenticated: 16,
} as const;

/** An error answer of the gateway: the gRPC code and etcd's message ("etcdserver: request timed out"). */
export class EtcdError extends Error {
  readonly grpcCode: number;
  readonly httpStatus: number;
  constructor(grpcCode: number, message: string, httpStatus: number) {
    super(message);
    this.name = 'EtcdError';
    this.grpcCode = grpcCode;
    this.httpStatus = httpStatus;
  }
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

/** The smallest key greater than every key that starts with `prefix` (etcd's range_end for a prefix). */
export const prefixEnd = (prefix: string): string => {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = bytes.subarray(0, i + 1);
      end[i] = bytes[i]! + 1;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64'); // every key
};

export interface Endpoint {
  host: string;
  port: number;
}

/** POSTs one JSON request; resolves with the answer or rejects with an EtcdError (server said no) or the transport error. */
export const call = async (
  endpoint: Endpoint,
  path: string,
  body: Record<string, unknown>,
  signal: AbortSignal,
  dispatcher?: Dispatcher,
): Promise<Record<string, unknown>> => {
  const res = await request(`http://${endpoint.host}:${endpoint.port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
    ...(dispatcher ? { dispatcher } : {}),
  });
  const text = await res.body.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not etcd's JSON (a proxy, a half-written answer): the server's state is unknown.
    throw new EtcdError(GRPC.unknown, `unparseable answer (HTTP ${res.statusCode}): ${text.slice(0, 200)}`, 0);
  }
  if (res.statusCode >= 300 || typeof json.code === 'number') {
    const message = String(json.message ?? json.error ?? `HTTP ${res.statusCode}`);
    throw new EtcdError(typeof json.code === 'number' ? json.code : GRPC.unknown, message, res.statusCode);
  }
  return json;
};

export interface KeyValue {
  key: string;
  value: string;
  modRevision: number;
}

export const toKeyValues = (answer: Record<string, unknown>): KeyValue[] =>
  ((answer.kvs as Record<string, string>[] | undefined) ?? []).map((kv) => ({
    key: unb64(kv.key),
    value: unb64(kv.value),
    modRevision: Number(kv.mod_revision ?? 0),
  }));

/** What /v3/maintenance/status says about a member. */
export interface MemberStatus {
  memberId: string;
  /** The member it believes leads, or undefined when it knows of none. */
  leaderId: string | undefined;
  raftTerm: number;
  raftIndex: number;
}

export const memberStatus = async (
  endpoint: Endpoint,
  signal: AbortSignal,
  dispatcher?: Dispatcher,
): Promise<MemberStatus> => {
  const s = await call(endpoint, '/v3/maintenance/status', {}, signal, dispatcher);
  const header = (s.header ?? {}) as Record<string, string>;
  const leader = typeof s.leader === 'string' && s.leader !== '0' ? s.leader : undefined;
  return {
    memberId: String(header.member_id ?? ''),
    leaderId: leader,
    raftTerm: Number(s.raftTerm ?? 0),
    raftIndex: Number(s.raftIndex ?? 0),
  };
};

/** Member id → member name (faultline names members after its node ids). */
export const memberNames = async (
  endpoint: Endpoint,
  signal: AbortSignal,
  dispatcher?: Dispatcher,
): Promise<Map<string, string>> => {
  const answer = await call(endpoint, '/v3/cluster/member/list', {}, signal, dispatcher);
  const members = (answer.members as { ID?: string; name?: string }[] | undefined) ?? [];
  return new Map(members.filter((m) => m.ID && m.name).map((m) => [String(m.ID), String(m.name)]));
};
