import { FaultlineError } from '../base/errors.ts';
import type { Op, OpType } from './op.ts';
import { checkWellFormed, MAX_VALUE_DEPTH, valueDepth } from './well-formed.ts';

/**
 * history.jsonl: an optional header line `{"faultline":"history",...}`
 * (run id, seed, resolved config), then one Op per line in index order.
 * Written as the run goes, so a killed run leaves a readable prefix; a torn
 * last line is tolerated on read (only the last one).
 */

export const HISTORY_FORMAT_VERSION = 1;

export interface HistoryHeader {
  faultline: 'history';
  version: number;
  runId: string;
  test: string;
  seed: number;
  startedAt: string;
  nodes: readonly string[];
  /** The resolved run config, as plain data. */
  config: unknown;
}

export interface ParsedHistory {
  header: HistoryHeader | undefined;
  ops: Op[];
  /** True when the last line was cut off (the run was killed mid-write). */
  truncated: boolean;
}

export const formatHistoryLine = (entry: Op | HistoryHeader): string => `${JSON.stringify(entry)}\n`;

const OP_TYPES: ReadonlySet<string> = new Set<OpType>(['invoke', 'ok', 'fail', 'info']);

/** Parses history.jsonl text. Errors name the file and line. */
export const parseJsonlHistory = (text: string, file = '<history>'): ParsedHistory => {
  const lines = text.split('\n');
  const ops: Op[] = [];
  let header: HistoryHeader | undefined;
  let truncated = false;
  const opLines: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (isLast) {
        truncated = true; // a run killed mid-write: keep the prefix
        break;
      }
      throw new FaultlineError('FL_ERR_HISTORY_PARSE', 'not valid JSON; expected one operation object per line', {
        file,
        line: i + 1,
        cause,
      });
    }
    if (isHeader(value)) {
      if (ops.length > 0 || header) {
        throw new FaultlineError('FL_ERR_HISTORY_PARSE', 'a history header may only be the first line', {
          file,
          line: i + 1,
        });
      }
      header = value;
      continue;
    }
    if (valueDepth(value) > MAX_VALUE_DEPTH) {
      throw new FaultlineError('FL_ERR_HISTORY_PARSE', `a value nested deeper than ${MAX_VALUE_DEPTH} levels`, {
        file,
        line: i + 1,
      });
    }
    ops.push(validateOp(value, file, i + 1, ops.length));
    opLines.push(i + 1);
  }
  checkWellFormed(ops, { file, lineOf: (position) => opLines[position] });
  return { header, ops, truncated };
};

const isHeader = (v: unknown): v is HistoryHeader =>
  typeof v === 'object' && v !== null && (v as { faultline?: unknown }).faultline === 'history';

const validateOp = (v: unknown, file: string, line: number, expectedIndex: number): Op => {
  const fail = (what: string): never => {
    throw new FaultlineError('FL_ERR_HISTORY_PARSE', `expected an operation: ${what}`, { file, line });
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('not an object');
  const o = v as Record<string, unknown>;
  if (typeof o.type !== 'string' || !OP_TYPES.has(o.type)) return fail(`"type" must be invoke, ok, fail or info`);
  if (typeof o.process !== 'number' && o.process !== 'nemesis') return fail(`"process" must be a number or "nemesis"`);
  if (typeof o.f !== 'string') return fail(`"f" must be a string`);
  if (typeof o.time !== 'number' || !Number.isFinite(o.time)) return fail(`"time" must be a number (ns)`);
  if (o.key !== undefined && typeof o.key !== 'string') return fail(`"key" must be a string`);
  const op: Op = {
    index: typeof o.index === 'number' ? o.index : expectedIndex,
    time: o.time,
    type: o.type as OpType,
    process: o.process as Op['process'],
    f: o.f,
    value: o.value ?? null,
  };
  if (o.key !== undefined) op.key = o.key as string;
  if (typeof o.node === 'string') op.node = o.node;
  if (typeof o.error === 'string') op.error = o.error;
  if (typeof o.term === 'number' && Number.isSafeInteger(o.term)) op.term = o.term;
  return op;
};
