/**
 * Test harness: real replica processes on 127.0.0.1, peers pointing straight
 * at each other's ports (no proxy). Every cluster registers its own cleanup
 * with onTestFinished: processes killed, data dirs removed.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { onTestFinished } from 'vitest';
import { packagePath, tsNodeArgs } from '../../src/base/ts-node.ts';
import type { Grudge } from '../../src/net/links.ts';
import type { LinkMesh } from '../../src/net/mesh.ts';
import { createLinkMesh } from '../../src/net/mesh.ts';

const MAIN = packagePath('src/replica/main.ts');

/**
 * Ports below the kernel's ephemeral range (32768–60999 here), picked at
 * random and checked free: a port the kernel handed out (port 0) and we let
 * go can be taken again at once by an outgoing connection or another test
 * file's cluster before the node binds it.
 */
export const freePorts = async (n: number): Promise<number[]> => {
  const servers: ReturnType<typeof createServer>[] = [];
  while (servers.length < n) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const s = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) servers.push(s);
  }
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
};

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export interface TestNode {
  id: string;
  port: number;
  dataDir: string;
  proc: ChildProcess | undefined;
  /** Everything the node printed, across restarts. */
  output: string;
}

export interface TestCluster {
  nodes: TestNode[];
  node(id: string): TestNode;
  start(id: string): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill(id: string): Promise<void>;
  signal(id: string, sig: NodeJS.Signals): void;
  http(id: string, method: string, path: string, body?: unknown, timeoutMs?: number): Promise<Reply>;
  status(id: string): Promise<Record<string, unknown> | undefined>;
  /**
   * Waits until exactly one running node (not excluded) claims leadership, in a term >= minTerm,
   * and (unless `serving: false`) answers a read.
   */
  waitForLeader(options?: {
    exclude?: string[];
    timeoutMs?: number;
    minTerm?: number;
    serving?: boolean;
  }): Promise<string>;
  /** Repeats `check` until it returns a value other than undefined. */
  eventually<T>(check: () => Promise<T | undefined>, timeoutMs?: number, what?: string): Promise<T>;
  /** With `links: true`: blackhole traffic as a grudge says (receiver → senders it drops). */
  partition(grudge: Grudge): void;
  /** Cut `id` off from every other node, both ways. */
  isolate(id: string): void;
  heal(): void;
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  /** Route node-to-node traffic through faultline's link proxies (src/net/mesh.ts), so links can be cut. */
  links?: boolean;
}

export const startCluster = async (
  size: number,
  flags: readonly string[] = [],
  options: ClusterOptions = {},
): Promise<TestCluster> => {
  const ports = await freePorts(size);
  const root = await mkdtemp(join(tmpdir(), 'replica-test-'));
  const ids = ports.map((_, i) => `n${i + 1}`);
  let mesh: LinkMesh | undefined;
  const cleanup: (() => Promise<void>)[] = [() => rm(root, { recursive: true, force: true })];
  onTestFinished(async () => {
    for (const f of cleanup) await f();
  });
  if (options.links) {
    const m = await createLinkMesh({ nodes: ids });
    mesh = m;
    cleanup.unshift(() => m.close());
    for (const [i, id] of ids.entries()) m.setTarget(id, { host: '127.0.0.1', port: ports[i]! });
  }
  const nodes: TestNode[] = ports.map((port, i) => ({
    id: `n${i + 1}`,
    port,
    dataDir: join(root, `n${i + 1}`),
    proc: undefined,
    output: '',
  }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const node = (id: string) => {
    const n = byId.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  };

  const exited = (n: TestNode) =>
    new Promise<void>((resolve) => {
      const p = n.proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
      p.once('exit', () => resolve());
    });

  const cluster: TestCluster = {
    nodes,
    node,
    async start(id) {
      const n = node(id);
      const peers = mesh
        ? Object.entries(mesh.peersOf(id))
            .map(([p, addr]) => `${p}=${addr}`)
            .join(',')
        : nodes
            .filter((p) => p.id !== id)
            .map((p) => `${p.id}=127.0.0.1:${p.port}`)
            .join(',');
      const args = [
        ...tsNodeArgs(MAIN),
        '--id',
        id,
        '--port',
        String(n.port),
        '--data-dir',
        n.dataDir,
        '--peers',
        peers,
        ...flags,
      ];
      const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      n.proc = proc;
      proc.stdout?.on('data', (d: Buffer) => {
        n.output += d.toString();
      });
      proc.stderr?.on('data', (d: Buffer) => {
        n.output += d.toString();
      });
      await cluster.eventually(() => cluster.status(id), 15_000, `${id} to answer /admin/status`);
    },
    async kill(id) {
      const n = node(id);
      n.proc?.kill('SIGKILL');
      await exited(n);
      n.proc = undefined;
    },
    signal(id, sig) {
      node(id).proc?.kill(sig);
    },
    async http(id, method, path, body, timeoutMs = 3000) {
      const res = await request(`http://127.0.0.1:${node(id).port}${path}`, {
        method: method as 'GET',
        signal: AbortSignal.timeout(timeoutMs),
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    },
    async status(id) {
      try {
        const r = await cluster.http(id, 'GET', '/admin/status', undefined, 500);
        return r.status === 200 ? r.body : undefined;
      } catch {
        return undefined;
      }
    },
    async waitForLeader({ exclude = [], timeoutMs = 10_000, minTerm = 0, serving = true } = {}) {
      return cluster.eventually(
        async () => {
          const running = nodes.filter((n) => n.proc && !exclude.includes(n.id));
          const statuses = await Promise.all(running.map((n) => cluster.status(n.id)));
          const leaders = statuses.filter((s) => s?.role === 'leader' && (s.term as number) >= minTerm);
          if (leaders.length !== 1) return undefined;
          const id = leaders[0]!.id as string;
          if (!serving) return id;
          // A leader that has committed an entry of its term answers a read.
          const probe = await cluster.http(id, 'GET', '/kv/-leader-probe', undefined, 2000);
          return probe.status === 200 ? id : undefined;
        },
        timeoutMs,
        'a leader',
      );
    },
    async eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await check().catch(() => undefined);
        if (v !== undefined) return v;
        if (Date.now() > deadline) {
          const logs = nodes.map((n) => `--- ${n.id}\n${n.output.split('\n').slice(-15).join('\n')}`).join('\n');
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    partition(grudge) {
      if (!mesh) throw new Error('startCluster(..., { links: true }) to cut links');
      mesh.partition(grudge);
    },
    isolate(id) {
      const others = ids.filter((o) => o !== id);
      cluster.partition({ [id]: others, ...Object.fromEntries(others.map((o) => [o, [id]])) });
    },
    heal() {
      mesh?.heal();
    },
    async destroy() {
      for (const n of nodes) n.proc?.kill('SIGKILL'); // SIGKILL also ends a SIGSTOPped process
      await Promise.all(nodes.map(exited));
    },
  };
  // Registered after the mesh and dir cleanup, so it runs first: processes, then proxies, then the dir.
  onTestFinished(() => cluster.destroy());
  await Promise.all(nodes.map((n) => cluster.start(n.id)));
  return cluster;
};

/** Fast elections for tests. */
export const FAST = ['--election-timeout-min-ms', '300', '--election-timeout-max-ms', '600', '--heartbeat-ms', '50'];
