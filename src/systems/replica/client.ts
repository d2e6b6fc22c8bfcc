/**
 * Workload clients for the replica, one per worker, bound to one node.
 *
 * register: {f:'read', key}            GET  /kv/:key          → ok, value number|null
 *           {f:'write', key, value:n}  PUT  /kv/:key          → ok
 *           {f:'cas', key, value:[a,b]} POST /kv/:key/cas     → ok | fail (cas-mismatch)
 * set:      {f:'add', key?, value:n}   POST /set/:key/add     → ok   (key defaults to "s")
 *           {f:'read', key?}           GET  /set/:key         → ok, sorted elements
 *
 * Outcomes. 2xx → ok. A definite refusal (cas mismatch, not-leader, bad
 * request, any reply with maybeApplied:false, connection refused) → fail.
 * Anything else for a write (timeout, reset connection, 5xx, maybeApplied:true) → info.
 * A read has no effect, so a read that does not succeed is `fail`, as in Jepsen.
 *
 * Redirects: a node that is not the leader answers 421 with the leader's id;
 * the client follows that once, to the leader's address in `options.nodes`,
 * and reports the node that served the op in `completion.node`.
 *
 * Workload option `readFrom: local` sends reads with `?local=1`: the bound
 * node answers from its own state, whatever its role (for convergence
 * checks). The default, `leader`, reads through the leader.
 */
import { Agent, errors, request } from 'undici';
import { configError } from '../../core/errors.ts';
import type { Client, ClientOp, ClientOptions, Completion, NodeAddress } from '../system.ts';

export type ReplicaWorkload = 'register' | 'set';
export const REPLICA_WORKLOADS: readonly ReplicaWorkload[] = ['register', 'set'];

interface HttpCall {
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  body?: Record<string, unknown>;
  /** Reads may always be recorded `fail` when they do not succeed. */
  read: boolean;
  /** Picks the completion value out of a 2xx body. */
  value?(body: Record<string, unknown>): unknown;
}

const enc = encodeURIComponent;

/** Maps a workload op to an HTTP call, or throws for an op this workload does not have. */
export const toHttpCall = (workload: ReplicaWorkload, op: ClientOp, local: boolean): HttpCall => {
  const q = local ? '?local=1' : '';
  if (workload === 'register') {
    const key = enc(op.key ?? 'r');
    switch (op.f) {
      case 'read':
        return { method: 'GET', path: `/kv/${key}${q}`, read: true, value: (b) => b.value ?? null };
      case 'write':
        return { method: 'PUT', path: `/kv/${key}`, body: { value: op.value }, read: false };
      case 'cas': {
        if (!Array.isArray(op.value) || op.value.length !== 2)
          throw new TypeError(`cas expects value [from, to], got ${JSON.stringify(op.value)}`);
        return { method: 'POST', path: `/kv/${key}/cas`, body: { from: op.value[0], to: op.value[1] }, read: false };
      }
    }
  } else {
    const key = enc(op.key ?? 's');
    switch (op.f) {
      case 'add':
        return { method: 'POST', path: `/set/${key}/add`, body: { element: op.value }, read: false };
      case 'read':
        return { method: 'GET', path: `/set/${key}${q}`, read: true, value: (b) => b.elements };
    }
  }
  throw new TypeError(`the ${workload} client has no operation "${op.f}"`);
};

type Answer = { kind: 'reply'; status: number; body: Record<string, unknown> } | { kind: 'error'; error: unknown };

export const openReplicaClient = (workload: string, node: NodeAddress, options: ClientOptions): Client => {
  if (!(REPLICA_WORKLOADS as readonly string[]).includes(workload))
    throw configError(`system replica has no client for workload "${workload}"`, {
      hint: `replica workloads: ${REPLICA_WORKLOADS.join(', ')}`,
    });
  const readFrom = options.options.readFrom ?? 'leader';
  if (readFrom !== 'leader' && readFrom !== 'local')
    throw configError(`readFrom: expected leader or local; got ${JSON.stringify(readFrom)}`, { path: 'readFrom' });
  const local = readFrom === 'local';
  const agent = new Agent({ keepAliveTimeout: 10_000, connectTimeout: Math.min(options.timeoutMs, 5_000) });
  const byId = new Map(options.nodes.map((n) => [n.id, n]));

  const send = async (target: NodeAddress, call: HttpCall, signal: AbortSignal): Promise<Answer> => {
    try {
      const res = await request(`http://${target.host}:${target.port}${call.path}`, {
        method: call.method,
        dispatcher: agent,
        signal,
        ...(call.body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(call.body) } : {}),
      });
      const text = await res.body.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { error: 'unparseable-reply', message: text.slice(0, 200) };
      }
      return { kind: 'reply', status: res.statusCode, body };
    } catch (error) {
      return { kind: 'error', error };
    }
  };

  return {
    async invoke(op, signal) {
      const call = toHttpCall(workload as ReplicaWorkload, op, local);
      const opSignal = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
      let target = node;
      let answer = await send(target, call, opSignal);
      if (answer.kind === 'reply' && answer.status === 421) {
        const leader = byId.get(String(answer.body.leader));
        if (leader && leader.id !== target.id) {
          target = leader;
          answer = await send(target, call, opSignal);
        }
      }
      return { ...toCompletion(answer, call), node: target.id };
    },
    async close() {
      await agent.destroy();
    },
  };
};

const isConnectionRefused = (e: unknown): boolean =>
  (e as { code?: string })?.code === 'ECONNREFUSED' ||
  ((e instanceof errors.UndiciError || e instanceof Error) &&
    (e as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED');

const toCompletion = (answer: Answer, call: HttpCall): Completion => {
  if (answer.kind === 'error') {
    const e = answer.error as Error;
    const error =
      e?.name === 'AbortError' || e?.name === 'TimeoutError'
        ? 'timeout'
        : `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}`;
    // Refused: the request never reached the server, so it certainly did not happen.
    if (call.read || isConnectionRefused(e))
      return { type: 'fail', error: isConnectionRefused(e) ? 'connection refused' : error };
    return { type: 'info', error };
  }
  const { status, body } = answer;
  if (status >= 200 && status < 300) return call.value ? { type: 'ok', value: call.value(body) } : { type: 'ok' };
  const error = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
  const definite = body.maybeApplied === false || (status >= 400 && status < 500 && status !== 408);
  if (definite || call.read) return { type: 'fail', error };
  return { type: 'info', error };
};
