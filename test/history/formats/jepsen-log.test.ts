import { describe, expect, it } from 'vitest';
import type { FaultlineError } from '../../../src/base/errors.ts';
import { parseJepsenLog } from '../../../src/history/formats/jepsen-log.ts';
import type { Op } from '../../../src/history/op.ts';
import { corpusFiles, corpusPresent, corpusText } from '../../corpus.ts';

const errorOf = (text: string): FaultlineError => {
  try {
    parseJepsenLog(text, 'run.log');
  } catch (e) {
    expect((e as FaultlineError).code).toBe('FL_ERR_HISTORY_PARSE');
    return e as FaultlineError;
  }
  throw new Error('expected a parse error');
};

describe('Jepsen log lines', () => {
  it('reads op lines, skips other lines, and keeps types and values as written', () => {
    const text = [
      '2017-03-03 10:00:00,001 INFO  jepsen.core - Running test',
      'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 1\t:invoke\t:cas\t[3 1]',
      'INFO  jepsen.util - Worker 3 starting',
      'INFO  jepsen.util - 0\t:ok\t:read\t3',
      'INFO  jepsen.util - :nemesis\t:info\t:start\tCut off {:n1 #{:n2}, :n2 #{:n1}}',
      'INFO  jepsen.util - 1\t:fail\t:cas\t[3 1]\t:cas-failed',
      'INFO  jepsen.util - 2\t:invoke\t:write\t4',
      'WARN  jepsen.core - something else entirely',
      '2017-03-03 10:00:01,002{GMT}\tINFO  jepsen.util - 2\t:info\t:write\t:timed-out',
      'INFO  jepsen.util - :nemesis\t:info\t:stop\t"fully connected"',
      '2024-01-01 12:00:00,000{GMT}\tINFO\t[jepsen worker 3] jepsen.util: 3\t:invoke\t:read\tnil',
      '',
    ].join('\n');
    expect(parseJepsenLog(text)).toEqual<Op[]>([
      { index: 0, time: 0, type: 'invoke', process: 0, f: 'read', value: null },
      { index: 1, time: 1, type: 'invoke', process: 1, f: 'cas', value: [3, 1] },
      { index: 2, time: 2, type: 'ok', process: 0, f: 'read', value: 3 },
      { index: 3, time: 3, type: 'info', process: 'nemesis', f: 'start', value: 'Cut off {:n1 #{:n2}, :n2 #{:n1}}' },
      { index: 4, time: 4, type: 'fail', process: 1, f: 'cas', value: [3, 1], error: 'cas-failed' },
      { index: 5, time: 5, type: 'invoke', process: 2, f: 'write', value: 4 },
      { index: 6, time: 6, type: 'info', process: 2, f: 'write', value: 'timed-out' },
      { index: 7, time: 7, type: 'info', process: 'nemesis', f: 'stop', value: 'fully connected' },
      { index: 8, time: 8, type: 'invoke', process: 3, f: 'read', value: null },
    ]);
  });

  it('accepts spaces instead of tabs and CRLF line ends', () => {
    const ops = parseJepsenLog(
      'INFO  jepsen.util - 7 :invoke :cas [nil 2]\r\nINFO  jepsen.util - 7 :ok :cas [nil 2]\r\n',
    );
    expect(ops.map((o) => [o.process, o.type, o.f, o.value])).toEqual([
      [7, 'invoke', 'cas', [null, 2]],
      [7, 'ok', 'cas', [null, 2]],
    ]);
  });

  it('reports a malformed value with its line', () => {
    const e = errorOf('INFO  jepsen.util - 0\t:invoke\t:read\tnil\n\nINFO  jepsen.util - 0\t:ok\t:cas\t[3 1\n');
    expect(e.line).toBe(3);
    expect(e.describe()).toBe("run.log:3: unterminated '[' starting at line 3: expected ']' before the end of input");
  });

  it('reports a missing function and a bad one', () => {
    expect(errorOf('x\nINFO  jepsen.util - 0\t:invoke').describe()).toBe(
      'run.log:2: expected a function like :read after the op type but the line ends',
    );
    expect(errorOf('INFO  jepsen.util - 0\t:invoke\t42\tnil').message).toBe(
      'expected :f to be a keyword like :read but found the number 42',
    );
    expect(errorOf('INFO  jepsen.util - 0\t:ok\t:read\t3 4 5').message).toMatch(/expected the end of the line/);
  });
});

describe.skipIf(!corpusPresent)('Jepsen log corpus (porcupine etcd)', () => {
  const files = corpusFiles('porcupine/etcd').filter((f) => f.endsWith('.log'));

  it('finds the 50 etcd logs', () => {
    expect(files).toHaveLength(50);
  });

  it('parses every log: one op per jepsen.util line, with cas-register shapes', () => {
    for (const file of files) {
      const text = corpusText(file);
      const ops = parseJepsenLog(text, file);
      expect(ops.length, file).toBe(text.match(/jepsen\.util - /g)?.length);
      const odd = ops.filter((op, i) => {
        if (op.index !== i || op.time !== i || typeof op.process !== 'number') return true;
        if (op.type === 'info') return op.value !== 'timed-out';
        if (op.f === 'cas') return !(Array.isArray(op.value) && op.value.length === 2);
        if (op.f === 'read') return op.value !== null && typeof op.value !== 'number';
        return op.f !== 'write' || typeof op.value !== 'number';
      });
      expect(odd, file).toEqual([]);
    }
  });

  it('reads etcd_000.log', () => {
    const ops = parseJepsenLog(corpusText('porcupine/etcd/etcd_000.log'));
    expect(ops).toHaveLength(170);
    expect(ops[18]).toEqual({ index: 18, time: 18, type: 'invoke', process: 2, f: 'cas', value: [3, 0] });
    expect(ops[60]).toMatchObject({ type: 'info', process: 4, f: 'write', value: 'timed-out' });
  });
});
