/**
 * What the local backend's link layer costs, and how long a toy cluster
 * takes to come up and go down:
 *  - throughput of one TCP stream, direct vs through a link proxy;
 *  - round-trip latency of small request/replies on one connection, direct
 *    vs proxied vs proxied with a 1 ms delay each way;
 *  - local backend up and down of 3 toy nodes (tsx start-up dominates).
 * Usage: npx tsx bench/net.ts [--mib 256 --round-trips 5000 --clusters 3]
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { createLocalBackend } from '../src/cluster/local.ts';
import { cleanupLeftovers } from '../src/cluster/registry.ts';
import { createLinkProxy, type LinkProxy } from '../src/net/proxy.ts';
import { createToySystem } from '../test/fixtures/toy-system.ts';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    'round-trips': { type: 'string', default: '5000' },
    clusters: { type: 'string', default: '3' },
  },
});
const mib = Number(values.mib);
const roundTrips = Number(values['round-trips']);
const clusters = Number(values.clusters);

const listen = (onConn: (s: net.Socket) => void) =>
  new Promise<net.Server>((resolve) => {
    const server = net.createServer(onConn);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server));
  });
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const connect = (port: number) =>
  new Promise<net.Socket>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.setNoDelay(true);
  });
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

const throughput = async (port: number): Promise<number> => {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const total = mib * 1024 * 1024;
  const sock = await connect(port);
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
  }
  sock.end();
  await new Promise((r) => sock.once('close', r));
  return mib / ((performance.now() - t0) / 1000);
};

const latency = async (port: number): Promise<{ p50: number; p99: number }> => {
  const sock = await connect(port);
  const lat: number[] = [];
  const msg = Buffer.alloc(100, 1);
  for (let i = 0; i < roundTrips; i++) {
    const t0 = performance.now();
    const got = new Promise((r) => sock.once('data', r));
    sock.write(msg);
    await got;
    lat.push(performance.now() - t0);
  }
  sock.destroy();
  return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
};

// A sink that waits for the sender's FIN, then closes (so "close" marks the last byte received).
const sink = await listen((s) => {
  s.resume();
  s.on('end', () => s.end());
});
const echo = await listen((s) => {
  s.setNoDelay(true);
  s.on('data', (d) => s.write(d));
});
const proxyTo = (port: number): Promise<LinkProxy> =>
  createLinkProxy({ link: { from: 'a', to: 'b' }, target: { host: '127.0.0.1', port } });

const sinkProxy = await proxyTo(portOf(sink));
const echoProxy = await proxyTo(portOf(echo));
console.log(`one stream, ${mib} MiB:`);
console.log(`  direct   ${(await throughput(portOf(sink))).toFixed(0)} MiB/s`);
console.log(`  proxied  ${(await throughput(sinkProxy.port)).toFixed(0)} MiB/s`);

console.log(`round trips of 100 bytes, ${roundTrips} sequential:`);
const fmt = (r: { p50: number; p99: number }) => `p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms`;
console.log(`  direct            ${fmt(await latency(portOf(echo)))}`);
console.log(`  proxied           ${fmt(await latency(echoProxy.port))}`);
echoProxy.setShape('forward', { delayMs: 1 });
echoProxy.setShape('reverse', { delayMs: 1 });
console.log(`  proxied +1ms/way  ${fmt(await latency(echoProxy.port))}`);
await Promise.all([sinkProxy.close(), echoProxy.close()]);
sink.close();
echo.close();

console.log(`local backend, 3 toy nodes, ${clusters} times:`);
for (let i = 0; i < clusters; i++) {
  const runId = `bench-net-${process.pid}-${i}`;
  const backend = createLocalBackend();
  const t0 = performance.now();
  await backend.up(
    { runId, system: createToySystem(), nodes: ['n1', 'n2', 'n3'], options: {}, workDir: '' },
    AbortSignal.timeout(60_000),
  );
  const t1 = performance.now();
  await backend.down();
  const t2 = performance.now();
  await cleanupLeftovers({ runId: runId, force: true });
  console.log(`  up ${(t1 - t0).toFixed(0)} ms  down ${(t2 - t1).toFixed(0)} ms`);
}
