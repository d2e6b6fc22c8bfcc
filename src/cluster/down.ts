import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { FaultlineError } from '../base/errors.ts';
import type { NodeId } from '../base/ids.ts';

/**
 * What every backend's `down` shares, whatever it tears down. Its steps
 * run one after another, each on its own: a step that fails (a heal the
 * engine refused) must not leave the later ones undone (nodes running,
 * data dirs left), so failures are collected and reported together once
 * every step has run. A second `down` while one runs (Ctrl-C during a
 * normal teardown) waits for that one. And the backend's exit handler, its
 * last resort should the controller exit without `down`, is in place from
 * `up` until `down` has run.
 *
 * Which steps, and in what order, stays with each backend; only the last,
 * removing the data dirs, is always the same.
 */

/** Runs one step of `down`; a failure is noted as `label: why`, and the next step runs all the same. */
export type DownStep = (label: string, undo: () => Promise<unknown> | unknown) => Promise<void>;

/** The part of a backend's state that `down` itself reads and writes. */
export interface DownState {
  /** `down` has begun: start nothing new. */
  closing: boolean;
  runDir: string;
  /** The backend made `runDir` (a temp dir): remove it whole. */
  ownsRunDir: boolean;
}

export interface BackendDown<S extends DownState> {
  /** Installs the exit handler: `up` calls it before it starts anything. */
  arm(): void;
  /**
   * The backend's `down`: nothing when it is not up (`st` undefined); else
   * marks it closing, runs `steps`, removes the data dirs, releases the
   * state and the exit handler. While a down is under way, returns that
   * one. Rejects with FL_ERR_BACKEND naming every step that failed.
   */
  run(st: S | undefined, steps: (st: S, step: DownStep) => Promise<void>): Promise<void>;
}

export const createBackendDown = <S extends DownState>(options: {
  /** The backend's name, for the error. */
  backend: string;
  onExit: () => void;
  /** Forgets the backend's state once down has run, so that `up` may run again. */
  release: () => void;
  /** The folder of `runDir` that holds the nodes' data, removed when the run dir is the caller's. */
  nodeFiles: string;
  /** How a failure reads in the error (a dockerode error carries its text in `json.message`). */
  errorText?: (e: unknown) => string;
}): BackendDown<S> => {
  const errorText = options.errorText ?? ((e: unknown) => (e instanceof Error ? e.message : String(e)));
  let downing: Promise<void> | undefined;
  return {
    arm() {
      process.on('exit', options.onExit);
    },
    run(st, steps) {
      if (!st) return Promise.resolve();
      downing ??= (async () => {
        const failures: string[] = [];
        const step: DownStep = async (label, undo) => {
          try {
            await undo();
          } catch (e) {
            failures.push(`${label}: ${errorText(e)}`);
          }
        };
        st.closing = true;
        await steps(st, step);
        // Last, once nothing runs that could write there and the logs are copied. A workDir of
        // the caller's is the caller's to remove: only the nodes' files go.
        await step('remove data dirs', () =>
          rm(st.ownsRunDir ? st.runDir : path.join(st.runDir, options.nodeFiles), { recursive: true, force: true }),
        );
        process.off('exit', options.onExit);
        options.release();
        if (failures.length > 0) {
          throw new FaultlineError(
            'FL_ERR_BACKEND',
            `${options.backend} backend down did not finish cleanly: ${failures.join('; ')}`,
          );
        }
      })().finally(() => {
        downing = undefined;
      });
      return downing;
    },
  };
};

/** The `copy logs` step: each node's log into `dest`, skipping a log already there and a node that never logged. */
export const copyLogs = async (dest: string, nodes: readonly { id: NodeId; logPath: string }[]): Promise<void> => {
  await mkdir(dest, { recursive: true });
  for (const n of nodes) {
    const to = path.join(dest, `${n.id}.log`);
    if (path.resolve(to) === path.resolve(n.logPath)) continue;
    await copyFile(n.logPath, to).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
};
