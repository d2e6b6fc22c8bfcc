import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../../src/checker/linearizable/check.ts';
import { fromHistory } from '../../../src/checker/linearizable/from-history.ts';
import { getModel } from '../../../src/checker/models/index.ts';
import { type HistoryFormat, readHistoryFile } from '../../../src/history/formats/index.ts';
import { CORPUS_DIR, corpusPresent } from '../../corpus.ts';

/**
 * Every history of the shared corpus (../shared/corpora, read in place,
 * never copied) gets the verdict its own project's suite expects. The kv
 * histories are also checked without partitioning (porcupine's
 * kvNoPartitionModel), which must agree.
 */
const corpus = CORPUS_DIR;
const expectedFile = join(corpus, 'EXPECTED.tsv');
const present = corpusPresent;

const rows = present
  ? readFileSync(expectedFile, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t') as [string, string, string, string, string])
  : [];

const parseInitial = (text: string): unknown => (text === 'nil' ? null : text === '""' ? '' : Number(text));

describe.skipIf(!present)(`corpus ${expectedFile}`, () => {
  it('lists histories', () => {
    expect(rows.length).toBeGreaterThan(50);
  });

  it.each(rows)('%s (%s, %s, initial %s) is %s', async (path, format, model, initial, expected) => {
    const ops = fromHistory(await readHistoryFile(join(corpus, path), format as HistoryFormat));
    expect(ops.length).toBeGreaterThan(0);
    const verdict = (r: string) => (r === 'ok' ? 'valid' : r === 'illegal' ? 'invalid' : r);
    const r = await check(getModel(model, { initial: parseInitial(initial) }), ops, { timeoutMs: 60_000 });
    expect(verdict(r.result)).toBe(expected);
    if (model === 'kv-append') {
      const whole = await check(getModel(model, { initial: parseInitial(initial), partition: false }), ops, {
        timeoutMs: 60_000,
      });
      expect(verdict(whole.result)).toBe(expected);
    }
  });
});
