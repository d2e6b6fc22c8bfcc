import { setFlagsFromString } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

/**
 * A one-off check in a fresh process is short, and V8's optimising
 * compiler costs more there than it saves: compiling the search loop takes
 * tens of milliseconds of CPU, more than a check of a few thousand
 * operations takes in V8's baseline code. So the first check in a process
 * runs its first TURBOFAN_AFTER_MS of CPU time without the optimising
 * compiler, then turns it back on, so that a long check is compiled as
 * usual. CPU time, not wall time: on a loaded machine the wall clock runs
 * ahead of the work done. Later checks find the search compiled already and
 * leave V8 alone, as does a process started with flags of its own about
 * the JIT, or with FAULTLINE_JIT=default.
 */
export const TURBOFAN_AFTER_MS = 30;

let used = false;

const jitFlags = /--(no-)?(turbofan|opt|jitless|max-opt|sparkplug|maglev)\b/;

/** Turns TurboFan on again once the check has used TURBOFAN_AFTER_MS of CPU (call it between slices), or at once with `now`. */
export type QuickStart = (now?: 'now') => void;

/** Turns TurboFan off for the first check in this process. */
export const quickStart = (): QuickStart => {
  // V8's flags are the process's: a worker thread (a whole check handed over by the linearizable
  // checker, always a large one) leaves them to the main thread.
  if (used || !isMainThread) return noop;
  used = true;
  const nodeOptions = process.env.NODE_OPTIONS ?? '';
  if (
    process.env.FAULTLINE_JIT === 'default' ||
    process.execArgv.some((a) => jitFlags.test(a)) ||
    jitFlags.test(nodeOptions)
  ) {
    return noop;
  }
  try {
    setFlagsFromString('--no-turbofan');
  } catch {
    return noop;
  }
  const started = process.cpuUsage();
  let on = false;
  return (now?: 'now') => {
    if (on) return;
    if (now !== 'now') {
      const used = process.cpuUsage(started);
      if (used.user + used.system < 1000 * TURBOFAN_AFTER_MS) return;
    }
    on = true;
    setFlagsFromString('--turbofan');
  };
};

const noop = (): void => {};
