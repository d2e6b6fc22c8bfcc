/**
 * Node-to-node RPC: `POST http://<peer address>/peer/<method>` with a JSON
 * body that always carries `from` (this node's id). Peer addresses are how
 * THIS node reaches each peer — under faultline, link-proxy listeners, one
 * per ordered pair — so a peer is identified by id, never by address.
 *
 * A partitioned link hangs rather than refusing, so every call has its own
 * timeout and calls to different peers never wait on one another.
 */
import { Agent, request } from 'undici';

export interface Peers {
  /** Peer ids, excluding this node. */
  readonly ids: readonly string[];
  /** Calls `method` on `peer`; rejects on timeout, connection error or a non-2xx answer. */
  call<T>(peer: string, method: string, body: Record<string, unknown>, timeoutMs: number): Promise<T>;
  close(): Promise<void>;
}

export const createPeers = (selfId: string, addresses: Readonly<Record<string, string>>): Peers => {
  // Keep-alive connections; no per-origin connection cap, so a hung request never queues others behind it.
  const agent = new Agent({ keepAliveTimeout: 10_000, connectTimeout: 2_000 });
  return {
    ids: Object.keys(addresses),
    async call<T>(peer: string, method: string, body: Record<string, unknown>, timeoutMs: number): Promise<T> {
      const address = addresses[peer];
      if (!address) throw new Error(`unknown peer ${peer}`);
      const signal = AbortSignal.timeout(timeoutMs);
      const res = await request(`http://${address}/peer/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, from: selfId }),
        dispatcher: agent,
        signal,
      });
      const json = (await res.body.json()) as T;
      if (res.statusCode >= 300)
        throw new Error(`peer ${peer} /peer/${method}: HTTP ${res.statusCode} ${JSON.stringify(json)}`);
      return json;
    },
    async close() {
      await agent.destroy();
    },
  };
};
