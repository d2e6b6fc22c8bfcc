import type { Op } from '../op.ts';
import { EdnReader, type EdnValue, formatEdn, formatEdnString, isKeywordName } from './edn-data.ts';
import { ednToOp } from './edn-op.ts';

/**
 * EDN histories (Jepsen, Knossos, Elle): reading them into faultline ops and
 * writing faultline ops so those tools can check a faultline history. The EDN
 * data reader and writer themselves are in edn-data.ts, re-exported here.
 */
export * from './edn-data.ts';

/** One top-level form with the line it starts on. */
export interface LocatedForm {
  value: EdnValue;
  line: number;
}

/**
 * The operation forms of an EDN history: either one collection of maps
 * (`[{...} {...}]`, Knossos style) or a sequence of maps, one a line
 * (Jepsen's history.edn).
 */
export const readEdnHistoryForms = (text: string, file: string): LocatedForm[] => {
  const r = new EdnReader(text, file);
  const forms: LocatedForm[] = [];
  const first = r.peek();
  if (first === '[' || first === '(') {
    const openLine = r.line;
    const closer = first === '[' ? ']' : ')';
    r.next();
    for (;;) {
      const c = r.peek();
      if (c === '')
        r.fail(`unterminated '${first}' starting at line ${openLine}: expected '${closer}' before the end of input`);
      if (c === closer) {
        r.next();
        break;
      }
      const line = r.line;
      forms.push({ value: r.read('an operation map'), line });
    }
    if (!r.atEnd()) {
      r.fail(`unexpected '${r.peek()}' after the history's closing '${closer}'; expected the end of the file`);
    }
    return forms;
  }
  while (!r.atEnd()) {
    const line = r.line;
    forms.push({ value: r.read('an operation map'), line });
  }
  return forms;
};

/** Parses a Jepsen/Knossos EDN history into faultline ops (see edn-op.ts for the conversion rules). */
export const parseEdnHistory = (text: string, file = '<history.edn>'): Op[] =>
  readEdnHistoryForms(text, file).map((f, i) => ednToOp(f.value, i, { file, line: f.line }));

const F_KEYS = ['type', 'f', 'value', 'process', 'time', 'index'] as const;

/** One op as a Jepsen-style EDN map: `{:type :invoke, :f :write, :value 3, :process 0, :time 123, :index 0}`. */
export const formatEdnOp = (op: Op): string => {
  const parts: string[] = [];
  for (const k of F_KEYS) {
    if (k === 'type' || k === 'f') parts.push(`:${k} ${formatKeywordOrString(op[k])}`);
    else if (k === 'process') parts.push(`:process ${op.process === 'nemesis' ? ':nemesis' : formatEdn(op.process)}`);
    else parts.push(`:${k} ${formatEdn(op[k])}`);
  }
  if (op.key !== undefined) parts.push(`:key ${formatEdn(op.key)}`);
  if (op.node !== undefined) parts.push(`:node ${formatEdn(op.node)}`);
  if (op.error !== undefined) parts.push(`:error ${formatEdn(op.error)}`);
  return `{${parts.join(', ')}}`;
};

const formatKeywordOrString = (name: string): string => (isKeywordName(name) ? `:${name}` : formatEdnString(name));

/**
 * A faultline history as EDN that Knossos and Elle can read: one map a line
 * (Jepsen's history.edn layout), or, with `vector: true`, wrapped in one
 * vector as Knossos's test data is. Both read back with `parseEdnHistory`.
 */
export const formatEdnHistory = (ops: readonly Op[], options: { vector?: boolean } = {}): string => {
  const lines = ops.map(formatEdnOp);
  if (!options.vector) return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  return lines.length === 0 ? '[]\n' : `[${lines.join('\n ')}]\n`;
};
