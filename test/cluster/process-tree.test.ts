import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import {
  descendantsOf,
  isLive,
  portHeldByOthers,
  signalTree,
  waitGone,
  waitStopped,
} from '../../src/cluster/process-tree.ts';
import { addressOf, expectFaultline, procState, upToyCluster } from './helpers.ts';

/** A shell whose child leaves its process group (setsid), as every PostgreSQL backend does. */
const treeWithEscapee = async () => {
  const root = spawn('sh', ['-c', 'setsid sleep 300 & wait'], { detached: true, stdio: 'ignore' });
  onTestFinished(() => {
    for (const pid of [...descendantsOf(root.pid!), root.pid!]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
  let children: number[] = [];
  // Until the child has become `sleep`: before that exec, setsid may not have moved it out of the group yet.
  const escaped = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
  for (let i = 0; i < 250 && !(children.length === 1 && escaped(children[0]!)); i++) {
    children = descendantsOf(root.pid!);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { root: root.pid!, children };
};

const listen = async (server: net.Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())).catch(() => {}));
  return (server.address() as net.AddressInfo).port;
};

describe('process trees', () => {
  test('stop, continue and kill reach a child that left the process group', async () => {
    const { root, children } = await treeWithEscapee();
    expect(children).toHaveLength(1);
    // A signal to the group alone would miss it:
    expect(readGroup(children[0]!)).not.toBe(String(root));

    expect(signalTree(root, 'SIGSTOP')).toEqual(children);
    expect(await waitStopped([root, ...children])).toBe(true);
    expect([root, ...children].map(procState)).toEqual(['T', 'T']);
    signalTree(root, 'SIGCONT');
    expect(procState(children[0]!)).not.toBe('T');
    signalTree(root, 'SIGKILL');
    expect(await waitGone(children)).toBe(true);
    expect(isLive(children[0]!)).toBe(false);
  });

  test('a port is held by others only when someone outside the tree listens on it', async () => {
    const server = net.createServer();
    const port = await listen(server);
    expect(portHeldByOthers(port, [process.pid])).toBe(false); // we listen: ours
    expect(portHeldByOthers(port, [process.ppid])).toBe(true); // for that tree, a stranger's
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(portHeldByOthers(port, [])).toBe(false); // nobody listens
  });
});

const readGroup = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]!;
};

describe('the local backend and a stolen port', () => {
  test('a node restarted while a stranger answers on its port does not count as started', async () => {
    const { backend } = await upToyCluster({ backend: { startAttempts: 2 } });
    const port = addressOf(backend, 'n1').port;
    await backend.kill('n1');
    // Another program takes the port and answers the readiness check as the node would.
    const stranger = http.createServer((_, res) => res.end('pong'));
    await new Promise<void>((resolve) => stranger.listen({ host: '127.0.0.1', port }, resolve));
    onTestFinished(() => new Promise<void>((resolve) => stranger.close(() => resolve())));
    const error = await expectFaultline(backend.start('n1', AbortSignal.timeout(30_000)), 'FL_ERR_NODE_START');
    expect(error.message).toContain(`port ${port} answered, but another process listens on it, not this node`);
    expect(backend.isRunning('n1')).toBe(false);
  }, 60_000);
});
