import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock } from '../base/time.ts';
import { formatHistoryLine, type HistoryHeader } from './jsonl.ts';
import type { Op, OpDraft } from './op.ts';

/**
 * The streaming recorder: stamps each op with its index and the controller's
 * monotonic time, keeps it in memory for the checkers, and appends it to
 * history.jsonl at once with a synchronous write, so a run killed with
 * SIGKILL still leaves every op it recorded on disk (the OS has it; no
 * in-process buffer to lose).
 */
export interface Recorder {
  record(draft: OpDraft): Op;
  readonly ops: readonly Op[];
  /** Subscribe to every recorded op (progress line, live counters). */
  onOp(listener: (op: Op) => void): void;
  close(): void;
}

export const createRecorder = (options: { file?: string; clock: Clock; header?: HistoryHeader }): Recorder => {
  const ops: Op[] = [];
  const listeners: ((op: Op) => void)[] = [];
  let fd = options.file ? openSync(options.file, 'a') : undefined;
  if (fd !== undefined && options.header) writeSync(fd, formatHistoryLine(options.header));
  return {
    ops,
    record(draft) {
      const op: Op = { index: ops.length, time: options.clock.now(), ...draft };
      ops.push(op);
      if (fd !== undefined) writeSync(fd, formatHistoryLine(op));
      for (const l of listeners) l(op);
      return op;
    },
    onOp(listener) {
      listeners.push(listener);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
};
