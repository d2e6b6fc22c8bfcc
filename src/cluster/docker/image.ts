import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readlinkSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FaultlineError } from '../../base/errors.ts';
import { packagePath } from '../../base/ts-node.ts';
import { type Engine, errorText, statusOf } from './engine.ts';
import { type TarEntry, tarOf } from './tar.ts';

/**
 * Images, offline. No registry is reachable from the machines faultline
 * runs on, so nothing is ever pulled:
 *
 * - By default every node runs in `faultline/base:<hash>`, an image made on
 *   the fly by importing a tar of a few empty directories (no files at all),
 *   with the host's /usr, /etc (and /bin, /sbin, /lib, /lib64 where they
 *   are real directories, else the same symlinks into /usr) bind-mounted
 *   read-only. The system's binaries are the host's own — the same etcd,
 *   redis-server, postgres and node that the local backend runs — so a run
 *   behaves the same on both backends and needs nothing but the engine.
 * - A cluster preset may name an image (`image:`) that is already on the
 *   machine (docker load / docker build); the system's commands then run
 *   from it. It needs /bin/sh (the node supervisor is a POSIX shell script),
 *   and setpriv for systems that run as an unprivileged user.
 *
 * faultline's own package directory is mounted read-only at its host path
 * in every container, so the replica (and any user system written in
 * TypeScript) runs from its sources through tsx exactly as on the host.
 */

export const BASE_IMAGE_REPO = 'faultline/base';
export const IMAGE_LABEL = 'faultline.image';

/** Top-level host directories that carry the programs and their libraries and configuration. */
const HOST_ROOTS = ['usr', 'etc', 'bin', 'sbin', 'lib', 'lib64'] as const;

export interface BaseLayout {
  /** What the image's root holds: empty mount points, /tmp, and symlinks mirroring the host's merged /usr. */
  entries: TarEntry[];
  /** Host directories to bind-mount read-only at the same path. */
  mounts: string[];
}

/** The base image's root for this host's layout. */
export const baseLayout = (root = '/'): BaseLayout => {
  const entries: TarEntry[] = [
    { type: 'dir', name: 'tmp', mode: 0o1777 },
    { type: 'dir', name: 'var', mode: 0o755 },
    { type: 'dir', name: 'var/tmp', mode: 0o1777 },
    { type: 'dir', name: 'run', mode: 0o755 },
    { type: 'dir', name: 'root', mode: 0o700 },
  ];
  const mounts: string[] = [];
  for (const name of HOST_ROOTS) {
    const p = path.join(root, name);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(p);
    } catch {
      continue; // e.g. no /lib64 on this architecture
    }
    if (st.isSymbolicLink()) {
      entries.push({ type: 'symlink', name, target: readlinkSync(p) });
    } else if (st.isDirectory()) {
      entries.push({ type: 'dir', name, mode: 0o755 });
      mounts.push(`/${name}`);
    }
  }
  return { entries, mounts };
};

/**
 * Read-only bind mounts every container of a run gets: the host's program
 * directories (base image only), faultline's package, and node's install
 * directory when it lives outside them (nvm, /opt).
 */
export const hostMounts = (useBase: boolean, root = '/'): string[] => {
  const mounts = useBase ? baseLayout(root).mounts : [];
  const covered = (p: string) => mounts.some((m) => p === m || p.startsWith(`${m}/`));
  const extra = [packagePath('.').replace(/\/$/, '')];
  if (useBase) {
    const node = realpathSync(process.execPath);
    const prefix = path.dirname(path.dirname(node)); // <prefix>/bin/node
    if (!covered(node)) extra.push(prefix);
  }
  for (const e of extra) if (!covered(e) && !mounts.includes(e)) mounts.push(e);
  return mounts;
};

/** Imports the base image unless it is there; returns its name. */
export const ensureBaseImage = async (engine: Engine): Promise<string> => {
  const tar = tarOf(baseLayout().entries);
  const tag = createHash('sha256').update(tar).digest('hex').slice(0, 12);
  const name = `${BASE_IMAGE_REPO}:${tag}`;
  try {
    await engine.getImage(name).inspect();
    return name;
  } catch (e) {
    if (statusOf(e) !== 404) throw new FaultlineError('FL_ERR_BACKEND', `docker: ${errorText(e)}`, { cause: e });
  }
  try {
    const progress = await engine.importImage(Readable.from([tar]), {
      repo: BASE_IMAGE_REPO,
      tag,
      changes: [`LABEL ${IMAGE_LABEL}=base`],
    });
    await new Promise<void>((resolve, reject) =>
      engine.modem.followProgress(progress, (err: Error | null, out: { error?: string }[]) => {
        const failed = err ?? out.find((o) => o.error);
        if (failed) reject(failed instanceof Error ? failed : new Error(String(failed.error)));
        else resolve();
      }),
    );
  } catch (e) {
    throw new FaultlineError('FL_ERR_BACKEND', `docker: could not import the base image ${name}: ${errorText(e)}`, {
      cause: e,
    });
  }
  return name;
};

/** Checks that a user's image is on this machine (nothing is pulled); FL_ERR_CONFIG naming it otherwise. */
export const checkUserImage = async (engine: Engine, image: string): Promise<void> => {
  try {
    await engine.getImage(image).inspect();
  } catch (e) {
    if (statusOf(e) === 404) {
      throw new FaultlineError(
        'FL_ERR_CONFIG',
        `image ${JSON.stringify(image)} (cluster preset image:) is not on this machine, and faultline pulls nothing`,
        {
          path: 'cluster.image',
          hint: `load or build it first (docker load -i image.tar, docker build -t ${image} .), or remove image: to run the host's binaries in faultline's base image`,
        },
      );
    }
    throw new FaultlineError('FL_ERR_BACKEND', `docker: ${errorText(e)}`, { cause: e });
  }
};

/**
 * A compile cache for tsx shared by the containers of every run on this
 * machine (not with the controller: a container cannot touch the host's
 * own cache), bind-mounted where tsx looks (/tmp/tsx-<uid>). Without it
 * each container compiles faultline's sources from scratch, which is most
 * of a replica node's start time. tsx treats an unreadable entry as a miss,
 * so concurrent writers are harmless. Returns [host dir, container dir].
 */
export const tsxCacheMount = (): [string, string] => {
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(os.tmpdir(), `faultline-tsx-cache-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return [dir, `/tmp/tsx-${uid}`];
};
