import { FaultlineError } from '../../base/errors.ts';
import { showValue } from '../linearizable/model.ts';
import { deepEqual } from '../linearizable/structural.ts';

/**
 * The input of an operation taken from a faultline history: the invoking
 * Op's function, key and value (see `linearizable/from-history.ts`). The
 * output is the completing Op's value (`undefined` when indeterminate).
 * Built-in models read these fields directly, so they work on any history.
 */
export interface OpInput {
  f: string;
  key?: string;
  value: unknown;
}

/** Equality of values read from a system: `===` for primitives, structural otherwise. */
export const sameValue = (a: unknown, b: unknown): boolean =>
  a === b || (typeof a === 'object' && typeof b === 'object' && deepEqual(a, b));

/** "cas(1, 2) → ok", "read() → 3", "get("k") → "v"", "write(3) → ?" (indeterminate). */
export const describeOpInput = (input: OpInput, output: unknown, opts: { showsOutput: boolean }): string => {
  const args: string[] = [];
  if (input.key !== undefined) args.push(showValue(input.key));
  if (input.value !== null && input.value !== undefined) {
    if (Array.isArray(input.value)) args.push(...input.value.map(showValue));
    else args.push(showValue(input.value));
  }
  const call = `${input.f}(${args.join(', ')})`;
  if (output === undefined) return `${call} → ?`;
  return opts.showsOutput ? `${call} → ${showValue(output)}` : call;
};

/** The error a model raises for an operation it does not know. */
export const unknownFunction = (model: string, input: OpInput, known: readonly string[]): FaultlineError =>
  new FaultlineError(
    'FL_ERR_CONFIG',
    `model ${model} cannot check operation f=${showValue(input.f)}; it knows ${known.join(', ')}`,
    { hint: 'pick a model that matches the workload, e.g. --model cas-register for read/write/cas' },
  );

/** A cas value must be [old, new]. */
export const casArgs = (model: string, input: OpInput): readonly [unknown, unknown] => {
  const v = input.value;
  if (!Array.isArray(v) || v.length !== 2) {
    throw new FaultlineError('FL_ERR_CONFIG', `model ${model}: a cas value must be [old, new], got ${showValue(v)}`);
  }
  return v as unknown as readonly [unknown, unknown];
};
