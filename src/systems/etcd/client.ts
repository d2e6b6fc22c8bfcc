/**
 * Workload clients for etcd, one per worker, bound to one member (any
 * member serves every request: followers forward proposals to the leader
 * and ask it for the read index of a linearizable read).
 *
 * register: {f:'read', key}             range key            → ok, value: number | null
 *           {f:'write', key, value:n}   put key              → ok
 *           {f:'cas', key, value:[a,b]} txn: if value(key) = a (or key absent when a is null)
 *                                            then put key b   → ok | fail (cas-mismatch)
 * set:      {f:'add', key?, value:n}    put <set>/<n> = ""   → ok   (one key per element)
 *           {f:'read', key?}            range over <set>/    → ok, sorted elements
 *
 * Keys live under `faultline/`; register values are JSON. Reads are
 * linearizable unless the preset or workload says `reads: serializable`;
 * `readFrom: local` (the final reads) is always serializable, the member's
 * own state. Outcomes: see outcome.ts.
 */
import { Agent } from 'undici';
import { configError } from '../../base/errors.ts';
import { deadlineSignal } from '../../base/time.ts';
import type { Client, ClientOp, ClientOptions, Completion, NodeAddress } from '../system.ts';
import { b64, call, prefixEnd, toKeyValues } from './gateway.ts';
import { clientReadMode } from './options.ts';
import { failureCompletion } from './outcome.ts';

export const ETCD_WORKLOADS: readonly string[] = ['register', 'set'];

const REGISTER_PREFIX = 'faultline/register/';
const SET_PREFIX = 'faultline/set/';

/** One gateway request an op becomes, and how to read its answer. */
interface Request {
  path: string;
  body: Record<string, unknown>;
  read: boolean;
  complete(answer: Record<string, unknown>): Completion;
}

const parseValue = (raw: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch {
    return raw; // someone else's value: show it as it is
  }
};

/** Maps a workload op to a gateway request, or throws for an op this workload does not have. */
export const toRequest = (workload: string, op: ClientOp, serializable: boolean): Request => {
  if (workload === 'register') {
    const key = b64(REGISTER_PREFIX + (op.key ?? 'r'));
    switch (op.f) {
      case 'read':
        return {
          path: '/v3/kv/range',
          body: { key, ...(serializable ? { serializable: true } : {}) },
          read: true,
          complete: (a) => {
            const kv = toKeyValues(a)[0];
            return { type: 'ok', value: kv ? parseValue(kv.value) : null };
          },
        };
      case 'write':
        return {
          path: '/v3/kv/put',
          body: { key, value: b64(JSON.stringify(op.value)) },
          read: false,
          complete: () => ({ type: 'ok' }),
        };
      case 'cas': {
        if (!Array.isArray(op.value) || op.value.length !== 2)
          throw new TypeError(`cas expects value [from, to], got ${JSON.stringify(op.value)}`);
        const [from, to] = op.value as [unknown, unknown];
        // "Absent" is create_revision = 0; a present value is compared byte for byte.
        const compare =
          from === null
            ? { key, target: 'CREATE', result: 'EQUAL', create_revision: '0' }
            : { key, target: 'VALUE', result: 'EQUAL', value: b64(JSON.stringify(from)) };
        return {
          path: '/v3/kv/txn',
          body: { compare: [compare], success: [{ request_put: { key, value: b64(JSON.stringify(to)) } }] },
          read: false,
          // etcd leaves `succeeded: false` out of the JSON: a missing flag is a mismatch.
          complete: (a) => (a.succeeded === true ? { type: 'ok' } : { type: 'fail', error: 'cas-mismatch' }),
        };
      }
    }
  } else if (workload === 'set') {
    const prefix = `${SET_PREFIX}${op.key ?? 's'}/`;
    switch (op.f) {
      case 'add':
        return {
          path: '/v3/kv/put',
          body: { key: b64(prefix + String(op.value)), value: '' },
          read: false,
          complete: () => ({ type: 'ok' }),
        };
      case 'read':
        return {
          path: '/v3/kv/range',
          body: {
            key: b64(prefix),
            range_end: prefixEnd(prefix),
            keys_only: true,
            ...(serializable ? { serializable: true } : {}),
          },
          read: true,
          complete: (a) => ({
            type: 'ok',
            value: toKeyValues(a)
              .map((kv) => parseValue(kv.key.slice(prefix.length)))
              .sort((x, y) => Number(x) - Number(y)),
          }),
        };
    }
  }
  throw new TypeError(`the etcd ${workload} client has no operation "${op.f}"`);
};

export const openEtcdClient = (workload: string, node: NodeAddress, options: ClientOptions): Client => {
  if (!ETCD_WORKLOADS.includes(workload))
    throw configError(`system etcd has no client for workload "${workload}"`, {
      hint: `etcd workloads: ${ETCD_WORKLOADS.join(', ')}`,
    });
  // A final phase asks for node-local reads (ClientOptions.localReads): the same as readFrom: local.
  const { serializable } = clientReadMode(
    options.cluster ?? {},
    options.localReads ? { ...options.options, readFrom: 'local' } : options.options,
  );
  // One connection to the bound member; a request aborted mid-flight takes its socket with it.
  const agent = new Agent({ connections: 1, keepAliveTimeout: 10_000, connectTimeout: options.timeoutMs });
  return {
    async invoke(op, signal) {
      const req = toRequest(workload, op, serializable);
      const deadline = deadlineSignal(signal, options.timeoutMs);
      try {
        const answer = await call(node, req.path, req.body, deadline.signal, agent);
        return { ...req.complete(answer), node: node.id };
      } catch (e) {
        return { ...failureCompletion(e, req.read), node: node.id };
      } finally {
        deadline.clear();
      }
    },
    async close() {
      await agent.destroy();
    },
  };
};
