import { FaultlineError } from '../../base/errors.ts';

/**
 * A small, strict EDN reader and writer (https://github.com/edn-format/edn),
 * enough for Jepsen, Knossos, Elle and porcupine histories.
 *
 * Reading gives `EdnValue`: JS primitives for nil, booleans, numbers and
 * strings (characters become one-character strings), arrays for vectors, and
 * small classes for what JS has no literal for (keywords, symbols, lists,
 * sets, maps with arbitrary keys, tagged literals). `toPlain` then turns a
 * value into plain JSON-like data for faultline ops. Integers beyond
 * Number.MAX_SAFE_INTEGER (or written `123N`) are read as bigint so nothing is
 * silently rounded; `toPlain` turns those into decimal strings.
 */

export class Keyword {
  constructor(readonly name: string) {}
}
export class EdnSymbol {
  constructor(readonly name: string) {}
}
export class EdnList {
  constructor(readonly items: EdnValue[]) {}
}
export class EdnSet {
  constructor(readonly items: EdnValue[]) {}
}
export class EdnMap {
  /** Keys and values alternating, `[k0, v0, k1, v1, ...]` (one array, no pair objects: histories have millions). */
  constructor(readonly kvs: readonly EdnValue[]) {}
  static fromEntries(entries: ReadonlyArray<readonly [EdnValue, EdnValue]>): EdnMap {
    return new EdnMap(entries.flat());
  }
  get entries(): Array<[EdnValue, EdnValue]> {
    const out: Array<[EdnValue, EdnValue]> = [];
    for (let i = 0; i < this.kvs.length; i += 2) out.push([this.kvs[i]!, this.kvs[i + 1]!]);
    return out;
  }
  /** The value under keyword `:name`, or undefined. */
  get(name: string): EdnValue | undefined {
    const kvs = this.kvs;
    for (let i = 0; i < kvs.length; i += 2) {
      const k = kvs[i];
      if (k instanceof Keyword && k.name === name) return kvs[i + 1];
    }
    return undefined;
  }
}
export class EdnTagged {
  constructor(
    readonly tag: string,
    readonly value: EdnValue,
  ) {}
}

export type EdnValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Keyword
  | EdnSymbol
  | EdnValue[]
  | EdnList
  | EdnSet
  | EdnMap
  | EdnTagged;

/** The deepest nesting a history value may have; real histories stay far below it. */
export const MAX_DEPTH = 200;

const parseError = (message: string, file: string, line: number): FaultlineError =>
  new FaultlineError('FL_ERR_HISTORY_PARSE', message, { file, line });

const CH_NL = 10;
const isWhitespace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 12;
/** Characters that end a token (symbol, keyword, number). */
const isDelimiter = (c: number): boolean =>
  isWhitespace(c) || c === 40 || c === 41 || c === 91 || c === 93 || c === 123 || c === 125 || c === 34 || c === 59;

const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const NAMED_CHARS: Record<string, string> = {
  newline: '\n',
  return: '\r',
  space: ' ',
  tab: '\t',
  formfeed: '\f',
  backspace: '\b',
};
const STRING_ESCAPES: Record<string, string> = {
  t: '\t',
  r: '\r',
  n: '\n',
  '\\': '\\',
  '"': '"',
  b: '\b',
  f: '\f',
  "'": "'",
};

const INT_RE = /^[+-]?(0|[1-9][0-9]*)N?$/;
const FLOAT_RE = /^[+-]?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][+-]?[0-9]+)?M?$/;
const HEX_RE = /^[+-]?0[xX][0-9a-fA-F]+$/;
const RATIO_RE = /^[+-]?[0-9]+\/[0-9]+$/;
const SYMBOL_RE =
  /^(?:[A-Za-z*!_?$%&=<>.+\-'][A-Za-z0-9*!_?$%&=<>.+\-'#:]*)(?:\/[A-Za-z*!_?$%&=<>.+\-'][A-Za-z0-9*!_?$%&=<>.+\-'#:]*)?$|^\/$/;

/** Describes a value for "expected X but found Y" messages. */
export const describeEdn = (v: EdnValue | undefined): string => {
  if (v === undefined) return 'nothing';
  if (v === null) return 'nil';
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `the number ${v}`;
  if (typeof v === 'string') return 'a string';
  if (Array.isArray(v)) return 'a vector';
  if (v instanceof Keyword) return `the keyword :${v.name}`;
  if (v instanceof EdnSymbol) return `the symbol ${v.name}`;
  if (v instanceof EdnList) return 'a list';
  if (v instanceof EdnSet) return 'a set';
  if (v instanceof EdnMap) return 'a map';
  return `a #${v.tag} tagged value`;
};

/**
 * Reads EDN forms one at a time from a text, tracking line numbers so that
 * callers (the history readers) can say where each form started.
 */
export class EdnReader {
  private pos = 0;
  /** Keywords are interned per reader: fewer objects, and equal keywords are ===. */
  private readonly keywords = new Map<string, Keyword>();
  /** 1-based line of the next unread character. */
  line = 1;
  /** Open collections around the current position: the reader is recursive, so nesting is bounded. */
  private depth = 0;

  constructor(
    private readonly text: string,
    readonly file = '<edn>',
  ) {}

  /** Skips whitespace, commas, `;` comments and `#_` discarded forms. */
  skipSpace(): void {
    for (;;) {
      this.skipBlank();
      if (this.text.charCodeAt(this.pos) !== 35 /* # */ || this.text[this.pos + 1] !== '_') return;
      this.pos += 2;
      this.read('a form after #_');
    }
  }

  private skipBlank(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === CH_NL) {
        this.line++;
        this.pos++;
      } else if (isWhitespace(c)) {
        this.pos++;
      } else if (c === 59 /* ; */) {
        while (this.pos < t.length && t.charCodeAt(this.pos) !== CH_NL) this.pos++;
      } else {
        break;
      }
    }
  }

  /** True when only whitespace and comments remain. */
  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  /** The next non-space character, without consuming it ('' at the end). */
  peek(): string {
    this.skipSpace();
    return this.text.charAt(this.pos);
  }

  /** The text not yet read, after skipping space. */
  rest(): string {
    this.skipSpace();
    return this.text.slice(this.pos);
  }

  /** Consumes one character (after skipping space); used for collection delimiters. */
  next(): string {
    this.skipSpace();
    return this.text.charAt(this.pos++);
  }

  fail(message: string, line = this.line): never {
    throw parseError(message, this.file, line);
  }

  /** Reads one form. `context` says what was expected, for the end-of-input message. */
  read(context = 'a value'): EdnValue {
    this.skipSpace();
    const t = this.text;
    if (this.pos >= t.length) this.fail(`unexpected end of input; expected ${context}`);
    const ch = t[this.pos]!;
    const line = this.line;
    switch (ch) {
      case '(':
      case '[':
      case '{': {
        this.pos++;
        if (++this.depth > MAX_DEPTH) this.fail(`values nested deeper than ${MAX_DEPTH} levels`);
        const items = this.readUntil(CLOSERS[ch]!, ch, line);
        this.depth--;
        if (ch === '(') return new EdnList(items);
        if (ch === '[') return items;
        return this.toMap(items, line);
      }
      case ')':
      case ']':
      case '}':
        return this.fail(`unexpected '${ch}'; expected ${context}`);
      case '"':
        return this.readString();
      case '\\':
        return this.readChar();
      case '#': {
        // Tags and discards read a further form: nested as deeply as collections can be.
        if (++this.depth > MAX_DEPTH) this.fail(`values nested deeper than ${MAX_DEPTH} levels`);
        const v = this.readDispatch(line);
        this.depth--;
        return v;
      }
      default:
        return this.readToken();
    }
  }

  private readUntil(closer: string, opener: string, openLine: number): EdnValue[] {
    const items: EdnValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) {
        this.fail(
          `unterminated '${opener}' starting at line ${openLine}: expected '${closer}' before the end of input`,
        );
      }
      const c = this.text[this.pos]!;
      if (c === closer) {
        this.pos++;
        return items;
      }
      if (c === ')' || c === ']' || c === '}') {
        this.fail(`unexpected '${c}'; expected '${closer}' to close the '${opener}' opened at line ${openLine}`);
      }
      items.push(this.read());
    }
  }

  private toMap(items: EdnValue[], line: number): EdnMap {
    if (items.length % 2 !== 0) {
      this.fail(
        `the map starting at line ${line} has an odd number of forms (${items.length}); expected key value pairs`,
        line,
      );
    }
    // Duplicate keys are an error in EDN. Checked for the keys histories use: keywords (interned per
    // reader, so equal ones are the same object), strings and numbers, all comparable with ===.
    const n = items.length;
    const seen = n > 32 ? new Set<EdnValue>() : undefined;
    for (let i = 0; i < n; i += 2) {
      const k = items[i]!;
      if (!(k instanceof Keyword || typeof k === 'string' || typeof k === 'number')) continue;
      let dup = false;
      if (seen) {
        dup = seen.has(k);
        seen.add(k);
      } else {
        for (let j = 0; j < i && !dup; j += 2) dup = items[j] === k;
      }
      if (dup) this.fail(`the map starting at line ${line} has the key ${formatEdn(k)} twice`, line);
    }
    return new EdnMap(items);
  }

  private readString(): string {
    const t = this.text;
    const startLine = this.line;
    this.pos++; // opening quote
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail(`unterminated string starting at line ${startLine}`, startLine);
      const c = t.charCodeAt(this.pos);
      if (c === 34 /* " */) {
        out += t.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c === CH_NL) this.line++;
      if (c === 92 /* \ */) {
        out += t.slice(chunk, this.pos);
        const e = t[this.pos + 1];
        if (e === undefined) this.fail(`unterminated string starting at line ${startLine}`, startLine);
        if (e === 'u') {
          const hex = t.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex))
            this.fail(`invalid unicode escape '\\u${hex}' in string; expected 4 hex digits`);
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.pos += 6;
        } else {
          const r = STRING_ESCAPES[e];
          if (r === undefined)
            this.fail(`unknown escape '\\${e}' in string; expected one of \\t \\r \\n \\\\ \\" \\b \\f \\uXXXX`);
          out += r;
          this.pos += 2;
        }
        chunk = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  private readChar(): string {
    const start = ++this.pos;
    // The first character is taken as is (so `\(` or `\ ` work), then a name may follow.
    this.pos++;
    while (this.pos < this.text.length && !isDelimiter(this.text.charCodeAt(this.pos))) this.pos++;
    const token = this.text.slice(start, this.pos);
    if (token.length === 0) this.fail('a lone backslash; expected a character like \\a or \\newline');
    if (token.length === 1) return token;
    const named = NAMED_CHARS[token];
    if (named !== undefined) return named;
    if (/^u[0-9a-fA-F]{4}$/.test(token)) return String.fromCharCode(Number.parseInt(token.slice(1), 16));
    return this.fail(`unknown character literal '\\${token}'`);
  }

  private readDispatch(line: number): EdnValue {
    const t = this.text;
    const c = t[this.pos + 1];
    if (c === '{') {
      this.pos += 2;
      return new EdnSet(this.readUntil('}', '#{', line));
    }
    if (c === '#') {
      this.pos += 2;
      const tok = this.readRawToken();
      if (tok === 'Inf') return Number.POSITIVE_INFINITY;
      if (tok === '-Inf') return Number.NEGATIVE_INFINITY;
      if (tok === 'NaN') return Number.NaN;
      return this.fail(`unknown symbolic value '##${tok}'; expected ##Inf, ##-Inf or ##NaN`);
    }
    if (c === '"') {
      // A Clojure regex, not EDN, but Jepsen prints them sometimes: keep its source text.
      this.pos++;
      return new EdnTagged('regex', this.readString());
    }
    if (c === undefined || isDelimiter(t.charCodeAt(this.pos + 1))) {
      this.fail(`a lone '#'; expected #{...}, #_, ##Inf or a tag like #inst`);
    }
    this.pos++;
    const tag = this.readRawToken();
    if (!SYMBOL_RE.test(tag)) this.fail(`invalid tag '#${tag}'; expected a symbol such as #inst`);
    // `#object[...]` and record literals `#jepsen.history.Op{...}` follow their tag without a space.
    return new EdnTagged(tag, this.read(`a value after the tag #${tag}`));
  }

  private readRawToken(): string {
    const start = this.pos;
    while (this.pos < this.text.length && !isDelimiter(this.text.charCodeAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private readToken(): EdnValue {
    const token = this.readRawToken();
    const c = token.charCodeAt(0);
    const digitStart = (c >= 48 && c <= 57) || ((c === 43 || c === 45) && /[0-9]/.test(token.charAt(1)));
    if (digitStart) return this.readNumber(token);
    if (token.startsWith(':')) {
      const name = token.slice(1);
      if (name === '' || name.startsWith(':') || name.includes('\\')) this.fail(`invalid keyword '${token}'`);
      let kw = this.keywords.get(name);
      if (kw === undefined) {
        kw = new Keyword(name);
        this.keywords.set(name, kw);
      }
      return kw;
    }
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (!SYMBOL_RE.test(token)) {
      this.fail(`unexpected '${token.slice(0, 40)}'; expected a value (nil, a number, a string, a keyword, ...)`);
    }
    return new EdnSymbol(token);
  }

  private readNumber(token: string): number | bigint {
    if (token.length < 16 && /^-?[0-9]+$/.test(token) && (token.length === 1 || !/^-?0/.test(token))) {
      return Number(token); // the common case: a small plain integer
    }
    if (INT_RE.test(token)) {
      const digits = token.endsWith('N') ? token.slice(0, -1) : token;
      const n = Number(digits);
      if (token.endsWith('N')) return BigInt(digits);
      if (Number.isSafeInteger(n)) return n;
      // Beyond 2^53, a number only when the text is how JS prints that double (so
      // faultline's own output reads back unchanged); anything else would be rounded.
      return String(n) === digits.replace(/^\+/, '') ? n : BigInt(digits);
    }
    if (HEX_RE.test(token)) return Number.parseInt(token.replace('0x', '').replace('0X', ''), 16); // Clojure prints object hashes so
    if (FLOAT_RE.test(token)) return Number(token.endsWith('M') ? token.slice(0, -1) : token);
    if (RATIO_RE.test(token)) {
      const [a, b] = token.split('/') as [string, string];
      return Number(a) / Number(b);
    }
    return this.fail(`invalid number '${token.slice(0, 40)}'`);
  }
}

/** Parses a text holding exactly one EDN form. */
export const parseEdn = (text: string, file = '<edn>'): EdnValue => {
  const r = new EdnReader(text, file);
  const v = r.read();
  if (!r.atEnd()) r.fail(`unexpected '${r.peek()}' after the value; expected the end of input`);
  return v;
};

/**
 * EDN to plain data: keywords and symbols become their names, vectors, lists
 * and sets become arrays, maps become objects (keyword keys by name, other
 * keys as their EDN text), tagged literals become their value, bigints become
 * decimal strings (JSON cannot hold them).
 */
export const toPlain = (v: EdnValue): unknown => {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Keyword || v instanceof EdnSymbol) return v.name;
  if (v instanceof EdnList || v instanceof EdnSet) return v.items.map(toPlain);
  if (v instanceof EdnMap) {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < v.kvs.length; i += 2) {
      const key = plainKey(v.kvs[i]!);
      const val = toPlain(v.kvs[i + 1]!);
      // A "__proto__" key from the file must stay data, as JSON.parse keeps it, not set the prototype.
      if (key === '__proto__')
        Object.defineProperty(o, key, { value: val, enumerable: true, writable: true, configurable: true });
      else o[key] = val;
    }
    return o;
  }
  return toPlain(v.value);
};

const plainKey = (k: EdnValue): string => {
  if (typeof k === 'string') return k;
  if (k instanceof Keyword || k instanceof EdnSymbol) return k.name;
  return formatEdn(k);
};

// ---- writing ----

const KEYWORD_NAME_RE =
  /^[A-Za-z*!_?$%&=<>][A-Za-z0-9*!_?$%&=<>.+\-']*(?:\/[A-Za-z*!_?$%&=<>][A-Za-z0-9*!_?$%&=<>.+\-']*)?$/;

/** True when `name` can be written as the keyword `:name` and read back unchanged. */
export const isKeywordName = (name: string): boolean => KEYWORD_NAME_RE.test(name) && !name.includes('//');

export const formatEdnString = (s: string): string => {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += '\\\\';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c < 32 || c === 0x7f || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
};

const formatNumber = (n: number): string => {
  if (Number.isNaN(n)) return '##NaN';
  if (n === Number.POSITIVE_INFINITY) return '##Inf';
  if (n === Number.NEGATIVE_INFINITY) return '##-Inf';
  if (Object.is(n, -0)) return '-0.0';
  return String(n); // integers print as integers, others with '.' or an exponent: both read back as the same number
};

/**
 * Writes plain data (or EdnValue) as EDN: null/undefined → nil, arrays →
 * vectors, objects → maps whose keys are keywords when they can be, strings
 * otherwise. `Keyword`/`EdnSymbol` instances print as such.
 */
export const formatEdn = (v: unknown): string => {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return String(v);
    case 'number':
      return formatNumber(v);
    case 'bigint':
      return `${v}N`;
    case 'string':
      return formatEdnString(v);
    case 'object':
      break;
    default:
      return formatEdnString(String(v));
  }
  if (Array.isArray(v)) return `[${v.map(formatEdn).join(' ')}]`;
  if (v instanceof Keyword) return `:${v.name}`;
  if (v instanceof EdnSymbol) return v.name;
  if (v instanceof EdnList) return `(${v.items.map(formatEdn).join(' ')})`;
  if (v instanceof EdnSet) return `#{${v.items.map(formatEdn).join(' ')}}`;
  if (v instanceof EdnMap) return `{${v.entries.map(([k, val]) => `${formatEdn(k)} ${formatEdn(val)}`).join(', ')}}`;
  if (v instanceof EdnTagged) return `#${v.tag} ${formatEdn(v.value)}`;
  const parts: string[] = [];
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === undefined) continue;
    parts.push(`${isKeywordName(k) ? `:${k}` : formatEdnString(k)} ${formatEdn(val)}`);
  }
  return `{${parts.join(', ')}}`;
};
