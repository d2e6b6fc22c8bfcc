import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configError } from '../base/errors.ts';
import { sleep } from '../base/time.ts';

/**
 * Finding and removing what a run left behind after its controller died
 * without tearing down (SIGKILL, OOM, a power cut). Everything a run starts
 * carries its id:
 *
 * - node processes get `FAULTLINE_RUN_ID=<runId>` in their environment, and
 *   `FAULTLINE_CONTROLLER=<pid>:<start time>` naming the controller process;
 * - temp dirs are `<os.tmpdir()>/faultline-<runId>-<label>-XXXXXX` and hold a
 *   marker file with the same two facts.
 *
 * Without a run id only orphans are touched: things whose controller is no
 * longer alive, so `faultline cleanup` never breaks a run that is still
 * going. With a run id, everything of that run is removed (the user asked).
 * Data dirs that a run put under a user-given work dir are not temp dirs and
 * are left alone.
 */

export const RUN_ID_ENV = 'FAULTLINE_RUN_ID';
export const CONTROLLER_ENV = 'FAULTLINE_CONTROLLER';
const MARKER = '.faultline-run.json';
const PREFIX = 'faultline-';

export interface LeftoverProcess {
  pid: number;
  runId: string;
  /** The command line, for the user to recognise it. */
  command: string;
  /** Whether the controller that started it is still running. */
  controllerAlive: boolean;
}

export interface LeftoverDir {
  path: string;
  runId: string;
  controllerAlive: boolean;
}

export interface Leftovers {
  processes: LeftoverProcess[];
  dirs: LeftoverDir[];
}

/** Run ids end up in paths and env vars: keep them to safe characters. */
export const validateRunId = (runId: string): void => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId)) {
    throw configError(`run id "${runId}" must be 1-128 characters of letters, digits, ".", "_" or "-"`);
  }
};

/** A process's start time (clock ticks since boot), so a reused pid is not mistaken for it. */
const startTimeOf = async (pid: number): Promise<string | undefined> => {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined; // a zombie is dead
    return fields[19];
  } catch {
    return undefined;
  }
};

let selfMarker: string | undefined;
/** "<pid>:<start time>" of this process, as recorded in node env and temp dir markers. */
export const controllerMarker = async (): Promise<string> => {
  selfMarker ??= `${process.pid}:${(await startTimeOf(process.pid)) ?? '?'}`;
  return selfMarker;
};

const isControllerAlive = async (marker: string | undefined): Promise<boolean> => {
  if (!marker) return false;
  const [pid, start] = marker.split(':');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  const now = await startTimeOf(n);
  return now !== undefined && (start === '?' || now === start);
};

/** The environment a node process gets so that leftovers can be found later. */
export const runMarkerEnv = async (runId: string): Promise<Record<string, string>> => ({
  [RUN_ID_ENV]: runId,
  [CONTROLLER_ENV]: await controllerMarker(),
});

/** Creates `<tmpdir>/faultline-<runId>-<label>-XXXXXX` with a marker that `cleanupLeftovers` recognises. */
export const makeRunTempDir = async (runId: string, label: string): Promise<string> => {
  validateRunId(runId);
  const safeLabel = label.replace(/[^A-Za-z0-9._-]/g, '_') || 'tmp';
  const dir = await mkdtemp(path.join(os.tmpdir(), `${PREFIX}${runId}-${safeLabel}-`));
  const marker = { runId, controller: await controllerMarker(), createdAt: new Date().toISOString() };
  await writeFile(path.join(dir, MARKER), `${JSON.stringify(marker)}\n`);
  return dir;
};

const readEnvVar = (environ: string, name: string): string | undefined => {
  for (const entry of environ.split('\0')) {
    if (entry.startsWith(`${name}=`)) return entry.slice(name.length + 1);
  }
  return undefined;
};

const findProcesses = async (runId: string | undefined): Promise<LeftoverProcess[]> => {
  const found: LeftoverProcess[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return found; // not Linux: nothing we can scan
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let environ: string;
    try {
      environ = await readFile(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // gone, or not ours to read
    }
    const id = readEnvVar(environ, RUN_ID_ENV);
    if (id === undefined || (runId !== undefined && id !== runId)) continue;
    if ((await startTimeOf(pid)) === undefined) continue; // exited meanwhile, or a zombie
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8')
      .then((s) => s.split('\0').filter(Boolean).join(' '))
      .catch(() => '?');
    const controllerAlive = await isControllerAlive(readEnvVar(environ, CONTROLLER_ENV));
    found.push({ pid, runId: id, command, controllerAlive });
  }
  return found;
};

const findDirs = async (runId: string | undefined): Promise<LeftoverDir[]> => {
  const tmp = os.tmpdir();
  const found: LeftoverDir[] = [];
  const entries = await readdir(tmp).catch(() => [] as string[]);
  for (const name of entries) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(tmp, name);
    let marker: { runId?: unknown; controller?: unknown };
    try {
      marker = JSON.parse(await readFile(path.join(dir, MARKER), 'utf8'));
    } catch {
      continue; // not made by makeRunTempDir: not ours to remove
    }
    if (typeof marker.runId !== 'string' || (runId !== undefined && marker.runId !== runId)) continue;
    const controller = typeof marker.controller === 'string' ? marker.controller : undefined;
    found.push({ path: dir, runId: marker.runId, controllerAlive: await isControllerAlive(controller) });
  }
  return found;
};

/** What a run (or, without a run id, every run) left: node processes and temp dirs. Only reads. */
export const findLeftovers = async (runId?: string): Promise<Leftovers> => {
  if (runId !== undefined) validateRunId(runId);
  const [processes, dirs] = await Promise.all([findProcesses(runId), findDirs(runId)]);
  return { processes, dirs };
};

/** What cleanup may remove: everything of a named run, or else only orphans of dead controllers. Pure. */
export const selectRemovable = (found: Leftovers, runId: string | undefined): Leftovers =>
  runId !== undefined
    ? found
    : {
        processes: found.processes.filter((p) => !p.controllerAlive),
        dirs: found.dirs.filter((d) => !d.controllerAlive),
      };

const isGone = async (pid: number): Promise<boolean> => (await startTimeOf(pid)) === undefined;

/**
 * Kills leftover node processes (SIGCONT, then SIGKILL: SIGKILL takes down a
 * stopped process too, the SIGCONT only makes sure nothing is left frozen if
 * the kill is refused) and removes leftover temp dirs. Without a run id, only orphans whose
 * controller is dead. Returns what it removed.
 */
export const cleanupLeftovers = async (runId?: string): Promise<Leftovers> => {
  const { processes, dirs } = selectRemovable(await findLeftovers(runId), runId);
  for (const p of processes) {
    for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(p.pid, sig);
      } catch {
        // already gone
      }
    }
  }
  // Wait (briefly) until the kernel has taken them down, so the caller can trust the result.
  const deadline = Date.now() + 5000;
  for (const p of processes) {
    while (!(await isGone(p.pid)) && Date.now() < deadline) await sleep(10);
  }
  const removed: LeftoverDir[] = [];
  for (const d of dirs) {
    await rm(d.path, { recursive: true, force: true });
    removed.push(d);
  }
  return { processes, dirs: removed };
};
