import type { Op } from '../op.ts';
import { EdnReader, toPlain } from './edn-data.ts';
import { asText, historyError, parseF, parseOpType, parseProcess, type Where } from './edn-op.ts';

/**
 * Jepsen log lines, as in porcupine's etcd test data:
 *
 *   INFO  jepsen.util - 4<TAB>:invoke<TAB>:cas<TAB>[3 1]
 *
 * (any prefix before `jepsen.util`, such as a timestamp or thread name, is
 * ignored). The fields after the dash are EDN: process (an integer or
 * `:nemesis`), type, f, value, and optionally an error. Lines that are not ops
 * (other loggers, other messages) are skipped. `time` is the op's position,
 * since log lines carry no monotonic clock.
 *
 * Ops are returned as written: `:info :write :timed-out` keeps the value
 * "timed-out" (the written value is on the invoke), and a `:fail` stays a
 * `fail`. In these etcd logs a `:fail :read` is indeterminate (the read timed
 * out, it tells nothing) while a `:fail :cas` certainly did not happen; a
 * checker that must treat them differently does so by `f`.
 */

// `jepsen.util - ` (older log layout) or `jepsen.util: ` (newer, after the thread name).
const OP_LINE = /jepsen\.util(?:\s+-|:)\s+(.*)$/;
const OP_START = /^(?:\d+|:nemesis)\s+:(?:invoke|ok|fail|info)(?:\s|$)/;

export const parseJepsenLog = (text: string, file = '<jepsen.log>'): Op[] => {
  const ops: Op[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = OP_LINE.exec(lines[i]!.replace(/\r$/, ''));
    if (!m) continue;
    const payload = m[1]!.trim();
    if (!OP_START.test(payload)) continue; // another jepsen.util message
    ops.push(parseOpLine(payload, ops.length, { file, line: i + 1 }));
  }
  return ops;
};

const parseOpLine = (payload: string, index: number, where: Where): Op => {
  // Each field is EDN; the reader reports errors with this line's number.
  const r = new EdnReader(payload, where.file);
  r.line = where.line;
  const process = parseProcess(r.read('a process'), where);
  const type = parseOpType(r.read('an op type'), where);
  if (r.atEnd()) throw historyError('expected a function like :read after the op type but the line ends', where);
  const f = parseF(r.read('a function like :read'), where);
  let value: unknown = null;
  let error: string | undefined;
  if (process === 'nemesis') {
    // Nemesis values were logged with `str`, not `pr-str`: keep the raw text unless it is one EDN form.
    const rest = r.rest().trim();
    value = rest === '' ? null : nemesisValue(rest, where);
  } else if (!r.atEnd()) {
    value = toPlain(r.read('a value'));
    if (!r.atEnd()) error = asText(r.read('an error'));
    if (!r.atEnd()) {
      throw historyError(`unexpected '${r.peek()}' after the value and error; expected the end of the line`, where);
    }
  }
  const op: Op = { index, time: index, type, process, f, value };
  if (error !== undefined) op.error = error;
  return op;
};

const nemesisValue = (text: string, where: Where): unknown => {
  try {
    const r = new EdnReader(text, where.file);
    const v = r.read();
    return r.atEnd() ? toPlain(v) : text;
  } catch {
    return text;
  }
};
