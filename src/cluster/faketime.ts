import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { chmod, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { System } from '../systems/system.ts';

/**
 * Clock faults for any system, through libfaketime (Debian `faketime`):
 * every process of a node starts with libfaketime preloaded and reading
 * its offset from a per-node file, which the backend rewrites to move the
 * clock during the run. Both backends use this module; only where the file
 * lives differs (a local path, or a bind-mounted one in a container).
 *
 *   LD_PRELOAD=…/libfaketime.so.1          intercepts time(), gettimeofday(), clock_gettime()
 *   FAKETIME_TIMESTAMP_FILE=<node>/faketime holds the setting, e.g. "+10.000" or "-0.250 x1.001"
 *   FAKETIME_NO_CACHE=1                     re-read on every call, so a change applies at once
 *   DONT_FAKE_MONOTONIC=1                   monotonic clocks stay real: timers, timeouts and
 *                                           elections keep their pace; only the wall clock moves
 *
 * Programs that read the clock without libc (Go binaries use the vDSO
 * directly) do not see libfaketime; a system says so with
 * `abilities.libfaketime: { unsupported: why }`, and a clock fault is then refused before
 * the run instead of silently doing nothing.
 */

/** The Debian package that provides libfaketime. */
export const FAKETIME_PACKAGE = 'faketime';

/** Name of the per-node setting file, in the node's own directory. */
export const CLOCK_FILE = 'faketime';

/**
 * A node's wall clock as a fault sets it.
 *
 * `offsetMs` shifts it (positive: ahead). `rate` (default 1) makes it run
 * faster or slower; libfaketime counts a rate from the *start of each
 * process*, so at time t a process that started at s reads
 * `s + (t - s) * rate + offsetMs`. A drift that should begin "now" without
 * a jump subtracts `(rate - 1) * (now - s)` from the offset (see
 * `driftFromNow`), and must be rewritten when the node restarts.
 */
export interface ClockSetting {
  offsetMs: number;
  rate?: number;
}

const MULTIARCH: Readonly<Record<string, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ia32: 'i386-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
};

let library: string | undefined | null = null;

/** The path of libfaketime.so.1 on this machine, or undefined. Cached. */
export const faketimeLibrary = (): string | undefined => {
  if (library !== null) return library;
  const arch = MULTIARCH[process.arch];
  const candidates = [
    ...(process.env.FAULTLINE_LIBFAKETIME ? [process.env.FAULTLINE_LIBFAKETIME] : []),
    ...(arch ? [`/usr/lib/${arch}/faketime/libfaketime.so.1`] : []),
    '/usr/lib/faketime/libfaketime.so.1',
    '/usr/local/lib/faketime/libfaketime.so.1',
  ];
  library = candidates.find((c) => existsSync(c));
  return library;
};

/** Why libfaketime cannot be used here, naming the package; undefined when it can. */
export const faketimeMissing = (): string | undefined =>
  faketimeLibrary() ? undefined : `libfaketime is not installed (apt-get install ${FAKETIME_PACKAGE})`;

/**
 * Whether a backend can skew this system's clock: through the system's own
 * control, else through libfaketime. `true`, or why not.
 */
export const clockCapability = (system: System): true | string => {
  if (system.setClock) return true;
  const lib = system.abilities?.libfaketime;
  if (lib !== undefined && lib !== true) {
    return `system ${system.name} has no clock control of its own, and libfaketime cannot shift its clock: ${lib.unsupported}`;
  }
  const missing = faketimeMissing();
  return missing ? `system ${system.name} has no clock control of its own, and ${missing}` : true;
};

/**
 * The setting as libfaketime reads it: a signed offset in seconds, then the
 * rate ("+1.500 x2"). The rate is always written, x1 included: libfaketime
 * keeps the last rate it read when a setting has none, so a drift healed to
 * "+0.000" would go on drifting.
 */
export const formatClockSetting = (setting: ClockSetting): string => {
  if (!Number.isFinite(setting.offsetMs)) throw new RangeError(`clock offset must be finite, got ${setting.offsetMs}`);
  const seconds = setting.offsetMs / 1000;
  const offset = `${seconds < 0 ? '-' : '+'}${Math.abs(seconds).toFixed(3)}`;
  const rate = setting.rate ?? 1;
  if (!(rate > 0 && Number.isFinite(rate))) throw new RangeError(`clock rate must be a positive number, got ${rate}`);
  return `${offset} x${rate}`;
};

/** Reads a setting back (for tests and for tools that show a node's clock). */
export const parseClockSetting = (text: string): ClockSetting => {
  const m = /^\s*([+-]\d+(?:\.\d+)?)(?:\s+x(\d+(?:\.\d+)?))?\s*$/.exec(text);
  if (!m) throw new Error(`not a faultline clock setting: ${JSON.stringify(text)}`);
  const offsetMs = Math.round(Number(m[1]) * 1000);
  const rate = m[2] === undefined ? 1 : Number(m[2]);
  return rate === 1 ? { offsetMs } : { offsetMs, rate };
};

/**
 * The setting that starts drifting at `rate` from `nowMs` with the clock
 * currently `offsetMs` off, for a process that started at `startMs`
 * (libfaketime counts the rate from there).
 */
export const driftFromNow = (offsetMs: number, rate: number, startMs: number, nowMs: number): ClockSetting => ({
  offsetMs: offsetMs - (rate - 1) * (nowMs - startMs),
  rate,
});

/** A node's clock as the nemesis last set it, and when (controller wall clock, ms). */
export interface NodeClock {
  setting: ClockSetting;
  atMs: number;
}

/** How far ahead the node's clock is at `nowMs`: its offset, plus what its rate has added since it was set. */
export const offsetAt = (clock: NodeClock, nowMs: number): number =>
  clock.setting.offsetMs + ((clock.setting.rate ?? 1) - 1) * (nowMs - clock.atMs);

/**
 * What to write for a process that started at `startMs` so that its clock
 * follows `clock` from `nowMs` on without a jump (libfaketime counts a
 * rate from the process's start). A node that restarts gets it rewritten
 * with its new start.
 */
export const settingForProcess = (clock: NodeClock, startMs: number, nowMs: number): ClockSetting => {
  const rate = clock.setting.rate ?? 1;
  return rate === 1 ? { offsetMs: offsetAt(clock, nowMs) } : driftFromNow(offsetAt(clock, nowMs), rate, startMs, nowMs);
};

/** When a process started, in wall-clock ms (Linux /proc), or undefined. */
export const processStartedAtMs = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    // USER_HZ is 100 on every Linux architecture faultline runs on.
    return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
};

/** Normalises what `Backend.clock` accepts. */
export const toClockSetting = (setting: number | ClockSetting): ClockSetting =>
  typeof setting === 'number' ? { offsetMs: setting } : setting;

/**
 * Writes a node's setting atomically (a reader sees the old or the new
 * file, never a half-written one: libfaketime keeps its previous setting
 * when the file it reads is empty or garbled). World-readable, for nodes
 * that run as an unprivileged user.
 */
export const writeClockFile = async (file: string, setting: ClockSetting): Promise<void> => {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(tmp, `${formatClockSetting(setting)}\n`, { mode: 0o644 });
  await chmod(tmp, 0o644);
  await rename(tmp, file);
};

/** The environment that makes a process read its wall clock through libfaketime and `file`. */
export const faketimeEnv = (libraryPath: string, file: string): Record<string, string> => ({
  LD_PRELOAD: libraryPath,
  FAKETIME_TIMESTAMP_FILE: file,
  FAKETIME_NO_CACHE: '1',
  DONT_FAKE_MONOTONIC: '1',
});

/**
 * libfaketime 0.9.10 gives every process it is loaded into a POSIX shared
 * memory object and semaphore, `/dev/shm/faketime_shm_<pid>` and
 * `/dev/shm/sem.faketime_sem_<pid>`, and removes them in its destructor,
 * which a SIGKILLed process never runs. Removes those of these processes,
 * skipping any pid that is alive again (reused by another process).
 */
export const removeFaketimeLeftovers = (pids: Iterable<number>): void => {
  for (const pid of pids) {
    if (existsSync(`/proc/${pid}`)) continue;
    for (const file of [`/dev/shm/faketime_shm_${pid}`, `/dev/shm/sem.faketime_sem_${pid}`]) {
      try {
        unlinkSync(file);
      } catch {
        // not there, or not ours to remove
      }
    }
  }
};
