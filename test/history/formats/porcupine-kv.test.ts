import { describe, expect, it } from 'vitest';
import type { FaultlineError } from '../../../src/base/errors.ts';
import { parsePorcupineKv } from '../../../src/history/formats/porcupine-kv.ts';
import { corpusFiles, corpusPresent, corpusText } from '../../corpus.ts';

const errorOf = (text: string): FaultlineError => {
  try {
    parsePorcupineKv(text, 'kv.txt');
  } catch (e) {
    expect((e as FaultlineError).code).toBe('FL_ERR_HISTORY_PARSE');
    return e as FaultlineError;
  }
  throw new Error('expected a parse error');
};

describe('porcupine kv lines', () => {
  it('reads get/put/append maps with string keys', () => {
    const ops = parsePorcupineKv(
      '{:process 0, :type :invoke, :f :get, :key "5", :value nil}\n' +
        '{:process 0, :type :ok, :f :get, :key "5", :value ""}\n' +
        '{:process 1, :type :invoke, :f :append, :key "0", :value "x 1 0 y"}\n',
    );
    expect(ops).toEqual([
      { index: 0, time: 0, type: 'invoke', process: 0, f: 'get', key: '5', value: null },
      { index: 1, time: 1, type: 'ok', process: 0, f: 'get', key: '5', value: '' },
      { index: 2, time: 2, type: 'invoke', process: 1, f: 'append', key: '0', value: 'x 1 0 y' },
    ]);
  });

  it('requires a string key and a string or nil value, naming the line', () => {
    const e = errorOf(
      '{:process 0, :type :invoke, :f :get, :key "5", :value nil}\n{:process 0, :type :ok, :f :get, :value ""}',
    );
    expect(e.describe()).toBe('kv.txt:2: expected :key to be a string like "0" but found nothing');
    expect(errorOf('{:process 0, :type :invoke, :f :put, :key :k, :value "a"}').message).toBe(
      'expected :key to be a string like "0" but found the keyword :k',
    );
    expect(errorOf('{:process 0, :type :invoke, :f :put, :key "k", :value 3}').message).toBe(
      'expected :value to be a string or nil but found the number 3',
    );
    expect(errorOf('{:process 0, :type :invoke, :f :put, :key "k", :value "a}').message).toBe(
      'unterminated string starting at line 1',
    );
  });
});

describe.skipIf(!corpusPresent)('porcupine kv corpus', () => {
  const files = corpusFiles('porcupine/kv').filter((f) => f.endsWith('.txt'));

  it('parses the four kv files to one op per line', () => {
    expect(files).toHaveLength(4);
    for (const file of files) {
      const text = corpusText(file);
      const ops = parsePorcupineKv(text, file);
      expect(ops.length, file).toBe(text.trim().split('\n').length);
      expect(new Set(ops.map((o) => o.f))).toEqual(new Set(['get', 'put', 'append']));
      expect(ops.every((o) => typeof o.key === 'string' && typeof o.process === 'number')).toBe(true);
    }
    expect(parsePorcupineKv(corpusText('porcupine/kv/c10-bad.txt'))).toHaveLength(810);
  });
});
