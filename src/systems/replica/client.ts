/**
 * Workload clients for the replica, one per worker, bound to one node.
 *
 * register: {f:'read', key}             GET  /kv/:key          → ok, value: number | null,
 *                                                                  or the sorted sibling values (an array) when
 *                                                                  version vectors kept concurrent writes
 *           {f:'write', key, value:n}   PUT  /kv/:key          → ok
 *           {f:'cas', key, value:[a,b]} POST /kv/:key/cas      → ok | fail (cas-mismatch)
 * set:      {f:'add', key?, value:n}    POST /set/:key/add     → ok   (key defaults to "s")
 *           {f:'read', key?}            GET  /set/:key         → ok, sorted elements
 * counter:  {f:'add', key?, value:n}    POST /counter/:key/add → ok   (key defaults to "c")
 *           {f:'read', key?}            GET  /counter/:key     → ok, a number
 * bank:     {f:'transfer', value:{from,to,amount}} POST /bank/b/transfer → ok | fail (insufficient funds)
 *           {f:'read'}                  GET  /bank/b?accounts=… → ok, {account: balance}
 *           (accounts and their opening balance: options.accounts, options.initialBalance;
 *            single-leader only — the other topologies refuse, so every op fails)
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
 * Sessions: the client remembers, per key, the log position and term of its
 * last acknowledged write and sends them with reads of that key
 * (`?after=N&afterTerm=T`, used by single-leader `reads: ryw`: per key, so
 * that a write lost in a failover is still looked for after the session wrote
 * another key under the new leader), and under version vectors the causal
 * context last seen per key, sent with the next write of that key so it
 * supersedes what was read.
 *
 * Node-local reads (`ClientOptions.localReads`, the final phase; or workload
 * option `readFrom: local`) send reads with `?local=1`: the bound node
 * answers from its own state, whatever its role. `readFrom: rotate` sends
 * each read to the next node in turn (a load balancer over replicas), so
 * a session's reads land on replicas with different lags; writes still go
 * to the bound node. The default, `leader`, lets the topology decide.
 *
 * A write's reply carries the leader's term (single-leader); it becomes
 * `completion.term`, so split-brain and fencing checks can tell leaders apart.
 */
import { Agent, request } from 'undici';
import { configError } from '../../base/errors.ts';
import { deadlineSignal } from '../../base/time.ts';
import type { Client, ClientOp, ClientOptions, Completion, NodeAddress } from '../system.ts';

export type ReplicaWorkload = 'register' | 'set' | 'counter' | 'bank';
export const REPLICA_WORKLOADS: readonly ReplicaWorkload[] = ['register', 'set', 'counter', 'bank'];

/** The bank workload's accounts and their opening balance (ClientOptions.options). */
export interface BankSetup {
  accounts: readonly string[];
  initialBalance: number;
}

interface HttpCall {
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  /** The register key, for causal contexts. */
  key?: string;
  body?: Record<string, unknown>;
  /** Reads may always be recorded `fail` when they do not succeed. */
  read: boolean;
  /** Picks the completion value out of a 2xx body. */
  value?(body: Record<string, unknown>): unknown;
  /** Which object it reads or writes ("kv/x", "set/s"): the key of the session's write positions. */
  object: string;
}

/** A write's place in a single-leader log. */
export interface LogPosition {
  index: number;
  /** Absent when the reply carried none. */
  term?: number;
}

/** What a client remembers between operations. */
export interface Session {
  /** Per object, the log position of the last acknowledged write to it (single-leader). */
  writes: Map<string, LogPosition>;
  /** Version-vector context last seen, per register key. */
  contexts: Map<string, Record<string, number>>;
}

const enc = encodeURIComponent;

/** Maps a workload op to an HTTP call, or throws for an op this workload does not have. */
export const toHttpCall = (
  workload: ReplicaWorkload,
  op: ClientOp,
  local: boolean,
  session: Session,
  bank?: BankSetup,
): HttpCall => {
  const query = (object: string): string => {
    if (local) return '?local=1';
    const w = session.writes.get(object);
    if (w === undefined) return '';
    return w.term === undefined ? `?after=${w.index}` : `?after=${w.index}&afterTerm=${w.term}`;
  };
  if (workload === 'bank') {
    if (!bank) throw new TypeError('the bank client needs options.accounts and options.initialBalance');
    const initial = bank.initialBalance;
    if (op.f === 'transfer') {
      const v = op.value as { from?: unknown; to?: unknown; amount?: unknown } | null;
      return {
        method: 'POST',
        path: '/bank/b/transfer',
        body: { from: v?.from, to: v?.to, amount: v?.amount, initial },
        read: false,
        object: 'bank/b',
      };
    }
    if (op.f === 'read') {
      const q = query('bank/b');
      const path = `/bank/b?accounts=${bank.accounts.map(enc).join(',')}&initial=${initial}${q ? `&${q.slice(1)}` : ''}`;
      return { method: 'GET', path, read: true, value: (b) => b.balances, object: 'bank/b' };
    }
    throw new TypeError(`the bank client has no operation "${op.f}"`);
  }
  if (workload === 'register') {
    const key = op.key ?? 'r';
    const object = `kv/${key}`;
    const context = session.contexts.get(key);
    const withContext = (body: Record<string, unknown>) => (context ? { ...body, context } : body);
    switch (op.f) {
      case 'read':
        return {
          method: 'GET',
          path: `/kv/${enc(key)}${query(object)}`,
          key,
          read: true,
          value: (b) => b.value ?? null,
          object,
        };
      case 'write':
        return {
          method: 'PUT',
          path: `/kv/${enc(key)}`,
          key,
          body: withContext({ value: op.value }),
          read: false,
          object,
        };
      case 'cas': {
        if (!Array.isArray(op.value) || op.value.length !== 2)
          throw new TypeError(`cas expects value [from, to], got ${JSON.stringify(op.value)}`);
        const body = withContext({ from: op.value[0], to: op.value[1] });
        return { method: 'POST', path: `/kv/${enc(key)}/cas`, key, body, read: false, object };
      }
    }
  } else {
    const type = workload === 'set' ? 'set' : 'counter';
    const key = enc(op.key ?? (workload === 'set' ? 's' : 'c'));
    const object = `${type}/${key}`;
    switch (op.f) {
      case 'add':
        return {
          method: 'POST',
          path: `/${type}/${key}/add`,
          body: workload === 'set' ? { element: op.value } : { delta: op.value },
          read: false,
          object,
        };
      case 'read':
        return {
          method: 'GET',
          path: `/${type}/${key}${query(object)}`,
          read: true,
          value: (b) => (workload === 'set' ? b.elements : b.value),
          object,
        };
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
  if (readFrom !== 'leader' && readFrom !== 'local' && readFrom !== 'rotate')
    throw configError(`readFrom: expected leader, local or rotate; got ${JSON.stringify(readFrom)}`, {
      path: 'readFrom',
    });
  const local = options.localReads === true || readFrom === 'local';
  const bank = bankSetup(workload, options.options);
  const rotate = readFrom === 'rotate' && !local && options.nodes.length > 1;
  let nextReader = Math.max(
    0,
    options.nodes.findIndex((n) => n.id === node.id),
  );
  const agent = new Agent({ keepAliveTimeout: 10_000, connectTimeout: Math.min(options.timeoutMs, 5_000) });
  const byId = new Map(options.nodes.map((n) => [n.id, n]));
  const session: Session = { writes: new Map(), contexts: new Map() };

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

  const remember = (call: HttpCall, answer: Answer) => {
    if (answer.kind !== 'reply' || answer.status >= 300) return;
    const { body } = answer;
    if (!call.read && isLogIndex(body.index)) {
      const w: LogPosition = isLogIndex(body.term) ? { index: body.index, term: body.term } : { index: body.index };
      session.writes.set(call.object, laterPosition(session.writes.get(call.object), w));
    }
    if (call.key !== undefined && body.context && typeof body.context === 'object')
      session.contexts.set(call.key, body.context as Record<string, number>);
  };

  return {
    async invoke(op, signal) {
      const call = toHttpCall(workload as ReplicaWorkload, op, local, session, bank);
      // Not AbortSignal.any + AbortSignal.timeout: on Node 20 that timeout can be collected before it fires.
      const { signal: opSignal, clear } = deadlineSignal(signal, options.timeoutMs);
      try {
        let target = node;
        if (rotate && call.read) {
          target = options.nodes[nextReader % options.nodes.length]!;
          nextReader++;
        }
        let answer = await send(target, call, opSignal);
        if (answer.kind === 'reply' && answer.status === 421) {
          const leader = byId.get(String(answer.body.leader));
          if (leader && leader.id !== target.id) {
            target = leader;
            answer = await send(target, call, opSignal);
          }
        }
        remember(call, answer);
        return { ...toCompletion(answer, call), node: target.id };
      } finally {
        clear();
      }
    },
    async close() {
      await agent.destroy();
    },
  };
};

const isLogIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The later of two log positions: by term, then index (a new leader's entries follow the old one's). */
export const laterPosition = (a: LogPosition | undefined, b: LogPosition): LogPosition => {
  if (a === undefined) return b;
  const ta = a.term ?? 0;
  const tb = b.term ?? 0;
  return ta !== tb ? (ta > tb ? a : b) : a.index >= b.index ? a : b;
};

const bankSetup = (workload: string, o: Readonly<Record<string, unknown>>): BankSetup | undefined => {
  if (workload !== 'bank') return undefined;
  const { accounts, initialBalance } = o;
  if (!Array.isArray(accounts) || accounts.length < 2 || !accounts.every((a) => typeof a === 'string' && a !== ''))
    throw configError('the bank client needs options.accounts: two or more account names', { path: 'accounts' });
  if (typeof initialBalance !== 'number' || !Number.isSafeInteger(initialBalance) || initialBalance < 0)
    throw configError('the bank client needs options.initialBalance: an integer >= 0', { path: 'initialBalance' });
  return { accounts, initialBalance };
};

const isConnectionRefused = (e: unknown): boolean =>
  (e as { code?: string })?.code === 'ECONNREFUSED' ||
  (e as { cause?: { code?: string } })?.cause?.code === 'ECONNREFUSED';

const toCompletion = (answer: Answer, call: HttpCall): Completion => {
  if (answer.kind === 'error') {
    const e = answer.error as Error;
    const error =
      e?.name === 'AbortError' || e?.name === 'TimeoutError'
        ? 'timeout'
        : `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}`;
    // Refused: the request never reached the server, so it certainly did not happen.
    if (isConnectionRefused(e)) return { type: 'fail', error: 'connection refused' };
    return { type: call.read ? 'fail' : 'info', error };
  }
  const { status, body } = answer;
  if (status >= 200 && status < 300) {
    const term = typeof body.term === 'number' && Number.isSafeInteger(body.term) ? { term: body.term } : {};
    return call.value ? { type: 'ok', value: call.value(body), ...term } : { type: 'ok', ...term };
  }
  const error = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
  const definite = body.maybeApplied === false || (status >= 400 && status < 500 && status !== 408);
  if (definite || call.read) return { type: 'fail', error };
  return { type: 'info', error };
};
