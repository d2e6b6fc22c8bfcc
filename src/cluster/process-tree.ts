import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { sleep } from '../base/time.ts';

/**
 * A node's processes are a tree, not always one process group: the local
 * backend starts each launch in a group of its own, but a server may move
 * its children elsewhere — every PostgreSQL backend, walsender and
 * checkpointer calls setsid(), so a signal to the postmaster's group reaches
 * the postmaster alone. Freezing or killing a node must reach every
 * process it spawned, so these walk the parent links in /proc instead.
 * Synchronous on purpose: the controller's last-resort exit handler uses it.
 */

/** Parent pid and state letter of a process, or undefined when it is gone. */
const statOf = (pid: number): { ppid: number; state: string } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
};

/** Every descendant of `root` (children, their children, ...), not `root` itself. Empty off Linux. */
export const descendantsOf = (root: number): number[] => {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = statOf(pid);
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
};

const send = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
};

/**
 * Sends SIGSTOP, SIGCONT or SIGKILL to `root`'s process group and to every
 * descendant, and returns the descendants it found. The root is stopped
 * first so that it cannot fork while its tree is read; on SIGCONT the
 * children resume before the root, so the root never sees them frozen.
 */
export const signalTree = (root: number, signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): number[] => {
  const group = (sig: NodeJS.Signals) => {
    try {
      process.kill(-root, sig);
    } catch {
      send(root, sig); // not a group leader
    }
  };
  if (signal !== 'SIGCONT') group('SIGSTOP');
  const tree = descendantsOf(root);
  for (const pid of tree) send(pid, signal === 'SIGCONT' ? 'SIGCONT' : 'SIGSTOP');
  if (signal === 'SIGKILL') {
    for (const pid of tree) send(pid, 'SIGKILL');
    group('SIGKILL');
  }
  if (signal === 'SIGCONT') group('SIGCONT');
  return tree;
};

/** Whether a pid is still a live process (a zombie is dead: it holds no resources but its pid). */
export const isLive = (pid: number): boolean => {
  const s = statOf(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
};

/**
 * Waits until every pid is gone, up to `timeoutMs`: a server restarted
 * while its killed children still hold its shared memory refuses to start
 * (PostgreSQL: "pre-existing shared memory block is still in use").
 */
export const waitGone = async (pids: readonly number[], timeoutMs = 5000): Promise<boolean> => {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!pids.some(isLive)) return true;
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
};

/**
 * Waits until every pid is stopped (or gone), up to `timeoutMs`: SIGSTOP
 * is delivered when a process is next scheduled, so a running one still
 * shows R for a moment — and a pause must be in effect when it returns.
 */
export const waitStopped = async (pids: readonly number[], timeoutMs = 2000): Promise<boolean> => {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (
      pids.every((pid) => {
        const s = statOf(pid);
        return !s || s.state === 'T' || s.state === 't' || s.state === 'Z';
      })
    )
      return true;
    if (performance.now() > deadline) return false;
    await sleep(2);
  }
};

/**
 * SysV shared memory segments created by any of `pids`, by id. A killed
 * server cannot remove its own (PostgreSQL keeps a small one as an
 * interlock), and one whose data dir is gone is never reused: the backend
 * removes them after a kill, cleanup after the processes it kills.
 */
export const sysvSegmentsOf = (pids: readonly number[]): { id: number; key: string; cpid: number }[] => {
  let table: string;
  try {
    table = readFileSync('/proc/sysvipc/shm', 'utf8');
  } catch {
    return []; // not Linux
  }
  const wanted = new Set(pids);
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 5 && wanted.has(Number(f[4])))
    .map((f) => ({ key: f[0]!, id: Number(f[1]), cpid: Number(f[4]) }));
};

/** The same, synchronously: for an exit handler, where nothing asynchronous runs any more. */
export const removeSysvSegmentsSync = (ids: readonly number[]): void => {
  if (ids.length > 0)
    spawnSync(
      'ipcrm',
      ids.flatMap((id) => ['-m', String(id)]),
      { stdio: 'ignore', timeout: 2000 },
    );
};

/** Marks segments for removal (`ipcrm`): each goes once no process is attached. Best effort. */
export const removeSysvSegments = async (ids: readonly number[]): Promise<void> => {
  if (ids.length === 0) return;
  await new Promise<void>((resolve) => {
    const child = spawn(
      'ipcrm',
      ids.flatMap((id) => ['-m', String(id)]),
      { stdio: 'ignore' },
    );
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
};

/** Inodes of the TCP sockets (v4 and v6) listening on `port`. */
const listeningInodes = (port: number): Set<string> => {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is "<ip hex>:<port hex>"; state 0A is LISTEN; the inode is the 10th field.
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  return inodes;
};

/** Whether any of `pids` holds one of these socket inodes. */
const holdsSocket = (pids: readonly number[], inodes: ReadonlySet<string>): boolean =>
  pids.some((pid) => {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      return false;
    }
    return fds.some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m !== null && inodes.has(m[1]!);
      } catch {
        return false;
      }
    });
  });

/**
 * Whether a process other than `pids` (a node's tree) listens on `port`:
 * a port allocated for a node was taken by someone else between its
 * allocation and the node's bind (another run, another program), so the
 * node's readiness check may have been answered by a stranger. False when
 * nobody listens on it, or /proc cannot tell.
 */
export const portHeldByOthers = (port: number, pids: readonly number[]): boolean => {
  const inodes = listeningInodes(port);
  return inodes.size > 0 && !holdsSocket(pids, inodes);
};
