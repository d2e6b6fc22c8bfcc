import { readFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sleep } from '../base/time.ts';
import { removeFaketimeLeftovers } from './faketime.ts';
import {
  CONTROLLER_ENV,
  isControllerAlive,
  isRunToken,
  MARKER_FILE,
  RUN_ID_ENV,
  RUN_TOKEN_ENV,
  startTimeOf,
  TEMP_PREFIX,
} from './markers.ts';
import { descendantsOf, removeSysvSegments, sysvSegmentsOf } from './process-tree.ts';

/**
 * Leftovers: what a run left behind after its controller died, as one list
 * across backends. Each backend finds and removes its own kinds (local:
 * processes; docker: containers, networks); temp dirs are every run's.
 */
export interface Leftover {
  /** "process", "temp dir", "container", "network", ... */
  kind: string;
  /** What the backend's `remove` needs: a pid, a path, a container id. */
  id: string;
  runId: string;
  /** For the user to recognise it: a command line, a path, a container name. */
  description: string;
  /** The controller that made it is still running: the run is live. */
  controllerAlive: boolean;
}

/**
 * What cleanup may remove: without a run id, only orphans of dead
 * controllers; with one, everything of that run — and a live run's only
 * when forced (its controller would lose its nodes and their logs). Pure:
 * `--dry-run` and the real cleanup select with it alike.
 */
export const selectRemovable = (found: readonly Leftover[], runId: string | undefined, force = false): Leftover[] =>
  found.filter((l) => (runId === undefined ? !l.controllerAlive : l.runId === runId && (force || !l.controllerAlive)));

const readEnvVar = (environ: string, name: string): string | undefined => {
  for (const entry of environ.split('\0')) {
    if (entry.startsWith(`${name}=`)) return entry.slice(name.length + 1);
  }
  return undefined;
};

/** Processes that prove they are nodes of a faultline run (run id and its token in their environment). */
export const findProcesses = async (runId: string | undefined): Promise<Leftover[]> => {
  const found: Leftover[] = [];
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
    // FAULTLINE_RUN_ID alone proves nothing: anyone can set it.
    if (!isRunToken(id, readEnvVar(environ, RUN_TOKEN_ENV))) continue;
    if ((await startTimeOf(pid)) === undefined) continue; // exited meanwhile, or a zombie
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8')
      .then((s) => s.split('\0').filter(Boolean).join(' '))
      .catch(() => '?');
    const controllerAlive = await isControllerAlive(readEnvVar(environ, CONTROLLER_ENV));
    found.push({ kind: 'process', id: String(pid), runId: id, description: `${pid} ${command}`, controllerAlive });
  }
  const processes = [...found, ...descendantsAmong(found)];
  return [...processes, ...segmentsOf(processes)];
};

/** SysV shared memory the run's processes created (PostgreSQL's interlock segment): gone with them only if removed. */
const segmentsOf = (processes: readonly Leftover[]): Leftover[] => {
  const byPid = new Map(processes.map((p) => [Number(p.id), p]));
  return sysvSegmentsOf([...byPid.keys()]).map((s) => ({
    ...byPid.get(s.cpid)!,
    kind: 'shared memory',
    id: String(s.id),
    description: `SysV shared memory ${s.id} (key ${s.key}) of process ${s.cpid}`,
  }));
};

/**
 * The children of proven processes are the run's too, though they may not
 * show its markers: a PostgreSQL backend overwrites its environment with
 * its process title, so /proc/<pid>/environ of every postmaster child is
 * blank. The parent's proof covers them (only while it lives: an orphan
 * is reparented and dies with its server anyway).
 */
const descendantsAmong = (found: readonly Leftover[]): Leftover[] => {
  const seen = new Set(found.map((l) => l.id));
  const out: Leftover[] = [];
  for (const parent of found) {
    for (const pid of descendantsOf(Number(parent.id))) {
      if (seen.has(String(pid))) continue;
      seen.add(String(pid));
      let command = '?';
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || command;
      } catch {
        continue; // gone meanwhile
      }
      out.push({ ...parent, id: String(pid), description: `${pid} ${command} (child of ${parent.id})` });
    }
  }
  return out;
};

/**
 * Kills leftover processes (SIGCONT, then SIGKILL: SIGKILL takes down a
 * stopped process too; the SIGCONT makes sure nothing stays frozen if the
 * kill is refused) and waits briefly until the kernel has taken them down;
 * then removes the SysV shared memory they created.
 */
export const removeProcesses = async (items: readonly Leftover[]): Promise<void> => {
  const pids = items.filter((l) => l.kind === 'process').map((l) => Number(l.id));
  for (const pid of pids) {
    for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  }
  const deadline = Date.now() + 5000;
  for (const pid of pids) {
    while ((await startTimeOf(pid)) !== undefined && Date.now() < deadline) await sleep(10);
  }
  removeFaketimeLeftovers(pids);
  // Their shared memory last: removed while a process is attached, it would only go when that one ends.
  await removeSysvSegments(items.filter((l) => l.kind === 'shared memory').map((l) => Number(l.id)));
};

/** Temp dirs made by makeRunTempDir (their marker holds the run's token). */
export const findTempDirs = async (runId: string | undefined): Promise<Leftover[]> => {
  const tmp = os.tmpdir();
  const found: Leftover[] = [];
  const entries = await readdir(tmp).catch(() => [] as string[]);
  for (const name of entries) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const dir = path.join(tmp, name);
    let marker: { runId?: unknown; controller?: unknown; token?: unknown };
    try {
      marker = JSON.parse(await readFile(path.join(dir, MARKER_FILE), 'utf8'));
    } catch {
      continue; // not made by makeRunTempDir: not ours to remove
    }
    if (typeof marker.runId !== 'string' || (runId !== undefined && marker.runId !== runId)) continue;
    if (!isRunToken(marker.runId, typeof marker.token === 'string' ? marker.token : undefined)) continue;
    const controller = typeof marker.controller === 'string' ? marker.controller : undefined;
    found.push({
      kind: 'temp dir',
      id: dir,
      runId: marker.runId,
      description: dir,
      controllerAlive: await isControllerAlive(controller),
    });
  }
  return found;
};

export const removeTempDirs = async (items: readonly Leftover[]): Promise<void> => {
  for (const d of items.filter((l) => l.kind === 'temp dir')) await rm(d.id, { recursive: true, force: true });
};
