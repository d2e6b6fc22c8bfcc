import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shared corpus of reference histories (see its README.md); never copied into the repo. */
export const CORPUS_DIR = process.env.FAULTLINE_CORPUS ?? '/work/shared/corpora';
export const corpusPresent = existsSync(join(CORPUS_DIR, 'EXPECTED.tsv'));
if (!corpusPresent) console.warn(`corpus not found at ${CORPUS_DIR}: corpus tests are skipped (set FAULTLINE_CORPUS)`);

export interface CorpusRow {
  path: string;
  format: string;
  model: string;
  initial: string;
  expected: 'valid' | 'invalid';
}

export const corpusRows = (): CorpusRow[] =>
  corpusPresent
    ? readFileSync(join(CORPUS_DIR, 'EXPECTED.tsv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => {
          const [path, format, model, initial, expected] = l.split('\t') as [string, string, string, string, string];
          return { path, format, model, initial, expected: expected as CorpusRow['expected'] };
        })
    : [];

export const corpusText = (path: string): string => readFileSync(join(CORPUS_DIR, path), 'utf8');
export const corpusFiles = (dir: string): string[] =>
  corpusPresent ? readdirSync(join(CORPUS_DIR, dir)).map((f) => join(dir, f)) : [];
