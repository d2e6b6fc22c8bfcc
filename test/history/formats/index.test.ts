import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FaultlineError } from '../../../src/base/errors.ts';
import { detectFormat, readHistoryFile } from '../../../src/history/formats/index.ts';
import { formatHistoryLine } from '../../../src/history/jsonl.ts';
import { CORPUS_DIR, corpusPresent, corpusRows, corpusText } from '../../corpus.ts';

const dir = mkdtempSync(join(tmpdir(), 'faultline-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('detectFormat', () => {
  it('tells the formats apart by content', () => {
    expect(detectFormat('{"index":0,"time":1,"type":"invoke","process":0,"f":"read","value":null}\n')).toBe('jsonl');
    expect(detectFormat('INFO  jepsen.util - 0\t:invoke\t:read\tnil\n')).toBe('jepsen-log');
    expect(detectFormat('x\tINFO\t[jepsen worker 0] jepsen.util: 0\t:invoke\t:read\tnil\n')).toBe('jepsen-log');
    expect(detectFormat('; comment\n[{:process 0, :type :invoke, :f :read, :value nil}]')).toBe('edn');
    expect(detectFormat('{:process 0, :type :invoke, :f :read, :value nil}\n')).toBe('edn');
    expect(detectFormat('{:process 0, :type :invoke, :f :get, :key "1", :value nil}\n')).toBe('porcupine-kv');
  });

  it('falls back on the file name, and gives up on unknown text', () => {
    expect(detectFormat('', 'x.edn')).toBe('edn');
    expect(detectFormat('', 'x.jsonl')).toBe('jsonl');
    expect(detectFormat('hello', 'x.txt')).toBeUndefined();
  });

  it.skipIf(!corpusPresent)('detects every corpus file as EXPECTED.tsv says', () => {
    for (const row of corpusRows()) expect(detectFormat(corpusText(row.path), row.path), row.path).toBe(row.format);
  });
});

describe('readHistoryFile', () => {
  it('reads faultline jsonl, header included', async () => {
    const p = write(
      'h.jsonl',
      formatHistoryLine({ index: 0, time: 5, type: 'invoke', process: 0, f: 'read', value: null }) +
        formatHistoryLine({ index: 1, time: 9, type: 'ok', process: 0, f: 'read', value: 2 }),
    );
    expect(await readHistoryFile(p)).toHaveLength(2);
    expect((await readHistoryFile(p, 'jsonl'))[1]).toMatchObject({ time: 9, value: 2 });
  });

  it('honours an explicit format over detection', async () => {
    const line = (type: string) => `{:process 0, :type :${type}, :f :put, :key "1", :value "a"}\n`;
    const p = write('kv.txt', line('invoke') + line('ok'));
    expect((await readHistoryFile(p, 'edn'))[1]).toEqual({
      index: 1,
      time: 1,
      type: 'ok',
      process: 0,
      f: 'put',
      key: '1',
      value: 'a',
    });
    await expect(readHistoryFile(p, 'jsonl')).rejects.toMatchObject({ code: 'FL_ERR_HISTORY_PARSE', line: 1 });
  });

  it('names the file when it is missing, malformed or of unknown format', async () => {
    const missing = join(dir, 'nope.edn');
    await expect(readHistoryFile(missing)).rejects.toThrow(FaultlineError);
    await expect(readHistoryFile(missing)).rejects.toMatchObject({
      file: missing,
      message: 'cannot read the history file: no such file',
    });
    const bad = write('bad.edn', '[{:process 0, :type :invoke, :f :read}\n {:process 1 :type :ok}]\n');
    await expect(readHistoryFile(bad)).rejects.toMatchObject({ file: bad, line: 2 });
    const unknown = write('what.txt', 'hello\n');
    const e = await readHistoryFile(unknown).catch((x: FaultlineError) => x);
    expect((e as FaultlineError).describe()).toBe(
      `${unknown}: cannot tell the format of this history\nHint: pass --format with one of jsonl, edn, jepsen-log, porcupine-kv`,
    );
  });

  it.skipIf(!corpusPresent)('reads a corpus file by path with auto detection', async () => {
    const ops = await readHistoryFile(join(CORPUS_DIR, 'porcupine/etcd/etcd_002.log'));
    expect(ops.length).toBeGreaterThan(100);
  });
});
