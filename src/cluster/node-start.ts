import { closeSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { configError, FaultlineError } from '../base/errors.ts';
import type { NodeAddress, NodeId, System } from '../systems/system.ts';
import type { ClusterSpec } from './backend.ts';
import { validateRunId } from './markers.ts';

/**
 * What every backend needs to start a node, whatever runs it: wait until
 * the system says the node is ready while watching for it to die first,
 * and when it fails, an error that names the node, the command, the last
 * lines of its log and where the whole log is.
 */

const LOG_TAIL_LINES = 20;

/** The last lines of a log, from byte `offset` on (this incarnation only). */
export const logTail = async (file: string, offset = 0, lines = LOG_TAIL_LINES): Promise<string[]> => {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const from = Math.max(offset, size - 16 * 1024);
      const buf = Buffer.alloc(Math.max(0, size - from));
      await fh.read(buf, 0, buf.length, from);
      return buf.toString('utf8').split('\n').filter(Boolean).slice(-lines);
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
};

/** The size of a file, or 0: where this incarnation's lines begin in an appended log. */
export const logOffset = async (file: string): Promise<number> => {
  try {
    const fh = await open(file, 'r');
    try {
      return (await fh.stat()).size;
    } finally {
      await fh.close();
    }
  } catch {
    return 0;
  }
};

/** A shell-safe rendering of a command line, for logs and errors. */
export const commandLine = (command: string, args: readonly string[]): string =>
  [command, ...args].map((s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)).join(' ');

/** FL_ERR_NODE_START: the node, why, the command, the last log lines and the log's path. */
export const nodeStartError = async (
  node: NodeId,
  reason: string,
  where: { command: string; logPath: string; logOffset?: number },
  cause?: unknown,
): Promise<FaultlineError> => {
  const tail = await logTail(where.logPath, where.logOffset ?? 0);
  return new FaultlineError(
    'FL_ERR_NODE_START',
    [
      `node ${node} failed to start: ${reason}`,
      `  command: ${where.command}`,
      `  last log lines (stdout+stderr):`,
      ...(tail.length ? tail.map((l) => `    ${l}`) : ['    (none)']),
      `  log: ${where.logPath}`,
    ].join('\n'),
    { cause, hint: `run the command by hand to see why, or read ${where.logPath}` },
  );
};

/** How waiting for readiness ended. */
export type ReadyOutcome = { ready: true } | { ready: false; reason: string; cause?: unknown };

/**
 * Races the system's readiness check against the node exiting, the time
 * limit and the caller's signal. Never throws: says why it was not ready.
 */
export const waitUntilReady = async (
  system: Pick<System, 'ready'>,
  address: NodeAddress,
  options: {
    signal: AbortSignal;
    timeoutMs: number;
    /** Resolves with a description when the node's process exits. */
    exited: Promise<string>;
  },
): Promise<ReadyOutcome> => {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error('start timeout')), options.timeoutMs);
  const readySignal = AbortSignal.any([options.signal, timeout.signal]);
  let onAbort = () => {};
  const aborted = new Promise<ReadyOutcome>((resolve) => {
    onAbort = () =>
      resolve(
        options.signal.aborted
          ? { ready: false, reason: 'interrupted' }
          : { ready: false, reason: `it was not ready within ${options.timeoutMs} ms` },
      );
    if (readySignal.aborted) onAbort();
    readySignal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([
      system.ready(address, readySignal).then(
        (): ReadyOutcome => ({ ready: true }),
        (cause: unknown): ReadyOutcome =>
          readySignal.aborted
            ? {
                ready: false,
                reason: options.signal.aborted ? 'interrupted' : `it was not ready within ${options.timeoutMs} ms`,
                cause,
              }
            : {
                ready: false,
                reason: `its readiness check failed: ${cause instanceof Error ? cause.message : String(cause)}`,
                cause,
              },
      ),
      options.exited.then((how): ReadyOutcome => ({ ready: false, reason: `it ${how} before it was ready` })),
      aborted,
    ]);
  } finally {
    clearTimeout(timer);
    readySignal.removeEventListener('abort', onAbort);
    timeout.abort(); // stops the system's ready loop
  }
};

/** What every backend checks of a cluster spec before it starts anything: a safe run id, unique file-safe node ids. */
export const validateClusterSpec = (spec: Pick<ClusterSpec, 'runId' | 'nodes'>): void => {
  validateRunId(spec.runId);
  if (spec.nodes.length === 0) throw configError('a cluster needs at least one node');
  const dupes = spec.nodes.filter((id, i) => spec.nodes.indexOf(id) !== i);
  if (dupes.length) throw configError(`node ids must be unique; repeated: ${dupes.join(', ')}`);
  for (const id of spec.nodes) {
    if (!/^[A-Za-z0-9._-]+$/.test(id)) {
      throw configError(`node id "${id}" must be letters, digits, ".", "_" or "-" (it names files)`);
    }
  }
};

/** Appends one line to a log, synchronously, so it is in place before anyone reads the log. */
export const logLine = (logPath: string, line: string): void => {
  try {
    const fd = openSync(logPath, 'a');
    writeSync(fd, `--- faultline: ${line}\n`);
    closeSync(fd);
  } catch {
    // the run dir may already be gone
  }
};
