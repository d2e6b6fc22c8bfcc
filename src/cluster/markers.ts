import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configError } from '../base/errors.ts';

/**
 * Run markers: how everything a run creates can be found and *proven* to be
 * faultline's after its controller died without tearing down (SIGKILL, OOM,
 * a power cut).
 *
 * - node processes get `FAULTLINE_RUN_ID=<runId>`, `FAULTLINE_CONTROLLER=<pid>:<start time>`
 *   (the controller process) and `FAULTLINE_RUN_TOKEN`, an HMAC of the run id
 *   under a secret that only this machine's faultline knows
 *   (`~/.cache/faultline/run-secret`, mode 0600). Anyone can set
 *   FAULTLINE_RUN_ID on a process; nobody but faultline computes the token,
 *   so `faultline cleanup` kills only processes that carry both;
 * - temp dirs are `<os.tmpdir()>/faultline-<runId>-<label>-XXXXXX` holding a
 *   marker file with the run id, the controller and the same token;
 * - containers and networks carry the run id, the token and the controller
 *   in their labels (runLabels, src/cluster/docker); firewall chains in the
 *   comment of the rule that jumps to them (markerComment,
 *   src/cluster/local-firewall.ts).
 */

export const RUN_ID_ENV = 'FAULTLINE_RUN_ID';
export const CONTROLLER_ENV = 'FAULTLINE_CONTROLLER';
export const RUN_TOKEN_ENV = 'FAULTLINE_RUN_TOKEN';
export const MARKER_FILE = '.faultline-run.json';
export const TEMP_PREFIX = 'faultline-';

/** Run ids end up in paths, env vars, labels and chain names: keep them to safe characters. */
export const validateRunId = (runId: string): void => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId)) {
    throw configError(`run id "${runId}" must be 1-128 characters of letters, digits, ".", "_" or "-"`);
  }
};

let secret: Buffer | undefined;
/** This machine's (this user's) faultline secret, made on first use. */
const runSecret = (): Buffer => {
  if (secret) return secret;
  const dir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'faultline');
  const file = path.join(dir, 'run-secret');
  try {
    secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (secret.length >= 16) return secret;
  } catch {
    // not made yet
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fresh = randomBytes(32);
  writeFileSync(file, `${fresh.toString('hex')}\n`, { mode: 0o600 });
  secret = fresh;
  return secret;
};

/** The proof that something with this run id was made by faultline on this machine. */
export const runToken = (runId: string): string =>
  createHmac('sha256', runSecret()).update(runId).digest('hex').slice(0, 32);

export const isRunToken = (runId: string, token: string | undefined): boolean =>
  token !== undefined && token === runToken(runId);

/** A process's start time (clock ticks since boot), so a reused pid is not mistaken for it. */
export const startTimeOf = async (pid: number): Promise<string | undefined> => {
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
/** "<pid>:<start time>" of this process, as recorded in node env, temp dir markers and labels. */
export const controllerMarker = async (): Promise<string> => {
  selfMarker ??= `${process.pid}:${(await startTimeOf(process.pid)) ?? '?'}`;
  return selfMarker;
};

/** Whether the controller a marker names is still running (the same process, not a reused pid). */
export const isControllerAlive = async (marker: string | undefined): Promise<boolean> => {
  if (!marker) return false;
  const [pid, start] = marker.split(':');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  const now = await startTimeOf(n);
  return now !== undefined && (start === '?' || now === start);
};

/** The environment a node process gets so that it can be found, and proven ours, later. */
export const runMarkerEnv = async (runId: string): Promise<Record<string, string>> => ({
  [RUN_ID_ENV]: runId,
  [CONTROLLER_ENV]: await controllerMarker(),
  [RUN_TOKEN_ENV]: runToken(runId),
});

/** Creates `<tmpdir>/faultline-<runId>-<label>-XXXXXX` with a marker that cleanup recognises. */
export const makeRunTempDir = async (runId: string, label: string): Promise<string> => {
  validateRunId(runId);
  const safeLabel = label.replace(/[^A-Za-z0-9._-]/g, '_') || 'tmp';
  const dir = await mkdtemp(path.join(os.tmpdir(), `${TEMP_PREFIX}${runId}-${safeLabel}-`));
  const marker = {
    runId,
    controller: await controllerMarker(),
    token: runToken(runId),
    createdAt: new Date().toISOString(),
  };
  await writeFile(path.join(dir, MARKER_FILE), `${JSON.stringify(marker)}\n`);
  return dir;
};

/** Docker labels that mark a container or network as a run's (src/cluster/docker). */
export const LABEL_RUN = 'faultline.run';
export const LABEL_TOKEN = 'faultline.token';
export const LABEL_CONTROLLER = 'faultline.controller';

/** The labels everything a run creates in Docker carries: run id, its token, the controller. */
export const runLabels = async (runId: string): Promise<Record<string, string>> => ({
  [LABEL_RUN]: runId,
  [LABEL_TOKEN]: runToken(runId),
  [LABEL_CONTROLLER]: await controllerMarker(),
});

/** A run marker read back from labels or a rule comment; `undefined` unless its token proves it faultline's. */
export interface ProvenMarker {
  runId: string;
  controller: string | undefined;
}

/** Reads run markers from labels; undefined when they are missing or the token does not match. */
export const provenByLabels = (labels: Readonly<Record<string, string>> | undefined): ProvenMarker | undefined => {
  const runId = labels?.[LABEL_RUN];
  if (runId === undefined || !isRunToken(runId, labels?.[LABEL_TOKEN])) return undefined;
  return { runId, controller: labels?.[LABEL_CONTROLLER] };
};

/**
 * The comment on a run's firewall rules (iptables' comment match, at most
 * 256 characters): "faultline run=<id> token=<token> controller=<pid:start>".
 */
export const markerComment = async (runId: string): Promise<string> =>
  `faultline run=${runId} token=${runToken(runId)} controller=${await controllerMarker()}`;

/** Reads a rule comment back; undefined unless it is a faultline marker with a valid token. */
export const provenByComment = (comment: string): ProvenMarker | undefined => {
  const m = /^faultline run=(\S+) token=(\S+) controller=(\S+)$/.exec(comment.trim());
  if (!m || !isRunToken(m[1]!, m[2])) return undefined;
  return { runId: m[1]!, controller: m[3] };
};
