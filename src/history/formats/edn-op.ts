import { FaultlineError } from '../../base/errors.ts';
import type { Op, OpType, Process } from '../op.ts';
import { describeEdn, EdnMap, EdnSymbol, EdnTagged, type EdnValue, formatEdn, Keyword, toPlain } from './edn-data.ts';

/**
 * Turning one Jepsen-style EDN operation map into a faultline Op, shared by
 * the EDN, Jepsen log and porcupine kv readers.
 *
 * Rules: keywords become their names (`:cas` → "cas"), nil → null, vectors →
 * arrays, maps → objects; `:process` is an integer or `:nemesis`; `time` is
 * `:time` when present, else the op's position (so order is kept); `index` is
 * always the position, whatever the file says; `:key`, `:node` and `:error`
 * become strings. The op's type is kept as written: what a `:fail` means
 * (certainly not applied, or indeterminate as an etcd `:fail :read`) is the
 * checker's decision, not the reader's.
 */

export interface Where {
  file: string;
  line: number;
}

const OP_TYPES: ReadonlySet<string> = new Set<OpType>(['invoke', 'ok', 'fail', 'info']);

export const historyError = (message: string, where: Where): FaultlineError =>
  new FaultlineError('FL_ERR_HISTORY_PARSE', message, { file: where.file, line: where.line });

/** The name of a keyword, symbol or string; undefined for anything else. */
export const nameOf = (v: EdnValue | undefined): string | undefined => {
  if (typeof v === 'string') return v;
  if (v instanceof Keyword || v instanceof EdnSymbol) return v.name;
  return undefined;
};

/** A value that must end up as a string (key, node, error): names as names, anything else as its EDN text. */
export const asText = (v: EdnValue): string => {
  const n = nameOf(v);
  if (n !== undefined) return n;
  return typeof v === 'number' || typeof v === 'bigint' ? String(v) : formatEdn(v);
};

export const parseOpType = (v: EdnValue | undefined, where: Where): OpType => {
  const name = v instanceof Keyword || typeof v === 'string' ? nameOf(v) : undefined;
  if (name === undefined || !OP_TYPES.has(name)) {
    throw historyError(`expected :type to be :invoke, :ok, :fail or :info but found ${describeEdn(v)}`, where);
  }
  return name as OpType;
};

export const parseProcess = (v: EdnValue | undefined, where: Where): Process => {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (nameOf(v) === 'nemesis') return 'nemesis';
  throw historyError(`expected :process to be an integer or :nemesis but found ${describeEdn(v)}`, where);
};

export const parseF = (v: EdnValue | undefined, where: Where): string => {
  const name = nameOf(v);
  if (name === undefined)
    throw historyError(`expected :f to be a keyword like :read but found ${describeEdn(v)}`, where);
  return name;
};

/** A Jepsen 0.3 history prints ops as records: `#jepsen.history.Op{...}`. */
const unwrapRecord = (v: EdnValue): EdnValue => (v instanceof EdnTagged && v.value instanceof EdnMap ? v.value : v);

/** Converts one operation map. `index` is its position in the history. */
export const ednToOp = (form: EdnValue, index: number, where: Where): Op => {
  const m = unwrapRecord(form);
  if (!(m instanceof EdnMap)) {
    throw historyError(`expected a map like {:type :invoke, :f :read, :process 0} but found ${describeEdn(m)}`, where);
  }
  const type = parseOpType(m.get('type'), where);
  const process = parseProcess(m.get('process'), where);
  const f = parseF(m.get('f'), where);
  const value = m.get('value');
  const op: Op = {
    index,
    time: parseTime(m.get('time'), index, where),
    type,
    process,
    f,
    value: value === undefined ? null : toPlain(value),
  };
  const key = m.get('key');
  if (key !== undefined && key !== null) op.key = asText(key);
  const node = m.get('node');
  if (node !== undefined && node !== null) op.node = asText(node);
  const error = m.get('error');
  if (error !== undefined && error !== null) op.error = asText(error);
  return op;
};

const parseTime = (v: EdnValue | undefined, ordinal: number, where: Where): number => {
  if (v === undefined || v === null) return ordinal;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw historyError(`expected :time to be a number of nanoseconds but found ${describeEdn(v)}`, where);
};
