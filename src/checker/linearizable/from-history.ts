import type { Op } from '../../history/op.ts';
import { pairClientOps } from '../../history/pairs.ts';
import type { OpInput } from '../models/op-input.ts';
import type { Operation } from './types.ts';

/**
 * Turns a faultline history into the checker's operations.
 *
 * Each client invoke is paired with the next completion of the same process
 * (`pairClientOps`: a process runs one operation at a time; after `info` a
 * worker continues under a new process number).
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
export const fromHistory = (history: readonly Op[]): Operation<OpInput, unknown>[] =>
  fromColumns(operationColumns(history));

/**
 * The same operations as columns: typed arrays and two arrays of values, which
 * cross to a worker thread by transfer and a cheap clone, where a million
 * operation objects would take seconds to clone.
 */
export interface OperationColumns {
  length: number;
  id: Float64Array;
  clientId: Float64Array;
  call: Float64Array;
  /** +Infinity: indeterminate. */
  return: Float64Array;
  /** Index into `fNames`. */
  f: Uint32Array;
  fNames: string[];
  /** Index into `keyNames`; -1: the operation has no key. */
  key: Int32Array;
  keyNames: string[];
  value: ValueColumn;
  /** undefined: indeterminate. */
  output: ValueColumn;
  /** Whether any client invoke (failed ones too) carries a key: a register model is then checked per key. */
  hasKeys: boolean;
}

export const operationColumns = (history: readonly Op[]): OperationColumns => {
  const pairs = pairClientOps(history);
  let n = 0;
  let hasKeys = false;
  for (const p of pairs) {
    if (p.completion?.type !== 'fail') n++;
    if (p.invoke.key !== undefined) hasKeys = true;
  }
  const c: OperationColumns = {
    length: n,
    id: new Float64Array(n),
    clientId: new Float64Array(n),
    call: new Float64Array(n),
    return: new Float64Array(n),
    f: new Uint32Array(n),
    fNames: [],
    key: new Int32Array(n),
    keyNames: [],
    value: valueColumn(n),
    output: valueColumn(n),
    hasKeys,
  };
  const fIds = new Map<string, number>();
  const keyIds = new Map<string, number>();
  let i = 0;
  for (const { invoke, completion, process } of pairs) {
    if (completion?.type === 'fail') continue;
    c.id[i] = invoke.index;
    c.clientId[i] = process;
    c.call[i] = invoke.time;
    const ok = completion?.type === 'ok';
    c.return[i] = ok ? completion.time : Number.POSITIVE_INFINITY;
    setValue(c.output, i, ok ? completion.value : undefined);
    setValue(c.value, i, invoke.value);
    let f = fIds.get(invoke.f);
    if (f === undefined) {
      f = c.fNames.push(invoke.f) - 1;
      fIds.set(invoke.f, f);
    }
    c.f[i] = f;
    let key = -1;
    if (invoke.key !== undefined) {
      key = keyIds.get(invoke.key) ?? -1;
      if (key < 0) {
        key = c.keyNames.push(invoke.key) - 1;
        keyIds.set(invoke.key, key);
      }
    }
    c.key[i] = key;
    i++;
  }
  return c;
};

export const fromColumns = (c: OperationColumns): Operation<OpInput, unknown>[] => {
  const out = new Array<Operation<OpInput, unknown>>(c.length);
  for (let i = 0; i < c.length; i++) {
    const k = c.key[i]!;
    const f = c.fNames[c.f[i]!]!;
    out[i] = {
      id: c.id[i]!,
      clientId: c.clientId[i]!,
      input: k < 0 ? { f, value: valueAt(c.value, i) } : { f, key: c.keyNames[k]!, value: valueAt(c.value, i) },
      call: c.call[i]!,
      output: valueAt(c.output, i),
      return: c.return[i]!,
    };
  }
  return out;
};

/**
 * Values as a column: numbers, null and undefined (nearly all of a register
 * history) in typed arrays, anything else in a short array beside them.
 */
export interface ValueColumn {
  /** NUMBER, NULL, UNDEFINED or OTHER. */
  tag: Uint8Array;
  /** The number; for OTHER, the index into `other`. */
  number: Float64Array;
  other: unknown[];
}

const NUMBER = 0;
const NULL = 1;
const UNDEFINED = 2;
const OTHER = 3;

const valueColumn = (n: number): ValueColumn => ({ tag: new Uint8Array(n), number: new Float64Array(n), other: [] });

const setValue = (c: ValueColumn, i: number, v: unknown): void => {
  if (typeof v === 'number') {
    c.tag[i] = NUMBER;
    c.number[i] = v;
  } else if (v === null) c.tag[i] = NULL;
  else if (v === undefined) c.tag[i] = UNDEFINED;
  else {
    c.tag[i] = OTHER;
    c.number[i] = c.other.push(v) - 1;
  }
};

const valueAt = (c: ValueColumn, i: number): unknown => {
  const tag = c.tag[i];
  return tag === NUMBER ? c.number[i] : tag === NULL ? null : tag === UNDEFINED ? undefined : c.other[c.number[i]!];
};

/** The buffers a transfer to a worker thread moves rather than copies. */
export const columnBuffers = (c: OperationColumns): ArrayBuffer[] =>
  [c.id, c.clientId, c.call, c.return, c.f, c.key, c.value.tag, c.value.number, c.output.tag, c.output.number].map(
    (a) => a.buffer as ArrayBuffer,
  );
