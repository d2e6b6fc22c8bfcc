import type { Op } from '../../history/op.ts';
import type { OpInput } from '../models/op-input.ts';
import type { Operation } from './types.ts';

/**
 * Turns a faultline history into the checker's operations.
 *
 * Each client invoke is paired with the next completion of the same process
 * (a process runs one operation at a time; after `info` a worker continues
 * under a new process number, so a process never has two open operations).
 * - `ok`: the operation took effect inside [invoke.time, ok.time]; its output
 *   is the completion's value.
 * - `fail`: it certainly did not happen, so it is left out.
 * - `info`, or no completion at all (the run was cut short): it may have
 *   happened at any time after its call, or never: it returns at infinity
 *   with an unknown (`undefined`) output.
 * Nemesis operations are not client operations and are skipped.
 *
 * The input is the invoke's `{f, key, value}`; `id` is the invoke's index.
 */
export const fromHistory = (history: readonly Op[]): Operation<OpInput, unknown>[] => {
  const out: Operation<OpInput, unknown>[] = [];
  const open = new Map<number, Operation<OpInput, unknown>>();
  const failed = new Set<Operation<OpInput, unknown>>();
  for (const op of history) {
    if (typeof op.process !== 'number') continue;
    if (op.type === 'invoke') {
      const operation: Operation<OpInput, unknown> = {
        id: op.index,
        clientId: op.process,
        input: op.key === undefined ? { f: op.f, value: op.value } : { f: op.f, key: op.key, value: op.value },
        call: op.time,
        output: undefined,
        return: Number.POSITIVE_INFINITY,
      };
      // A second invoke on a busy process: the first stays indeterminate.
      open.set(op.process, operation);
      out.push(operation);
      continue;
    }
    const operation = open.get(op.process);
    if (operation === undefined) continue; // a completion with no open invoke
    open.delete(op.process);
    if (op.type === 'ok') {
      operation.output = op.value;
      operation.return = op.time;
    } else if (op.type === 'fail') {
      failed.add(operation);
    }
    // info: stays at infinity with an unknown output
  }
  return failed.size === 0 ? out : out.filter((o) => !failed.has(o));
};
