import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CheckHistoryOptions, parseInitial, runCheckHistory } from '../../src/cli/check-history.ts';
import { formatEdnHistory } from '../../src/history/formats/edn.ts';
import type { Op } from '../../src/history/op.ts';
import { CORPUS_DIR, corpusPresent, corpusRows } from '../corpus.ts';

const dir = mkdtempSync(join(tmpdir(), 'faultline-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** Runs the command in-process and captures what it prints. */
const run = async (
  options: Omit<CheckHistoryOptions, 'out' | 'err' | 'format'> & { format?: CheckHistoryOptions['format'] },
) => {
  const lines: string[] = [];
  const code = await runCheckHistory({
    format: 'auto',
    ...options,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
  });
  return { code, text: lines.join('\n') };
};

const corpus = (path: string) => join(CORPUS_DIR, path);

describe('parseInitial reads --initial as EDN', () => {
  it('nil, numbers, strings, and an empty argument as the empty string', () => {
    expect(parseInitial(undefined)).toBeUndefined();
    expect(parseInitial('nil')).toBeNull();
    expect(parseInitial('0')).toBe(0);
    expect(parseInitial('""')).toBe('');
    expect(parseInitial('')).toBe('');
    expect(parseInitial('"a b"')).toBe('a b');
    expect(parseInitial('[1 2]')).toEqual([1, 2]);
  });

  it('rejects what is not one EDN value, as a config error', () => {
    expect(() => parseInitial('"open')).toThrow(/--initial "\\"open" is not an EDN value: unterminated string/);
    expect(() => parseInitial('1 2')).toThrow(expect.objectContaining({ code: 'FL_ERR_CONFIG' }));
  });
});

describe('exit codes on hand-made histories', () => {
  const ops = (spec: Array<[number, Op['type'], string, unknown]>): Op[] =>
    spec.map(([process, type, f, value], index) => ({ index, time: index * 1000, type, process, f, value }));

  it('0 for a linearizable history, with the verdict printed', async () => {
    const file = write(
      'ok.edn',
      formatEdnHistory(
        ops([
          [0, 'invoke', 'write', 1],
          [1, 'invoke', 'read', null],
          [0, 'ok', 'write', 1],
          [1, 'ok', 'read', 1],
        ]),
      ),
    );
    const { code, text } = await run({ history: file, model: 'cas-register', initial: '0' });
    expect(code).toBe(0);
    expect(text).toContain(`history  ${file} (edn): 4 ops, 2 client operations, 0 nemesis`);
    expect(text).toContain('model    cas-register, initial 0');
    expect(text).toMatch(/verdict {2}linearizable \(1 partition, checked in/);
    expect(text).not.toContain('nobody observed');
  });

  it('says how many crashed operations nobody observed it left out', async () => {
    // Two timed-out writes: 2 is read back, 3 never is.
    const file = write(
      'crashed.edn',
      formatEdnHistory(
        ops([
          [0, 'invoke', 'write', 2],
          [0, 'info', 'write', 2],
          [1, 'invoke', 'write', 3],
          [1, 'info', 'write', 3],
          [2, 'invoke', 'read', null],
          [2, 'ok', 'read', 2],
        ]),
      ),
    );
    const { code, text } = await run({ history: file, model: 'cas-register', initial: '0' });
    expect(code).toBe(0);
    expect(text).toContain('1 crashed operation nobody observed left out of the search');
  });

  it('1 for a stale read, naming the partition and the operation that fails', async () => {
    const file = write(
      'bad.jsonl',
      `${ops([
        [0, 'invoke', 'write', 1],
        [0, 'ok', 'write', 1],
        [1, 'invoke', 'read', null],
        [1, 'ok', 'read', 0],
      ])
        .map((o) => JSON.stringify(o))
        .join('\n')}\n`,
    );
    const html = join(dir, 'bad.html');
    const { code, text } = await run({ history: file, model: 'cas-register', initial: '0', html });
    expect(code).toBe(1);
    expect(text).toMatch(/verdict {2}NOT linearizable/);
    expect(text).toContain('failing partition 0: 2 operations');
    expect(text).toContain('the longest linearization covers 1 of 2 operations and ends in state 1');
    expect(text).toMatch(/1\. write\(1\)\s+state 0 → 1\s+\(process 0, op #0\)/);
    expect(text).toMatch(/read\(\) → 0 — the model rejects it in state 1\s+\(process 1, op #2\)/);
    expect(text).toContain(`html     ${html}`);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<script type="application/json" class="fl-lin-data">');
    expect(page).toContain('0.001 ms'); // jsonl times are ns, shown in ms
  });

  it("1 for a read of a value never written after many crashed writes, named by the model's pre-check", async () => {
    const spec: Array<[number, Op['type'], string, unknown]> = [];
    for (let p = 0; p < 400; p++) spec.push([p, 'invoke', 'write', p + 1]);
    for (let p = 0; p < 400; p++) spec.push([p, 'info', 'write', p + 1]);
    // Each crashed write read back once (so the search cannot leave them out as unobserved), then a read of a value never written.
    for (let p = 0; p < 400; p++) spec.push([500, 'invoke', 'read', null], [500, 'ok', 'read', p + 1]);
    spec.push([500, 'invoke', 'read', null], [500, 'ok', 'read', 42_000]);
    const file = write('never-written.edn', formatEdnHistory(ops(spec)));
    const html = join(dir, 'never-written.html');
    const { code, text } = await run({ history: file, model: 'cas-register', initial: '0', html, timeoutMs: 60_000 });
    expect(code).toBe(1);
    expect(text).toMatch(/verdict {2}NOT linearizable/);
    expect(text).toContain("an operation no reachable state accepts, found by the model's pre-check:");
    expect(text).toMatch(
      /read\(\) → 42000 — pre-check: it reads 42000, which no operation .*\(process 500, op #1600\)/,
    );
    expect(text).not.toContain('the longest linearization covers');
    expect(readFileSync(html, 'utf8')).toContain("found by the model's pre-check, without a search");
  });

  it('checks each key of a keyed history as its own register, as a run does', async () => {
    const keyed = (key: string, o: Op): Op => ({ ...o, key });
    const history = ops([
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [1, 'invoke', 'write', 2],
      [1, 'ok', 'write', 2],
      [0, 'invoke', 'read', null],
      [0, 'ok', 'read', 1],
    ]).map((o, i) => keyed(i < 2 || i >= 4 ? 'a' : 'b', o));
    const file = write('keyed.jsonl', history.map((o) => JSON.stringify(o)).join('\n'));
    const { code, text } = await run({ history: file, model: 'cas-register', initial: 'nil' });
    expect(text).toMatch(/verdict {2}linearizable \(2 partitions/);
    expect(code).toBe(0);
  });

  it('2 when the check runs out of time', async () => {
    // Many indeterminate writes, each read by a read concurrent with everything (so none is left out
    // as unobserved), then reads no order explains: the search has 2^n subsets to try.
    const n = 26;
    const spec: Array<[number, Op['type'], string, unknown]> = [];
    for (let p = 0; p < n; p++) spec.push([200 + p, 'invoke', 'read', null]);
    for (let p = 0; p < n; p++) spec.push([p, 'invoke', 'write', p + 1]);
    for (let p = 0; p < n; p++) spec.push([p, 'info', 'write', p + 1]);
    spec.push([100, 'invoke', 'read', null], [100, 'ok', 'read', 3], [100, 'invoke', 'read', null]);
    spec.push([100, 'ok', 'read', 4], [100, 'invoke', 'read', null], [100, 'ok', 'read', 3]);
    for (let p = 0; p < n; p++) spec.push([200 + p, 'ok', 'read', p + 1]);
    const file = write('hard.edn', formatEdnHistory(ops(spec)));
    const { code, text } = await run({ history: file, model: 'cas-register', initial: '0', timeoutMs: 300 });
    expect(code).toBe(2);
    expect(text).toContain('verdict  unknown: timed out after 300ms');
    expect(text).not.toContain('nobody observed'); // every crashed write is read: none left out
  });
});

describe('exit 3 when the history or the options cannot be used', () => {
  it('a malformed file: its line and what was expected', async () => {
    const file = write(
      'broken.edn',
      '[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :ok, :f :read, :value "x}]\n',
    );
    const { code, text } = await run({ history: file, model: 'cas-register' });
    expect(code).toBe(3);
    expect(text).toBe(`error: ${file}:2: unterminated string starting at line 2`);
  });

  it('an op that is not an op', async () => {
    const file = write(
      'notop.edn',
      '{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :done, :f :read}\n',
    );
    const { code, text } = await run({ history: file, model: 'cas-register' });
    expect(code).toBe(3);
    expect(text).toBe(
      `error: ${file}:2: expected :type to be :invoke, :ok, :fail or :info but found the keyword :done`,
    );
  });

  it('a missing file, an unknown format, an unknown model, a bad --initial', async () => {
    const missing = join(dir, 'missing.edn');
    expect(await run({ history: missing, model: 'cas-register' })).toEqual({
      code: 3,
      text: `error: ${missing}: cannot read the history file: no such file`,
    });
    const prose = write('prose.txt', 'hello world\n');
    expect((await run({ history: prose, model: 'cas-register' })).text).toMatch(
      /^error: .*prose\.txt: cannot tell the format of this history\nHint: pass --format/,
    );
    const ok = write('one.edn', '{:process 0, :type :invoke, :f :read, :value nil}\n');
    const unknownModel = await run({ history: ok, model: 'nope' });
    expect(unknownModel.code).toBe(3);
    expect(unknownModel.text).toMatch(/^error: unknown model "nope"; known models: .*cas-register/);
    const badInitial = await run({ history: ok, model: 'cas-register', initial: '[1' });
    expect(badInitial.code).toBe(3);
    expect(badInitial.text).toMatch(/^error: --initial "\[1" is not an EDN value/);
  });

  it('a forced format that does not fit the file', async () => {
    const file = write('log.txt', 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\n');
    const { code, text } = await run({ history: file, model: 'cas-register', format: 'porcupine-kv' });
    expect(code).toBe(3);
    expect(text).toBe(
      `error: ${file}:1: expected a map like {:type :invoke, :f :read, :process 0} but found the symbol INFO`,
    );
  });
});

describe.skipIf(!corpusPresent)('exit codes on corpus histories', () => {
  it('etcd logs (jepsen-log, initial nil): 1 for etcd_000, 0 for etcd_005', async () => {
    const bad = await run({ history: corpus('porcupine/etcd/etcd_000.log'), model: 'cas-register', initial: 'nil' });
    expect(bad.code).toBe(1);
    expect(bad.text).toContain('(jepsen-log): 170 ops, 65 client operations, 0 nemesis');
    expect(bad.text).toContain('operations that could not be linearized next');
    const good = await run({ history: corpus('porcupine/etcd/etcd_005.log'), model: 'cas-register', initial: 'nil' });
    expect(good.code).toBe(0);
  });

  it('knossos EDN (initial 0): 0 for a good history, 1 for cas-failure.edn with its nemesis ops', async () => {
    const good = await run({
      history: corpus('knossos/cas-register/good/cas-register-bug.edn'),
      model: 'cas-register',
      initial: '0',
    });
    expect(good.code).toBe(0);
    const html = join(dir, 'cas-failure.html');
    const bad = await run({
      history: corpus('knossos/cas-register/bad/cas-failure.edn'),
      model: 'cas-register',
      initial: '0',
      html,
    });
    expect(bad.code).toBe(1);
    expect(bad.text).toContain('590 ops, 206 client operations, 8 nemesis');
    expect(readFileSync(html, 'utf8')).toContain('class="fl-lin"');
  });

  it('porcupine kv (kv-append, initial ""): 0 for c01-ok, 1 for c01-bad', async () => {
    expect((await run({ history: corpus('porcupine/kv/c01-ok.txt'), model: 'kv-append', initial: '""' })).code).toBe(0);
    const bad = await run({ history: corpus('porcupine/kv/c01-bad.txt'), model: 'kv-append', initial: '' });
    expect(bad.code).toBe(1);
    expect(bad.text).toContain('(porcupine-kv)');
    expect(bad.text).toMatch(/failing partition \d+ \(key "\d+"\)/);
  });
});

describe.skipIf(!corpusPresent)('every EXPECTED.tsv row through the command', () => {
  it('auto-detects the format, reads the initial value as EDN and exits 0 for valid, 1 for invalid', async () => {
    const wrong: string[] = [];
    for (const row of corpusRows()) {
      const { code, text } = await run({ history: corpus(row.path), model: row.model, initial: row.initial });
      if (code !== (row.expected === 'valid' ? 0 : 1)) wrong.push(`${row.path}: exit ${code}\n${text}`);
      expect(text, row.path).toContain(`(${row.format})`);
    }
    expect(wrong).toEqual([]);
  });
});
