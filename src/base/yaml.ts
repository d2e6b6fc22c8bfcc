import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { configError } from './errors.ts';

/** A parsed YAML file that can say which line a key path is on, for error messages. */
export interface YamlSource {
  file: string;
  data: unknown;
  /** 1-based line of the node at `path`, or of its nearest existing ancestor. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

export const parseYaml = (text: string, file: string): YamlSource => {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? lineCounter.linePos(first.pos[0]).line;
    throw configError(`malformed YAML: ${first.message.split('\n')[0]}`, { file, ...(line ? { line } : {}) });
  }
  let data: unknown;
  try {
    // toJS expands aliases; the yaml library refuses an alias bomb (a billion laughs) with a ReferenceError.
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw configError(`YAML could not be read: ${(e as Error).message}`, { file, cause: e });
  }
  return {
    file,
    data,
    lineOf(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
        if (node?.range) return lineCounter.linePos(node.range[0]).line;
        // getIn on a pair key returns the scalar value; fall back to the parent
      }
      return undefined;
    },
  };
};

export const readYamlFile = async (file: string): Promise<YamlSource> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw configError(`cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
  return parseYaml(text, file);
};
