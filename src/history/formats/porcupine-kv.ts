import type { Op } from '../op.ts';
import { readEdnHistoryForms } from './edn.ts';
import { describeEdn, EdnMap } from './edn-data.ts';
import { ednToOp, historyError } from './edn-op.ts';

/**
 * porcupine's key-value test data: one EDN map a line,
 *
 *   {:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}
 *
 * with f in get/put/append, `:key` a string and `:value` a string (nil on a
 * get's invoke). It is EDN, so it is read as an EDN history, then checked for
 * the key and value shapes the kv models rely on. `time` is the op's position.
 */
export const parsePorcupineKv = (text: string, file = '<kv.txt>'): Op[] =>
  readEdnHistoryForms(text, file).map((form, i) => {
    const where = { file, line: form.line };
    const op = ednToOp(form.value, i, where);
    const m = form.value as EdnMap; // ednToOp accepted it, so it is a map
    const key = m instanceof EdnMap ? m.get('key') : undefined;
    if (typeof key !== 'string') {
      throw historyError(`expected :key to be a string like "0" but found ${describeEdn(key)}`, where);
    }
    if (op.value !== null && typeof op.value !== 'string') {
      throw historyError(`expected :value to be a string or nil but found ${describeEdn(m.get('value'))}`, where);
    }
    return op;
  });
