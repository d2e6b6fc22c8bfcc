/**
 * The reference replica's own speed, per topology, on loopback (no proxy):
 *  - write and read throughput and latency (p50/p99) with C concurrent
 *    clients for S seconds each, against a 3-node cluster;
 *  - single-leader failover: time from SIGKILL of the leader to a new leader
 *    (and, for async, to the first acknowledged write on it).
 * Usage: npx tsx bench/replica.ts [--seconds 3] [--concurrency 8]
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { packagePath, tsNodeArgs } from '../src/base/ts-node.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '8' } },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const agent = new Agent({ keepAliveTimeout: 10_000 });

const freePorts = async (n: number): Promise<number[]> => {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
};

const http = async (port: number, method: string, path: string, body?: unknown) => {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    method: method as 'GET',
    dispatcher: agent,
    signal: AbortSignal.timeout(5000),
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
};

/** Clusters still up: killed on exit, whatever happens. */
const live = new Set<Cluster>();
process.once('exit', () => {
  for (const c of live) c.down();
});

interface Cluster {
  ports: number[];
  procs: (ChildProcess | undefined)[];
  kill(i: number): void;
  down(): void;
}

const startCluster = async (flags: string[]): Promise<Cluster> => {
  const ports = await freePorts(3);
  const dir = mkdtempSync(join(tmpdir(), 'replica-bench-'));
  const ids = ports.map((_, i) => `n${i + 1}`);
  const procs: (ChildProcess | undefined)[] = ids.map((id, i) =>
    spawn(
      process.execPath,
      [
        ...tsNodeArgs(packagePath('src/replica/main.ts')),
        '--id',
        id,
        '--port',
        String(ports[i]),
        '--data-dir',
        join(dir, id),
        '--peers',
        ids
          .map((p, j) => (p === id ? '' : `${p}=127.0.0.1:${ports[j]}`))
          .filter(Boolean)
          .join(','),
        ...flags,
      ],
      { stdio: 'ignore' },
    ),
  );
  const cluster: Cluster = {
    ports,
    procs,
    kill(i) {
      procs[i]?.kill('SIGKILL');
      procs[i] = undefined;
    },
    down() {
      live.delete(cluster);
      for (const p of procs) p?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(cluster);
  for (const port of ports) await until(async () => (await http(port, 'GET', '/admin/status')).status === 200);
  return cluster;
};

const until = async (check: () => Promise<boolean>, timeoutMs = 20_000): Promise<number> => {
  const start = performance.now();
  for (;;) {
    if (await check().catch(() => false)) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const leaderIndex = async (c: Cluster): Promise<number> => {
  let found = -1;
  await until(async () => {
    for (const [i, port] of c.ports.entries()) {
      if (!c.procs[i]) continue;
      const s = await http(port, 'GET', '/admin/status').catch(() => undefined);
      if (s?.body.role === 'leader' && (await http(port, 'GET', '/kv/probe')).status === 200) {
        found = i;
        return true;
      }
    }
    return false;
  });
  return found;
};

const quantile = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? Number.NaN;

/** C clients hammering one op for S seconds; returns ops/s and latency quantiles. */
const load = async (
  port: (worker: number) => number,
  op: (worker: number, i: number) => [string, string, unknown?],
) => {
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const [method, path, body] = op(w, i);
        const t = performance.now();
        const r = await http(port(w), method, path, body).catch(() => ({ status: 0 }));
        if (r.status === 200) lat.push(performance.now() - t);
        else errors++;
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { opsPerSec: Math.round(lat.length / seconds), p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), errors };
};

const SETUPS: [string, string[], 'leader' | 'any'][] = [
  ['single-leader sync', ['--replication', 'sync'], 'leader'],
  ['single-leader semi-sync k=1', ['--replication', 'semi-sync', '--sync-acks', '1'], 'leader'],
  ['single-leader async', ['--replication', 'async'], 'leader'],
  ['multi-leader lww', ['--topology', 'multi-leader', '--conflicts', 'lww'], 'any'],
  ['leaderless R=2 W=2', ['--topology', 'leaderless', '--r', '2', '--w', '2'], 'any'],
];

const main = async () => {
  console.log(`replica bench: 3 nodes on loopback, ${concurrency} clients, ${seconds}s per figure, fsync always\n`);
  const rows: Record<string, unknown>[] = [];
  for (const [name, flags, target] of SETUPS) {
    const c = await startCluster(flags);
    try {
      const l = target === 'leader' ? await leaderIndex(c) : -1;
      const port = (w: number) => c.ports[l >= 0 ? l : w % 3]!;
      const writes = await load(port, (w, i) => ['PUT', `/kv/k${(w + i) % 5}`, { value: w * 1e6 + i }]);
      const reads = await load(port, (w, i) => ['GET', `/kv/k${(w + i) % 5}`]);
      rows.push({
        topology: name,
        'writes/s': writes.opsPerSec,
        'write p50 ms': +writes.p50.toFixed(1),
        'write p99 ms': +writes.p99.toFixed(1),
        'reads/s': reads.opsPerSec,
        'read p50 ms': +reads.p50.toFixed(1),
        'read p99 ms': +reads.p99.toFixed(1),
        errors: writes.errors + reads.errors,
      });
    } finally {
      c.down();
    }
  }
  console.table(rows);

  const failover: Record<string, unknown>[] = [];
  for (const replication of ['sync', 'async']) {
    for (let round = 0; round < 3; round++) {
      const c = await startCluster(['--replication', replication]);
      try {
        const old = await leaderIndex(c);
        c.kill(old);
        const t0 = performance.now();
        let next = -1;
        await until(async () => {
          for (const [i, port] of c.ports.entries()) {
            if (i === old) continue;
            const s = await http(port, 'GET', '/admin/status').catch(() => undefined);
            if (s?.body.role === 'leader') {
              next = i;
              return true;
            }
          }
          return false;
        });
        const elected = performance.now() - t0;
        // sync cannot commit with a node down: only async gets a write through before the old leader returns.
        const writable =
          replication === 'async'
            ? await until(async () => (await http(c.ports[next]!, 'PUT', '/kv/x', { value: 1 })).status === 200).then(
                () => performance.now() - t0,
              )
            : Number.NaN;
        failover.push({
          replication,
          round,
          'new leader after ms': Math.round(elected),
          'first write ok after ms': Number.isNaN(writable) ? '-' : Math.round(writable),
        });
      } finally {
        c.down();
      }
    }
  }
  console.log('\nfailover after SIGKILL of the leader (election timeout 300-600 ms, heartbeat 75 ms)');
  console.table(failover);
  await agent.close();
};

await main();
