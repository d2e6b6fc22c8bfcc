import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../src/base/ts-node.ts';

/**
 * The shared corpus of reference histories with known verdicts (see its
 * README.md), read in place and never copied into the repo: $FAULTLINE_CORPUS,
 * else ../shared/corpora beside the checkout, else /work/shared/corpora.
 * Suites that need it skip with a warning naming where they looked.
 */
const CANDIDATES = [
  process.env.FAULTLINE_CORPUS,
  join(packagePath('.'), '..', 'shared', 'corpora'),
  '/work/shared/corpora',
];
export const CORPUS_DIR =
  CANDIDATES.find((d): d is string => d !== undefined && existsSync(join(d, 'EXPECTED.tsv'))) ??
  CANDIDATES.find((d): d is string => d !== undefined)!;
export const corpusPresent = existsSync(join(CORPUS_DIR, 'EXPECTED.tsv'));
if (!corpusPresent) {
  console.warn(
    `[faultline] corpus not found (looked in ${CANDIDATES.filter(Boolean).join(', ')}): corpus tests are SKIPPED; set FAULTLINE_CORPUS`,
  );
}

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
