import { FaultlineError } from '../base/errors.ts';
import type { Op } from './op.ts';

/**
 * What every history must be before a checker may judge it: unique op
 * indexes, each client completion preceded by its process's invocation, a
 * process with one operation in flight at a time, and values nested no
 * deeper than MAX_VALUE_DEPTH (checkers and reports walk values
 * recursively). A violation is FL_ERR_HISTORY_PARSE naming the op (and the
 * line when the format has one per op), never a verdict.
 */
export const MAX_VALUE_DEPTH = 200;

/** Nesting depth of a JSON-like value, counted without recursion. */
export const valueDepth = (value: unknown, limit = MAX_VALUE_DEPTH): number => {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > deepest) deepest = d + 1;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
};

export interface WellFormedOptions {
  file?: string;
  /** The line of the op at a position in `ops` (one op per line formats). */
  lineOf?: (position: number) => number | undefined;
}

export const checkWellFormed = (ops: readonly Op[], options: WellFormedOptions = {}): void => {
  const fail = (position: number, message: string): never => {
    const line = options.lineOf?.(position);
    throw new FaultlineError('FL_ERR_HISTORY_PARSE', message, {
      ...(options.file ? { file: options.file } : {}),
      ...(line !== undefined ? { line } : {}),
      hint: 'a history is invoke/completion pairs per process, in time order, with unique indexes',
    });
  };
  const seen = new Set<number>();
  const pending = new Map<number, Op>();
  ops.forEach((op, position) => {
    if (seen.has(op.index)) fail(position, `op index ${op.index} appears twice`);
    seen.add(op.index);
    if (valueDepth(op.value) > MAX_VALUE_DEPTH) {
      fail(position, `op ${op.index}: its value is nested deeper than ${MAX_VALUE_DEPTH} levels`);
    }
    if (op.process === 'nemesis') return;
    const open = pending.get(op.process);
    if (op.type === 'invoke') {
      if (open)
        fail(position, `op ${op.index}: process ${op.process} invokes while op ${open.index} is still in flight`);
      pending.set(op.process, op);
      return;
    }
    if (!open)
      fail(position, `op ${op.index}: an ${op.type} completion of process ${op.process} without an invocation`);
    pending.delete(op.process);
  });
};

/** A history with no client operation gives a checker nothing to judge. */
export const hasClientOps = (ops: readonly Op[]): boolean => ops.some((o) => o.process !== 'nemesis');
