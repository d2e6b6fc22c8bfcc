/**
 * The replica's HTTP/JSON front: parses requests, hands them to the topology,
 * writes its replies. No replication logic lives here.
 *
 *   GET  /kv/:key[?local=1][&after=N[&afterTerm=T]] → 200 {value, siblings?, context?, index?, node}
 *   PUT  /kv/:key        {value, context?}  → 200 {ok, index?, term? | context?}
 *   POST /kv/:key/cas    {from, to, context?} → 200 | 412 {error:"cas-mismatch", current}
 *   POST /set/:key/add   {element}          → 200 {ok}
 *   POST /set/:key/remove {element}         → 200 {ok}
 *   GET  /set/:key[?local=1][&after=N]   → 200 {elements, node}   (sorted)
 *   POST /counter/:key/add {delta}          → 200 {ok}
 *   GET  /counter/:key[?local=1][&after=N] → 200 {value, node}
 *   POST /bank/:key/transfer {from, to, amount, initial} → 200 {ok, index, term} | 409 insufficient-funds
 *   GET  /bank/:key?accounts=a0,a1&initial=10[&local=1][&after=N] → 200 {balances, node}
 *        (bank: single-leader only; an account never written holds `initial`)
 *   GET  /admin/status                      → 200 StatusReport
 *   POST /admin/clock    {offsetMs, driftPpm?} → 200 {offsetMs, driftPpm}
 *   POST /peer/:method   {from, ...}        → node-to-node RPC
 *
 * Every error body is {error, maybeApplied, ...}: maybeApplied false is a
 * definite refusal (the op did not and will not take effect).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { NodeClock } from './clock.ts';
import type { ReplicaConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { isScalar } from './state-machine.ts';
import type { ClientRequest, ClientWrite, DataType, Reply, Topology } from './topology.ts';
import { PeerRequestError, replies } from './topology.ts';
import type { VersionVector } from './version-vector.ts';

export interface ReplicaServer {
  /** Resolves with the bound port once listening. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

class BadRequest extends Error {}

const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest('body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new BadRequest('body must be a JSON object');
  return parsed as Record<string, unknown>;
};

const scalarField = (body: Record<string, unknown>, field: string) => {
  const v = body[field];
  if (!(field in body) || !isScalar(v))
    throw new BadRequest(`"${field}" must be a JSON scalar (string, number, boolean, null)`);
  return v;
};

const contextField = (body: Record<string, unknown>): VersionVector | undefined => {
  const c = body.context;
  if (c === undefined || c === null) return undefined;
  if (
    typeof c !== 'object' ||
    Array.isArray(c) ||
    !Object.values(c).every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)
  )
    throw new BadRequest('"context" must be a version vector: {node: count, ...}');
  return c as VersionVector;
};

const TYPES: readonly DataType[] = ['kv', 'set', 'counter', 'bank'];

const nonNegativeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A query parameter that is absent (or empty) or an integer >= 0. */
const optionalIntParam = (query: URLSearchParams, name: string, what: string): number | undefined => {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const v = Number(raw);
  if (!nonNegativeInt(v)) throw new BadRequest(`"${name}" must be ${what} (an integer >= 0)`);
  return v;
};

/** Maps method + path + body to a client request, or undefined when no route matches. */
const parseClientRequest = async (
  method: string,
  parts: readonly string[],
  query: URLSearchParams,
  req: IncomingMessage,
): Promise<ClientRequest | undefined> => {
  const [type, rawKey, action] = parts as [DataType, string | undefined, string | undefined];
  if (!TYPES.includes(type) || rawKey === undefined || parts.length > 3) return undefined;
  const key = decodeURIComponent(rawKey);
  if (key === '') throw new BadRequest('empty key');
  if (method === 'GET' && action === undefined) {
    const local = ['1', 'true'].includes(query.get('local') ?? '');
    const after = optionalIntParam(query, 'after', 'a log index');
    const afterTerm = optionalIntParam(query, 'afterTerm', 'a term');
    if (afterTerm !== undefined && after === undefined) throw new BadRequest('"afterTerm" needs "after"');
    const read = {
      kind: 'read',
      type,
      key,
      local,
      ...(after !== undefined ? { after } : {}),
      ...(afterTerm !== undefined ? { afterTerm } : {}),
    } as const;
    if (type !== 'bank') return read;
    const accounts = (query.get('accounts') ?? '').split(',').filter((a) => a !== '');
    const initial = Number(query.get('initial') ?? '0');
    if (accounts.length === 0) throw new BadRequest('a bank read needs ?accounts=a0,a1,...');
    if (!nonNegativeInt(initial)) throw new BadRequest('"initial" must be an integer >= 0');
    return { ...read, accounts, initial };
  }
  const write = (op: ClientWrite): ClientRequest => ({ kind: 'write', op });
  if (type === 'kv' && method === 'PUT' && action === undefined) {
    const body = await readJson(req);
    const context = contextField(body);
    return write({ type: 'put', key, value: scalarField(body, 'value'), ...(context ? { context } : {}) });
  }
  if (type === 'kv' && method === 'POST' && action === 'cas') {
    const body = await readJson(req);
    const context = contextField(body);
    return write({
      type: 'cas',
      key,
      from: scalarField(body, 'from'),
      to: scalarField(body, 'to'),
      ...(context ? { context } : {}),
    });
  }
  if (type === 'set' && method === 'POST' && (action === 'add' || action === 'remove'))
    return write({ type: action, key, element: scalarField(await readJson(req), 'element') });
  if (type === 'bank' && method === 'POST' && action === 'transfer') {
    const { from, to, amount, initial } = await readJson(req);
    if (typeof from !== 'string' || typeof to !== 'string' || from === '' || to === '' || from === to)
      throw new BadRequest('"from" and "to" must be two different account names');
    if (!nonNegativeInt(amount) || amount === 0) throw new BadRequest('"amount" must be a positive integer');
    if (!nonNegativeInt(initial)) throw new BadRequest('"initial" must be an integer >= 0');
    return write({ type: 'transfer', key, from, to, amount, initial });
  }
  if (type === 'counter' && method === 'POST' && action === 'add') {
    const delta = (await readJson(req)).delta;
    if (typeof delta !== 'number' || !Number.isSafeInteger(delta)) throw new BadRequest('"delta" must be an integer');
    return write({ type: 'incr', key, delta });
  }
  return undefined;
};

export const createReplicaServer = (
  config: ReplicaConfig,
  topology: Topology,
  clock: NodeClock,
  logger: Logger,
): ReplicaServer => {
  const send = (res: ServerResponse, reply: Reply) => {
    const body = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const route = async (req: IncomingMessage): Promise<Reply> => {
    const url = new URL(req.url ?? '/', 'http://replica');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const method = req.method ?? 'GET';

    if (parts[0] === 'peer' && parts.length === 2 && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.from !== 'string' || !(body.from in config.peers))
        throw new BadRequest(`peer request from unknown node ${JSON.stringify(body.from)}`);
      return replies.ok(await topology.handlePeer(parts[1]!, body));
    }
    if (parts[0] === 'admin' && parts.length === 2) {
      if (parts[1] === 'status' && method === 'GET') return replies.ok({ ...topology.status() });
      if (parts[1] === 'clock' && method === 'POST') {
        const body = await readJson(req);
        const { offsetMs, driftPpm = 0 } = body;
        if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs))
          throw new BadRequest('"offsetMs" must be a finite number');
        if (typeof driftPpm !== 'number' || !Number.isFinite(driftPpm))
          throw new BadRequest('"driftPpm" must be a finite number');
        clock.set(offsetMs, driftPpm);
        logger.info(`clock offset set to ${offsetMs} ms, drift ${driftPpm} ppm`);
        return replies.ok({ offsetMs, driftPpm });
      }
    }
    const clientReq = await parseClientRequest(method, parts, url.searchParams, req);
    if (!clientReq) return { status: 404, body: { error: 'not-found', message: `${method} ${url.pathname}` } };
    return topology.handleClient(clientReq);
  };

  const server = createServer((req, res) => {
    route(req).then(
      (reply) => send(res, reply),
      (e: unknown) => {
        if (e instanceof BadRequest || e instanceof PeerRequestError || e instanceof URIError)
          return send(res, replies.badRequest((e as Error).message));
        logger.warn(`internal error on ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
        send(res, { status: 500, body: { error: 'internal', message: String(e), maybeApplied: true } });
      },
    );
  });
  // Peers and clients keep connections alive; keep our side longer than undici's 4 s default.
  server.keepAliveTimeout = 15_000;

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const addr = server.address();
          resolve(typeof addr === 'object' && addr ? addr.port : config.port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
