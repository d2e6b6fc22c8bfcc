import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { FaultlineError, isFaultlineError } from '../../base/errors.ts';
import { parseJsonlHistory } from '../jsonl.ts';
import type { Op } from '../op.ts';
import { checkWellFormed, hasClientOps } from '../well-formed.ts';
import { parseEdnHistory } from './edn.ts';
import { parseJepsenLog } from './jepsen-log.ts';
import { parsePorcupineKv } from './porcupine-kv.ts';

/**
 * The history formats faultline reads, and how to tell them apart.
 * Every reader returns faultline Ops with dense `index` and non-decreasing
 * `time`; see each reader for how it maps its format.
 */
export type HistoryFormat = 'jsonl' | 'edn' | 'jepsen-log' | 'porcupine-kv';

export const HISTORY_FORMATS: readonly HistoryFormat[] = ['jsonl', 'edn', 'jepsen-log', 'porcupine-kv'];

export { formatEdnHistory, parseEdnHistory } from './edn.ts';
export { parseJepsenLog } from './jepsen-log.ts';
export { parsePorcupineKv } from './porcupine-kv.ts';

const PARSERS: Record<HistoryFormat, (text: string, file: string) => Op[]> = {
  jsonl: (text, file) => parseJsonlHistory(text, file).ops,
  edn: parseEdnHistory,
  'jepsen-log': parseJepsenLog,
  'porcupine-kv': parsePorcupineKv,
};

export const parseHistory = (text: string, format: HistoryFormat, file = '<history>'): Op[] =>
  PARSERS[format](text, file);

/** The first lines that are neither blank nor `;` comments. */
const firstLines = (text: string, n: number): string[] => {
  const out: string[] = [];
  let start = 0;
  while (out.length < n && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    if (line !== '' && !line.startsWith(';')) out.push(line);
    start = end + 1;
  }
  return out;
};

const PORCUPINE_KV_LINE = /^\{.*:key\s+"[^"]*".*\}$/;

/**
 * Guesses a history's format from its content, then its file name:
 * a JSON object line → jsonl; `jepsen.util -` lines → jepsen-log; EDN maps one
 * a line with a string `:key` → porcupine-kv; other EDN → edn.
 * Returns undefined when nothing fits.
 */
export const detectFormat = (text: string, fileName = ''): HistoryFormat | undefined => {
  const lines = firstLines(text, 50);
  const first = lines[0];
  if (first !== undefined) {
    if (/^\{\s*"/.test(first)) return 'jsonl';
    if (lines.some((l) => /jepsen\.util(?:\s+-|:)\s/.test(l))) return 'jepsen-log';
    if (/^[[({#]/.test(first)) {
      return lines.every((l) => PORCUPINE_KV_LINE.test(l)) ? 'porcupine-kv' : 'edn';
    }
  }
  switch (extname(fileName).toLowerCase()) {
    case '.jsonl':
    case '.json':
      return 'jsonl';
    case '.edn':
      return 'edn';
    case '.log':
      return 'jepsen-log';
    default:
      return undefined;
  }
};

/** Reads and parses a history file. Errors are FL_ERR_HISTORY_PARSE naming the file (and line). */
export const readHistoryFile = async (path: string, format: HistoryFormat | 'auto' = 'auto'): Promise<Op[]> =>
  (await readHistory(path, format)).ops;

/** As readHistoryFile, and says which format was read (the detected one under `auto`). */
export const readHistory = async (
  path: string,
  format: HistoryFormat | 'auto' = 'auto',
): Promise<{ ops: Op[]; format: HistoryFormat }> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(cause);
    throw new FaultlineError('FL_ERR_HISTORY_PARSE', `cannot read the history file: ${reason}`, { file: path, cause });
  }
  const resolved = format === 'auto' ? detectFormat(text, path) : format;
  if (resolved === undefined) {
    throw new FaultlineError('FL_ERR_HISTORY_PARSE', 'cannot tell the format of this history', {
      file: path,
      hint: `pass --format with one of ${HISTORY_FORMATS.join(', ')}`,
    });
  }
  if (!HISTORY_FORMATS.includes(resolved)) {
    throw new FaultlineError('FL_ERR_CONFIG', `unknown history format "${resolved}"`, {
      hint: `use one of auto, ${HISTORY_FORMATS.join(', ')}`,
    });
  }
  let ops: Op[];
  try {
    ops = PARSERS[resolved](text, path);
  } catch (e) {
    if (isFaultlineError(e)) throw e;
    throw new FaultlineError('FL_ERR_HISTORY_PARSE', `cannot parse the history as ${resolved}: ${String(e)}`, {
      file: path,
      cause: e,
    });
  }
  checkWellFormed(ops, { file: path });
  if (!hasClientOps(ops)) {
    throw new FaultlineError(
      'FL_ERR_HISTORY_PARSE',
      'the history has no client operations: there is nothing to check',
      {
        file: path,
      },
    );
  }
  return { ops, format: resolved };
};
