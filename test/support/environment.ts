import { execFileSync } from 'node:child_process';
import { which } from '../../src/base/which.ts';

/**
 * Suites that need something from the machine (a Docker engine, a database
 * binary, root) ask here. On a developer's machine without it they skip
 * with a printed reason; under CI (`CI=true`) a missing dependency fails
 * the suite instead, so nothing is silently untested.
 *
 *   describe.skipIf(skipWithout('docker', dockerMissing()))('docker backend', () => { ... })
 */

export const underCI = (): boolean => process.env.CI === 'true';

/** Whether to skip: false when `missing` is undefined; under CI a missing dependency throws. */
export const skipWithout = (what: string, missing: string | undefined): boolean => {
  if (missing === undefined) return false;
  if (underCI()) throw new Error(`${what} is required under CI=true but missing: ${missing}`);
  console.warn(`[skip] ${what}: ${missing}`);
  return true;
};

/** Why a binary cannot be used, naming the Debian package; undefined when it is on PATH. */
export const binaryMissing = (command: string, pkg: string): string | undefined =>
  which(command) ? undefined : `${command} not found (apt-get install ${pkg})`;

/** Why faultline cannot act as root here (iptables, users); undefined when it is root. */
export const rootMissing = (): string | undefined =>
  process.getuid?.() === 0 ? undefined : 'not running as root (needed for iptables and unprivileged users)';

/** Why no Docker engine answers; undefined when `docker info` works. */
export const dockerMissing = (): string | undefined => {
  if (!which('docker')) return 'the docker CLI is not installed (apt-get install docker.io)';
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 10_000 });
    return undefined;
  } catch {
    return 'no Docker engine answers (start dockerd)';
  }
};
