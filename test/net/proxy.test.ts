import net from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import { createLinkProxy, type LinkProxyOptions } from '../../src/net/proxy.ts';
import { connect, sleep, startServer, waitFor } from './tcp-helpers.ts';

/** How long "nothing happens" is observed for: a hang, not a slow delivery. */
const QUIET_MS = 300;

const proxyTo = async (port: number, extra: Partial<LinkProxyOptions> = {}) => {
  const proxy = await createLinkProxy({
    link: { from: 'n1', to: 'n2' },
    target: { host: '127.0.0.1', port },
    ...extra,
  });
  onTestFinished(() => proxy.close());
  return proxy;
};

// A server that answers every chunk with its upper-case version.
const upperServer = () => startServer((socket, chunk) => socket.write(chunk.toString().toUpperCase()));

describe('link proxy', () => {
  test('forwards bytes both ways and counts them', async () => {
    const server = await upperServer();
    const proxy = await proxyTo(server.port);
    const client = connect(proxy.port);
    client.socket.write('hello');
    await waitFor(() => client.data === 'HELLO', 'the echoed reply');
    expect(server.received[0]).toBe('hello');
    const c = proxy.counters();
    expect(c.connections).toBe(1);
    expect(c.forward.bytes).toBe(5);
    expect(c.reverse.bytes).toBe(5);
    expect(c.forward.droppedBytes + c.reverse.droppedBytes).toBe(0);
  });

  test('passes a half-close (FIN) on in both directions', async () => {
    const server = await startServer((socket) => socket.end('bye'));
    const proxy = await proxyTo(server.port);
    const client = connect(proxy.port);
    client.socket.end('x');
    await waitFor(() => server.ended.has(0), 'the server to see the end');
    await waitFor(() => client.events.includes('end'), 'the client to see the end');
    expect(client.data).toBe('bye');
    await waitFor(() => proxy.openConnections === 0, 'the proxy to forget the connection');
  });

  test('a new connection on a blackholed link hangs: nothing delivered, no close, no reset', async () => {
    const server = await upperServer();
    const proxy = await proxyTo(server.port);
    proxy.setBlocked('forward', true);
    const client = connect(proxy.port);
    client.socket.write('anyone there?');
    await sleep(QUIET_MS);
    expect(server.sockets).toHaveLength(0); // never connected upstream
    expect(client.data).toBe('');
    expect(client.events).toEqual([]); // no end, no error, no close
    expect(client.socket.destroyed).toBe(false);
    const c = proxy.counters();
    expect(c.heldConnections).toBe(1);
    expect(c.forward.droppedBytes).toBe('anyone there?'.length);
  });

  test('a blocked reverse direction also holds new connections (the SYN-ACK would be dropped)', async () => {
    const server = await upperServer();
    const proxy = await proxyTo(server.port);
    proxy.setBlocked('reverse', true);
    const client = connect(proxy.port);
    client.socket.write('ping');
    await sleep(QUIET_MS);
    expect(server.sockets).toHaveLength(0);
    expect(client.events).toEqual([]);
  });

  test('an asymmetric grudge on an open connection blocks one direction only', async () => {
    const server = await startServer();
    const proxy = await proxyTo(server.port);
    const client = connect(proxy.port);
    client.socket.write('a');
    await waitFor(() => server.received[0] === 'a', 'the first byte');
    const upstream = server.sockets[0]!;

    // Block responses: requests still arrive, replies vanish.
    proxy.setBlocked('reverse', true);
    client.socket.write('b');
    upstream.write('reply');
    await waitFor(() => server.received[0] === 'ab', 'the request during the reverse block');
    await sleep(QUIET_MS);
    expect(client.data).toBe('');
    expect(client.events).toEqual([]);
    expect(proxy.counters().reverse.droppedBytes).toBe(5);

    // The other way round on a fresh link.
    const server2 = await startServer();
    const proxy2 = await proxyTo(server2.port);
    const client2 = connect(proxy2.port);
    client2.socket.write('a');
    await waitFor(() => server2.received[0] === 'a', 'the first byte on the second link');
    proxy2.setBlocked('forward', true);
    client2.socket.write('lost');
    server2.sockets[0]!.write('pushed');
    await waitFor(() => client2.data === 'pushed', 'the server push during the forward block');
    await sleep(QUIET_MS);
    expect(server2.received[0]).toBe('a');
    expect(server2.ended.size).toBe(0);
  });

  test('an open connection stalls while blocked and is reset at both ends on heal when it lost bytes', async () => {
    const server = await upperServer();
    const proxy = await proxyTo(server.port);
    const client = connect(proxy.port);
    client.socket.write('one');
    await waitFor(() => client.data === 'ONE', 'the first reply');
    proxy.setBlocked('forward', true);
    client.socket.write('two');
    await sleep(QUIET_MS);
    expect(server.received[0]).toBe('one');
    expect(client.events).toEqual([]);

    proxy.setBlocked('forward', false);
    await waitFor(() => client.events.includes('close'), 'the client to be reset');
    expect(client.events.some((e) => e.startsWith('error:'))).toBe(true);
    await waitFor(() => server.ended.has(0), 'the server side to close');
    expect(proxy.counters().resetOnHeal).toBe(1);
    expect(client.data).toBe('ONE'); // never "TWO": those bytes were dropped
  });

  test('an idle connection survives a partition, and a new one works after heal', async () => {
    const server = await upperServer();
    const proxy = await proxyTo(server.port);
    const idle = connect(proxy.port);
    idle.socket.write('x');
    await waitFor(() => idle.data === 'X', 'the first reply');

    proxy.setBlocked('forward', true);
    proxy.setBlocked('reverse', true);
    const held = connect(proxy.port); // held, sends nothing while blocked
    await sleep(50);
    proxy.setBlocked('forward', false);
    proxy.setBlocked('reverse', false);

    idle.socket.write('y');
    await waitFor(() => idle.data === 'XY', 'the idle connection to carry on');
    held.socket.write('z');
    await waitFor(() => held.data === 'Z', 'the held connection to be connected upstream');
    const fresh = connect(proxy.port);
    fresh.socket.write('w');
    await waitFor(() => fresh.data === 'W', 'a new connection after heal');
    expect(proxy.counters().resetOnHeal).toBe(0);
  });

  test('delay keeps chunks in order, even when jitter would reorder them', async () => {
    const server = await startServer();
    const proxy = await proxyTo(server.port, { random: createRandom(7) });
    const client = connect(proxy.port);
    client.socket.write('start;');
    await waitFor(() => server.received[0] === 'start;', 'the unshaped first chunk');

    proxy.setShape('forward', { delayMs: 60, jitterMs: 40 });
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      sent.push(`m${i};`);
      client.socket.write(`m${i};`);
      await new Promise((r) => setImmediate(r)); // separate chunks, mostly
    }
    const tLast = performance.now();
    const expected = `start;${sent.join('')}`;
    await waitFor(() => server.received[0]!.length >= expected.length, 'every chunk');
    expect(server.received[0]).toBe(expected);
    // Lower bound only: the last chunk waited at least delay - jitter after it was sent.
    expect(performance.now() - tLast).toBeGreaterThanOrEqual(20 - 2);
    expect(proxy.counters().forward.chunks).toBeGreaterThan(2);
  });

  test('delay delays: a reply takes at least the configured delay in each direction', async () => {
    const server = await upperServer();
    const proxy = await proxyTo(server.port);
    proxy.setShape('forward', { delayMs: 80 });
    proxy.setShape('reverse', { delayMs: 70 });
    const client = connect(proxy.port);
    await waitFor(() => client.connected, 'connect');
    const t0 = performance.now();
    client.socket.write('q');
    await waitFor(() => client.data === 'Q', 'the delayed reply');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150 - 2); // timers may round by a ms

    proxy.setShape('forward', undefined);
    proxy.setShape('reverse', {});
    client.socket.write('r');
    await waitFor(() => client.data === 'QR', 'the unshaped reply');
    expect(server.received[0]).toBe('qr');
  });

  test('loss is modelled as retransmission delay: every chunk arrives, in order, late', async () => {
    const server = await startServer();
    const proxy = await proxyTo(server.port, { random: createRandom(1), retransmitMs: 5 });
    const client = connect(proxy.port);
    await waitFor(() => client.connected, 'connect');
    proxy.setShape('forward', { loss: 1 }); // every chunk "lost" the maximum 6 times: 5+10+...+160 ms
    const t0 = performance.now();
    client.socket.write('abc');
    await waitFor(() => server.received[0] === 'abc', 'the retransmitted chunk');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(315 - 2);
    expect(proxy.counters().forward.retransmittedChunks).toBe(1);
    expect(proxy.counters().forward.droppedBytes).toBe(0);
  });

  test('a refused upstream resets the client rather than hanging it', async () => {
    // Find a closed port: bind, note it, close.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen({ host: '127.0.0.1', port: 0 }, r));
    const closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const proxy = await proxyTo(closedPort);
    const client = connect(proxy.port);
    await waitFor(() => client.events.includes('close'), 'the client to be reset');
  });

  test('setTarget redirects new connections', async () => {
    const a = await upperServer();
    const b = await startServer((socket) => socket.write('from b'));
    const proxy = await proxyTo(a.port);
    proxy.setTarget({ host: '127.0.0.1', port: b.port });
    const client = connect(proxy.port);
    client.socket.write('hi');
    await waitFor(() => client.data === 'from b', 'the reply of the new target');
    expect(a.sockets).toHaveLength(0);
  });

  test('close destroys every socket and the listener, and is idempotent', async () => {
    const server = await upperServer();
    const proxy = await createLinkProxy({
      link: { from: 'n1', to: 'n2' },
      target: { host: '127.0.0.1', port: server.port },
    });
    const client = connect(proxy.port);
    client.socket.write('x');
    await waitFor(() => client.data === 'X', 'the reply');
    await Promise.all([proxy.close(), proxy.close()]);
    await proxy.close();
    await waitFor(() => client.events.includes('end') || client.events.includes('close'), 'the client to close');
    await waitFor(() => server.ended.has(0), 'the upstream to close');
    expect(proxy.openConnections).toBe(0);
    const late = connect(proxy.port);
    await waitFor(() => late.events.includes('close'), 'a connect to a closed proxy to fail');
    expect(late.events.some((e) => e === 'error:ECONNREFUSED')).toBe(true);
  });

  test('a client that leaves while held is let go at heal, never connected upstream', async () => {
    const server = await upperServer();
    const proxy = await proxyTo(server.port);
    proxy.setBlocked('forward', true);
    const held = connect(proxy.port);
    await waitFor(() => proxy.openConnections === 1, 'the held connection');
    held.socket.destroy(); // its FIN is dropped like any other byte: the proxy keeps holding
    await sleep(50);
    proxy.setBlocked('forward', false);
    await waitFor(() => proxy.openConnections === 0, 'the held connection to be let go');
    expect(proxy.counters().resetOnHeal).toBe(1);
    expect(server.sockets).toHaveLength(0);
    const fresh = connect(proxy.port);
    fresh.socket.write('ok');
    await waitFor(() => fresh.data === 'OK', 'a new connection');
  });
});
