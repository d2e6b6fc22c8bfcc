import { randomBytes } from 'node:crypto';
import { accessSync, constants, rmSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configError } from './errors.ts';

/**
 * File writes that never leave a half-written result and never reuse what
 * is not ours: results are written to a temp file and renamed into place
 * (a second Ctrl-C mid-write leaves the old file or the new one, never a
 * 0-byte one), and a run folder is created exclusively.
 */

/**
 * Temp files being written now. A second Ctrl-C exits the process mid-write;
 * the exit hook removes them so no `.tmp` is left beside the results.
 */
const pending = new Set<string>();
let exitHooked = false;
const removePending = (): void => {
  for (const tmp of pending) rmSync(tmp, { force: true });
};

/** Writes `data` to `file` through a temp file in the same folder and a rename. */
export const writeFileAtomic = async (file: string, data: string | Uint8Array): Promise<void> => {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', removePending);
  }
  pending.add(tmp);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    pending.delete(tmp);
  }
};

/** Kernel pseudo-filesystems: writing reports there is always a mistake (and mkdir can spin there). */
const PSEUDO = ['/proc', '/sys', '/dev'];

/**
 * Checks, before anything starts, that `dir` is or can become a writable
 * directory: its nearest existing ancestor is a directory we may write to.
 * Creates nothing. FL_ERR_CONFIG naming the path and the reason.
 */
export const checkWritableDir = (dir: string, what: string): void => {
  const abs = path.resolve(dir);
  if (PSEUDO.some((p) => abs === p || abs.startsWith(`${p}/`))) {
    throw configError(`${what} ${abs} is inside ${abs.split('/').slice(0, 2).join('/')}, a kernel filesystem`, {
      hint: 'choose a folder on a normal filesystem',
    });
  }
  let probe = abs;
  for (;;) {
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(probe);
    } catch {
      st = undefined;
    }
    if (st) {
      if (!st.isDirectory()) throw configError(`${what} ${abs}: ${probe} is a file, not a folder`);
      try {
        accessSync(probe, constants.W_OK | constants.X_OK);
      } catch {
        throw configError(`${what} ${abs}: ${probe} is not writable`);
      }
      return;
    }
    const parent = path.dirname(probe);
    if (parent === probe) throw configError(`${what} ${abs} cannot be created`);
    probe = parent;
  }
};

/** Creates `dir` (its parents as needed) and fails if `dir` itself already exists: a run folder is never reused. */
export const makeDirExclusive = async (dir: string): Promise<void> => {
  await mkdir(path.dirname(dir), { recursive: true });
  try {
    await mkdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw configError(`${dir} already exists; faultline never writes into an existing run folder`);
    }
    throw e;
  }
};
