import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { chown, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { configError } from '../base/errors.ts';
import type { NodeLaunch } from '../systems/system.ts';
import { removeFaketimeLeftovers } from './faketime.ts';
import { withGroup } from './local-firewall.ts';
import { commandLine, logLine } from './node-start.ts';
import { signalTree } from './process-tree.ts';

/**
 * One OS process of a local node: spawned in its own process group
 * (detached), so a Ctrl-C on the terminal reaches the controller only;
 * stop, continue and kill reach every process it spawned, also those that
 * left its group (process-tree.ts: PostgreSQL's backends each call
 * setsid); stdout and stderr appended to the node's log.
 */
export interface LocalProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly commandLine: string;
  /** What a graceful stop sends (the launch's `stopSignal`, SIGTERM by default). */
  readonly stopSignal: NodeJS.Signals;
  /** Resolves with how it ended ("exited with code 1", "was terminated by SIGKILL"). */
  readonly exited: Promise<string>;
  readonly running: boolean;
  /**
   * Signal the whole process group; SIGSTOP, SIGCONT and SIGKILL also reach
   * every descendant. Returns the descendants signalled (empty for others).
   */
  signal(signal: NodeJS.Signals): readonly number[];
}

export interface SpawnOptions {
  /** Names the process in the log: the node id, or "n1/sentinel" for a node of several processes. */
  label: string;
  logPath: string;
  /** Added to the environment (the run markers, the node id, libfaketime). */
  env: Readonly<Record<string, string>>;
  cwd?: string;
  /**
   * A supplementary group for the process (and so everything it spawns),
   * which firewall rules match to tell this node's connections apart
   * (local-firewall.ts). Root only: the process is started through setpriv.
   */
  group?: number;
}

/** uid and gid of a user from /etc/passwd; FL_ERR_CONFIG naming the user when it does not exist. */
export const lookupUser = (name: string): { uid: number; gid: number } => {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === name);
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw configError(`user ${JSON.stringify(name)} does not exist on this machine`, {
      hint: `create it (useradd --system ${name}) or run faultline as an unprivileged user`,
    });
  }
  return { uid: Number(uid), gid: Number(gid) };
};

const isRoot = (): boolean => process.getuid?.() === 0;

/** The uid/gid to run a launch as: its `user` when we are root, else ourselves. */
export const identityFor = (launch: Pick<NodeLaunch, 'user'>): { uid: number; gid: number } | undefined =>
  launch.user && isRoot() ? lookupUser(launch.user) : undefined;

/** Hands a directory tree to a user (a node's data dir, before an unprivileged process uses it). */
export const chownTree = async (dir: string, id: { uid: number; gid: number }): Promise<void> => {
  await chown(dir, id.uid, id.gid);
  for (const entry of await readdir(dir)) {
    const p = path.join(dir, entry);
    if ((await stat(p)).isDirectory()) await chownTree(p, id);
    else await chown(p, id.uid, id.gid);
  }
};

export const spawnLocal = (launch: NodeLaunch, options: SpawnOptions): LocalProcess => {
  const line = commandLine(launch.command, launch.args);
  const id = identityFor(launch);
  const fd = openSync(options.logPath, 'a');
  let child: ChildProcess;
  try {
    writeSync(fd, `--- faultline: starting ${options.label} at ${new Date().toISOString()}: ${line}\n`);
    // With a group, setpriv (run as root) sets it and switches to the user itself.
    const argv =
      options.group === undefined
        ? { command: launch.command, args: [...launch.args] }
        : withGroup(options.group, id, launch.command, launch.args);
    child = spawn(argv.command, argv.args, {
      env: { ...process.env, ...launch.env, ...options.env },
      stdio: ['ignore', fd, fd],
      detached: true,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(id && options.group === undefined ? { uid: id.uid, gid: id.gid } : {}),
    });
  } finally {
    closeSync(fd); // the child has its own copy
  }
  let running = true;
  const exited = new Promise<string>((resolve) => {
    const finish = (description: string) => {
      if (!running) return;
      running = false;
      logLine(options.logPath, `${options.label} ${description}`);
      resolve(description);
    };
    child.once('error', (e) => finish(`could not be spawned: ${e.message}`));
    child.once('exit', (code, sig) => {
      // Reaped by now: what libfaketime leaves behind a killed process can go.
      if (child.pid) removeFaketimeLeftovers([child.pid]);
      finish(sig ? `was terminated by ${sig}` : `exited with code ${code}`);
    });
  });
  return {
    name: launch.name,
    pid: child.pid,
    commandLine: line,
    stopSignal: launch.stopSignal ?? 'SIGTERM',
    exited,
    get running() {
      return running;
    },
    signal(sig) {
      if (!running || !child.pid) return [];
      if (sig === 'SIGSTOP' || sig === 'SIGCONT' || sig === 'SIGKILL') return signalTree(child.pid, sig);
      try {
        process.kill(-child.pid, sig); // the whole process group
      } catch {
        try {
          child.kill(sig);
        } catch {
          // already gone
        }
      }
      return [];
    },
  };
};

/** Runs a setup step to completion; resolves with how it ended, "exited with code 0" when it succeeded. */
export const runLocalStep = async (
  launch: NodeLaunch,
  options: SpawnOptions & { signal: AbortSignal },
): Promise<string> => {
  const proc = spawnLocal(launch, options);
  const onAbort = () => proc.signal('SIGKILL');
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await proc.exited;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
  }
};
