import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../../src/base/errors.ts';
import {
  EdnList,
  EdnMap,
  EdnSet,
  EdnSymbol,
  EdnTagged,
  formatEdn,
  formatEdnHistory,
  Keyword,
  parseEdn,
  parseEdnHistory,
  toPlain,
} from '../../../src/history/formats/edn.ts';
import type { Op } from '../../../src/history/op.ts';
import { corpusFiles, corpusPresent, corpusText } from '../../corpus.ts';

/** Runs `fn`, expecting a FL_ERR_HISTORY_PARSE; returns it. */
const parseErrorOf = (fn: () => unknown): FaultlineError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FaultlineError);
    expect((e as FaultlineError).code).toBe('FL_ERR_HISTORY_PARSE');
    return e as FaultlineError;
  }
  throw new Error('expected a parse error');
};

describe('EDN values', () => {
  it('reads scalars: nil, booleans, integers, floats, strings, characters, keywords, symbols', () => {
    expect(parseEdn('nil')).toBeNull();
    expect(parseEdn('true')).toBe(true);
    expect(parseEdn('false')).toBe(false);
    expect(parseEdn('-42')).toBe(-42);
    expect(parseEdn('+7')).toBe(7);
    expect(parseEdn('1.5')).toBe(1.5);
    expect(parseEdn('1e3')).toBe(1000);
    expect(parseEdn('-2.5E-1')).toBe(-0.25);
    expect(parseEdn('3.25M')).toBe(3.25);
    expect(parseEdn('1/4')).toBe(0.25);
    expect(parseEdn('"a\\tb\\n\\"c\\" \\\\ \\u00e9"')).toBe('a\tb\n"c" \\ é');
    expect(parseEdn('\\a')).toBe('a');
    expect(parseEdn('\\newline')).toBe('\n');
    expect(parseEdn('\\u0041')).toBe('A');
    expect(parseEdn(':timed-out')).toEqual(new Keyword('timed-out'));
    expect(parseEdn(':jepsen/op')).toEqual(new Keyword('jepsen/op'));
    expect(parseEdn('foo.bar/baz')).toEqual(new EdnSymbol('foo.bar/baz'));
    expect(parseEdn('##Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseEdn('##NaN')).toBeNaN();
  });

  it('keeps integers beyond 2^53 exact as bigint, and as decimal strings in plain data', () => {
    expect(parseEdn('9007199254740991')).toBe(9007199254740991);
    expect(parseEdn('9007199254740993')).toBe(9007199254740993n);
    expect(parseEdn('12N')).toBe(12n);
    expect(toPlain(parseEdn('[9007199254740993]'))).toEqual(['9007199254740993']);
  });

  it('reads collections, with commas as whitespace and comments skipped', () => {
    const v = parseEdn('{:a [1, 2 (3 4)] ; comment\n "k" #{:x} nil {:n 1}}');
    expect(v).toBeInstanceOf(EdnMap);
    const m = v as EdnMap;
    expect(m.get('a')).toEqual([1, 2, new EdnList([3, 4])]);
    expect(m.entries[1]).toEqual(['k', new EdnSet([new Keyword('x')])]);
    expect(toPlain(v)).toEqual({ a: [1, 2, [3, 4]], k: ['x'], nil: { n: 1 } });
  });

  it('skips #_ discarded forms and reads tagged literals', () => {
    expect(parseEdn('[1 #_ 2 3 #_[4 5]]')).toEqual([1, 3]);
    expect(parseEdn('#_ :gone :kept')).toEqual(new Keyword('kept'));
    const t = parseEdn('#inst "2024-01-01T00:00:00Z"');
    expect(t).toEqual(new EdnTagged('inst', '2024-01-01T00:00:00Z'));
    expect(toPlain(t)).toBe('2024-01-01T00:00:00Z');
    expect(toPlain(parseEdn('#object[java.lang.Exception 0x1f "boom"]'))).toEqual(['java.lang.Exception', 31, 'boom']);
  });

  it('writes plain data that reads back to the same plain data', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const plain = JSON.parse(JSON.stringify(v)); // as a history value would be: no -0

        expect(toPlain(parseEdn(formatEdn(plain)))).toEqual(plain);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a "__proto__" key as data', () => {
    const v = toPlain(parseEdn('{"__proto__" {:polluted true}, :a 1}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(formatEdn(v)).toBe('{:__proto__ {:polluted true}, :a 1}');
  });

  it('writes keywords for keyword-like keys and strings for the rest', () => {
    expect(formatEdn({ a: 1, 'b c': 'x', '': null, '1x': [true] })).toBe('{:a 1, "b c" "x", "" nil, "1x" [true]}');
    expect(formatEdn('</script>\u2028"\\')).toBe('"</script>\\u2028\\"\\\\"');
    expect(formatEdn(Number.NaN)).toBe('##NaN');
    expect(formatEdn(12n)).toBe('12N');
  });
});

describe('EDN syntax errors name the line and what was expected', () => {
  it('unterminated string', () => {
    const e = parseErrorOf(() => parseEdn('[1\n2\n "abc\n\n', 'h.edn'));
    expect(e.line).toBe(3);
    expect(e.file).toBe('h.edn');
    expect(e.message).toBe('unterminated string starting at line 3');
  });

  it('unterminated vector', () => {
    const e = parseErrorOf(() => parseEdn('\n[{:a 1}\n {:a 2}\n'));
    expect(e.message).toBe("unterminated '[' starting at line 2: expected ']' before the end of input");
  });

  it('mismatched closer', () => {
    const e = parseErrorOf(() => parseEdn('[\n{:a 1]\n'));
    expect(e.line).toBe(2);
    expect(e.message).toBe("unexpected ']'; expected '}' to close the '{' opened at line 2");
  });

  it('odd map', () => {
    const e = parseErrorOf(() => parseEdn('\n\n{:a 1 :b}'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/odd number of forms \(3\); expected key value pairs/);
  });

  it('duplicate keys', () => {
    expect(parseErrorOf(() => parseEdn('[\n{:a 1, :b 2, :a 3}]')).message).toBe(
      'the map starting at line 2 has the key :a twice',
    );
  });

  it('bad escape, bad number, bad token', () => {
    expect(parseErrorOf(() => parseEdn('"a\\qb"')).message).toMatch(/unknown escape '\\q'/);
    expect(parseErrorOf(() => parseEdn('12x')).message).toBe("invalid number '12x'");
    expect(parseErrorOf(() => parseEdn('[1 @foo]')).message).toMatch(/unexpected '@foo'; expected a value/);
    expect(parseErrorOf(() => parseEdn('1 2')).message).toMatch(/expected the end of input/);
  });
});

describe('EDN histories', () => {
  const knossos = `; a comment before the history
[{:process 0, :type :invoke, :f :cas, :value [1 2]}
 {:process 0 :type :ok :f :cas :value [1 2]}
 ; a comment between ops
 {:process :nemesis, :type :info, :f :start,
  :value "Cut off [:n1 #{:n2}]"}
 {:process 1, :type :invoke, :f :read, :value nil, :error [:timeout nil], :node :n3}
 {:process 1, :type :info, :f :read, :value :timed-out, :time 99}]
`;

  it('reads a Knossos vector of maps into faultline ops', () => {
    const ops = parseEdnHistory(knossos, 'k.edn');
    expect(ops).toEqual<Op[]>([
      { index: 0, time: 0, type: 'invoke', process: 0, f: 'cas', value: [1, 2] },
      { index: 1, time: 1, type: 'ok', process: 0, f: 'cas', value: [1, 2] },
      { index: 2, time: 2, type: 'info', process: 'nemesis', f: 'start', value: 'Cut off [:n1 #{:n2}]' },
      { index: 3, time: 3, type: 'invoke', process: 1, f: 'read', value: null, node: 'n3', error: '[:timeout nil]' },
      { index: 4, time: 99, type: 'info', process: 1, f: 'read', value: 'timed-out' },
    ]);
  });

  it('reads one map a line (Jepsen history.edn), lists, and Jepsen 0.3 record literals', () => {
    const text =
      '{:type :invoke, :f :write, :value 3, :process 0, :time 10, :index 0}\n' +
      '#jepsen.history.Op{:index 1, :time 20, :type :ok, :process 0, :f :write, :value 3}\n';
    expect(parseEdnHistory(text)).toEqual(parseEdnHistory(`(${text})`));
    expect(parseEdnHistory(text).map((o) => [o.index, o.time, o.type])).toEqual([
      [0, 10, 'invoke'],
      [1, 20, 'ok'],
    ]);
    expect(parseEdnHistory('')).toEqual([]);
    expect(parseEdnHistory('[]')).toEqual([]);
  });

  it('says which line holds an op that is not a map, and what it found', () => {
    const e = parseErrorOf(() => parseEdnHistory('[{:process 0, :type :invoke, :f :read}\n "oops"]', 'x.edn'));
    expect(e.line).toBe(2);
    expect(e.describe()).toBe('x.edn:2: expected a map like {:type :invoke, :f :read, :process 0} but found a string');
  });

  it('says which field of an op is wrong', () => {
    const bad = (fields: string) => parseErrorOf(() => parseEdnHistory(`\n\n{:process 0, ${fields}}`));
    expect(bad(':type :done, :f :read').message).toBe(
      'expected :type to be :invoke, :ok, :fail or :info but found the keyword :done',
    );
    expect(bad(':type :done, :f :read').line).toBe(3);
    expect(parseErrorOf(() => parseEdnHistory('{:type :ok, :f :read}')).message).toBe(
      'expected :process to be an integer or :nemesis but found nothing',
    );
    expect(parseErrorOf(() => parseEdnHistory('{:type :ok, :process 1, :f 3}')).message).toBe(
      'expected :f to be a keyword like :read but found the number 3',
    );
    expect(bad(':type :ok, :f :read, :time "soon"').message).toBe(
      'expected :time to be a number of nanoseconds but found a string',
    );
  });

  it('rejects text after the closing bracket', () => {
    const e = parseErrorOf(() => parseEdnHistory('[{:process 0 :type :ok :f :read}]\n\n]'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/after the history's closing ']'/);
  });

  it('writes Jepsen-style maps that read back as the same ops', () => {
    const ops: Op[] = [
      { index: 0, time: 5, type: 'invoke', process: 0, f: 'write', value: 3 },
      { index: 1, time: 7, type: 'ok', process: 0, f: 'write', value: 3, node: 'n1' },
      { index: 2, time: 9, type: 'info', process: 'nemesis', f: 'start-partition', value: { n1: ['n2'] } },
      { index: 3, time: 11, type: 'invoke', process: 1, f: 'cas', key: 'k 1', value: [null, '</script>"\n'] },
      { index: 4, time: 12, type: 'fail', process: 1, f: 'cas', key: 'k 1', value: [null, 'x'], error: 'not "found"' },
    ];
    const text = formatEdnHistory(ops);
    expect(text.split('\n')[0]).toBe('{:type :invoke, :f :write, :value 3, :process 0, :time 5, :index 0}');
    expect(text).toContain(
      '{:type :info, :f :start-partition, :value {:n1 ["n2"]}, :process :nemesis, :time 9, :index 2}',
    );
    expect(parseEdnHistory(text)).toEqual(ops);
    expect(parseEdnHistory(formatEdnHistory(ops, { vector: true }))).toEqual(ops);
  });

  it('round-trips random ops through EDN', () => {
    const opArb = fc.record({
      type: fc.constantFrom('invoke', 'ok', 'fail', 'info' as const),
      process: fc.oneof(fc.nat(50), fc.constant('nemesis' as const)),
      f: fc.constantFrom('read', 'write', 'cas', 'start-kill', 'weird f'),
      value: fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v))),
      key: fc.option(fc.string(), { nil: undefined }),
      error: fc.option(fc.string(), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 20 }), (drafts) => {
        const ops = drafts.map((d, i) => {
          const op: Op = { index: i, time: i * 1000, type: d.type, process: d.process, f: d.f, value: d.value };
          if (d.key !== undefined) op.key = d.key;
          if (d.error !== undefined) op.error = d.error;
          return op;
        });
        expect(parseEdnHistory(formatEdnHistory(ops))).toEqual(ops);
      }),
      { numRuns: 200 },
    );
  });
});

describe.skipIf(!corpusPresent)('EDN corpus (knossos)', () => {
  const files = [...corpusFiles('knossos/cas-register/good'), ...corpusFiles('knossos/cas-register/bad')];

  it('finds the knossos histories', () => {
    expect(files.length).toBeGreaterThanOrEqual(58);
  });

  it('parses every file to one op per map, with dense indexes and known shapes', () => {
    for (const file of files) {
      const text = corpusText(file);
      const ops = parseEdnHistory(text, file);
      expect(ops.length, file).toBe(text.match(/:process/g)?.length);
      const odd = ops.filter(
        (op, i) =>
          op.index !== i ||
          !['read', 'write', 'cas', 'start', 'stop'].includes(op.f) ||
          (op.f === 'cas' && !(Array.isArray(op.value) && op.value.length === 2)),
      );
      expect(odd, file).toEqual([]);
      // And a faultline history written as EDN reads back the same.
      expect(parseEdnHistory(formatEdnHistory(ops), file)).toEqual(ops);
    }
  });

  it('reads cas-failure.edn with its multi-line nemesis maps', () => {
    const ops = parseEdnHistory(corpusText('knossos/cas-register/bad/cas-failure.edn'));
    expect(ops).toHaveLength(590);
    const nemesis = ops.filter((o) => o.process === 'nemesis');
    expect(nemesis).toHaveLength(8);
    expect(nemesis[1]!.value).toMatch(/^Cut off \[:n3/);
  });

  it('keeps :error of immediate-failure.edn as EDN text', () => {
    const ops = parseEdnHistory(corpusText('knossos/cas-register/bad/immediate-failure.edn'));
    expect(ops.map((o) => `${o.process} ${o.type} ${o.f} ${JSON.stringify(o.value)}`)).toEqual([
      '1 invoke read null',
      '101 invoke write 3',
      '101 fail write 3',
      '1 ok read 3',
    ]);
    expect(ops[2]!.error).toBe('[:temporarily-unavailable nil]');
  });
});
