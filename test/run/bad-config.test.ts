import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import type { FaultlineError } from '../../src/base/errors.ts';
import { flagScalar } from '../../src/base/schema.ts';
import { type RunField, runFields } from '../../src/run/config.ts';
import { RUN_FLAGS, type RunOptions, resolveRunConfig } from '../../src/run/resolve.ts';
import { rejection } from '../support/rejection.ts';

/**
 * The corpus of bad input: every run option with wrong types and
 * out-of-range values, through a run file and through flags, and the
 * cases a hostile or careless user found. Each must be a FaultlineError
 * that names the file, key path and line (or the flag), and nothing may be
 * started or written: resolve starts nothing, and the reports dir of each
 * case must not exist afterwards.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bad-'));
  dirs.push(dir);
  return dir;
};

/** Resolves a run file holding `{key: value}` (after a comment line, so the key is on line 2). */
const fromFile = async (key: string, value: unknown, extra: Record<string, unknown> = {}) => {
  const dir = tempDir();
  const file = join(dir, 'run.yaml');
  const reportsDir = join(dir, 'reports');
  writeFileSync(file, `# a run file\n${stringify({ [key]: value, ...extra })}`);
  const options: RunOptions = key === 'reportsDir' ? { config: file } : { config: file, reportsDir };
  const result = resolveRunConfig(options);
  return { result, file, reportsDir };
};

/** Whether `key: <text>` in a YAML file holds the same scalar that the flag's text is read as. */
const sameInYaml = (key: string, text: string): boolean => {
  try {
    const parsed = parseDocument(`${key}: ${text}`);
    if (parsed.errors.length > 0) return false;
    const doc: unknown = parsed.toJS();
    const v = (doc as Record<string, unknown> | null)?.[key];
    return typeof doc === 'object' && doc !== null && Object.keys(doc).length === 1 && Object.is(v, flagScalar(text));
  } catch {
    return false;
  }
};

// Wrong types and out-of-range values of every run option.
const BAD: Readonly<Record<RunField, readonly unknown[]>> = {
  test: ['.', '..', '../x', 'a/b', '.hidden', 'a b', '', true, [1], { a: 1 }],
  backend: ['', 'kubernetes', 3, [1]],
  nodes: [0, 10, -1, 2.5, 'three', true, [3]],
  timeLimit: [0, '0s', -1, '-5s', '600h', 99_999_999_999, 'soon', true, [1], { s: 1 }],
  concurrency: [0, 257, 1.5, 'many', false],
  rate: [-1, '-0.5', 'fast', true, [1]],
  seed: [-1, 2 ** 32, 1.5, 'random', [7]],
  opTimeout: [0, '0ms', -2, '700h', 'never', true],
  quiesce: [-1, '600h', 'later', [1]],
  checkTimeout: [0, 'abc', '600h', false],
  reportsDir: ['', '/proc/1/x', '/sys/faultline', 7],
};

describe('bad run options', () => {
  for (const [key, values] of Object.entries(BAD) as [RunField, readonly unknown[]][]) {
    it(`${key}: each bad value in a run file names the file, line and key`, async () => {
      for (const value of values) {
        const { result, file, reportsDir } = await fromFile(key, value);
        const e = await rejection(result);
        expect(e.code, `${key}: ${JSON.stringify(value)}`).toBe('FL_ERR_CONFIG');
        expect(e.file, `${key}: ${JSON.stringify(value)}`).toBe(file);
        expect(e.path).toBe(key);
        // Line 2 holds the key; a list or mapping value is on the lines after it.
        expect(e.line, `${key}: ${JSON.stringify(value)}`).toBe(typeof value === 'object' ? 3 : 2);
        expect(e.describe()).toContain(`${file}:${e.line}: ${key}`);
        expect(existsSync(reportsDir)).toBe(false);
      }
    });

    it(`${key}: each bad value given as ${RUN_FLAGS[key]} names the flag`, async () => {
      for (const value of values) {
        if (typeof value === 'object' || typeof value === 'boolean') continue; // a flag is text
        const reportsDir = join(tempDir(), 'reports');
        const e = await rejection(resolveRunConfig({ reportsDir, [key]: String(value) }));
        expect(e.code, `${RUN_FLAGS[key]} ${String(value)}`).toBe('FL_ERR_CONFIG');
        expect(e.path).toBe(RUN_FLAGS[key]);
        expect(existsSync(reportsDir)).toBe(false);
      }
    });
  }

  it('a value the flag rejects, the run file rejects too, with the same message (property)', async () => {
    // Flags are read as the YAML scalar the same text would be in a file, then go through one schema.
    const text = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer({ min: -100, max: 2 ** 33 }).map(String),
      fc.double({ noNaN: true, min: -1e12, max: 1e12 }).map(String),
      fc.constantFrom('0', '0s', '30s', '1.5h', '600h', '-1', 'true', 'null', '~', '0x10', '1e3', '.inf', '3x', '..'),
    );
    const field = fc.constantFrom(...(Object.keys(runFields) as RunField[]).filter((k) => k !== 'reportsDir'));
    await fc.assert(
      fc.asyncProperty(field, text, async (key, value) => {
        const dir = tempDir();
        const flag = await resolveRunConfig({ reportsDir: dir, [key]: value }).then(
          (c) => ({ ok: true as const, value: JSON.stringify(c) }),
          (e: FaultlineError) => ({ ok: false as const, message: e.message }),
        );
        const file = join(dir, 'run.yaml');
        // The same value in a file: `key: <text>` when YAML reads that as the same scalar, else quoted.
        writeFileSync(file, `${key}: ${sameInYaml(key, value) ? value : JSON.stringify(value)}\n`);
        const yaml = await resolveRunConfig({ config: file, reportsDir: dir }).then(
          (c) => ({ ok: true as const, value: JSON.stringify(c) }),
          (e: FaultlineError) => ({ ok: false as const, message: e.message }),
        );
        if (!flag.ok) {
          expect(yaml.ok, `${key}: ${JSON.stringify(value)}`).toBe(false);
          if (!yaml.ok) expect(yaml.message).toBe(flag.message);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('cases a careless or hostile user found', () => {
  it('opTimeout: 0 and timeLimit: 0 in YAML are refused with their lines (a run that tests nothing never passes)', async () => {
    for (const key of ['opTimeout', 'timeLimit']) {
      const { result, file } = await fromFile(key, 0);
      const e = await rejection(result);
      expect(e.describe()).toBe(`${file}:2: ${key}: expected a duration greater than 0; got 0`);
    }
  });

  it('durations beyond what a timer holds are refused, not overflowed into 1 ms', async () => {
    for (const timeLimit of ['600h', '99999999999']) {
      const e = await rejection(resolveRunConfig({ timeLimit, reportsDir: tempDir() }));
      expect(e.message).toMatch(/at most 596h/);
      expect(e.path).toBe('--time-limit');
    }
  });

  it('--test . and --test .. cannot put a run folder outside the reports dir', async () => {
    for (const test of ['.', '..', '../../etc']) {
      const e = await rejection(resolveRunConfig({ test, reportsDir: tempDir() }));
      expect(e.path).toBe('--test');
    }
  });

  it('a nemesis with interval 0 and duration 0 is refused (its schedule would never end)', async () => {
    const dir = tempDir();
    const nemesis = join(dir, 'busy.yaml');
    writeFileSync(nemesis, 'name: busy\ninterval: 0\nduration: 0\nfaults:\n  - kind: kill\n');
    const e = await rejection(resolveRunConfig({ nemesis, reportsDir: dir }));
    expect(e.describe()).toBe(`${nemesis}:3: duration: expected a duration greater than 0; got 0`);
  });

  it('a YAML alias bomb is refused with its file, not a stack trace', async () => {
    const dir = tempDir();
    const file = join(dir, 'bomb.yaml');
    const rows = ['a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]'];
    for (const [prev, name] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'f'],
      ['f', 'g'],
    ]) {
      rows.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    writeFileSync(file, `${rows.join('\n')}\n`);
    const e = await rejection(resolveRunConfig({ config: file }));
    expect(e.file).toBe(file);
    expect(e.message).toMatch(/^YAML could not be read/);
  });

  it('a reports dir that is a file, or under /proc or /sys, is refused before anything starts', async () => {
    const dir = tempDir();
    const aFile = join(dir, 'not-a-dir');
    writeFileSync(aFile, 'x');
    for (const [reportsDir, why] of [
      [join(aFile, 'reports'), /is a file, not a folder/],
      ['/proc/1/x', /inside \/proc, a kernel filesystem/],
      ['/sys/x', /inside \/sys, a kernel filesystem/],
    ] as const) {
      const e = await rejection(resolveRunConfig({ reportsDir }));
      expect(e.message).toMatch(why);
      expect(e.path).toBe('--reports-dir');
    }
  });

  it('wrong types inside presets name the preset file, key path and line', async () => {
    const dir = tempDir();
    const cases: [string, string, string, RegExp][] = [
      ['cluster', 'name: c\nsystem: replica\nnodes: "three"\n', 'nodes', /expected number/i],
      [
        'cluster',
        'name: c\nsystem: replica\nnodes: 3\nclaims:\n  lostWrites: maybe\n',
        'claims.lostWrites',
        /none|allowed/,
      ],
      [
        'workload',
        'name: w\nclient: register\nmix: {read: -1}\nchecker: [x]\n',
        'mix.read',
        /expected number to be >=0/i,
      ],
      [
        'workload',
        'name: w\nclient: register\nmix: {read: 1}\ncheckers: [set]\nchecker: [x]\n',
        'checker',
        /unknown key/,
      ],
      [
        'workload',
        'name: w\nclient: register\nmix: {read: 1}\ncheckers: [set]\nopTimeout: 0\n',
        'opTimeout',
        /greater than 0/,
      ],
      ['nemesis', 'name: n\nfaults:\n  - kind: explode\n', 'faults[0].kind', /.+/],
      ['nemesis', 'name: n\ninterval: soon\n', 'interval', /expected a duration/],
    ];
    for (const [kind, text, path, message] of cases) {
      const file = join(dir, `${kind}-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, text);
      const e = await rejection(resolveRunConfig({ [kind]: file, reportsDir: dir }));
      expect(e.file, text).toBe(file);
      expect(e.path, text).toBe(path);
      expect(e.line, text).toBeGreaterThan(0);
      expect(e.message, text).toMatch(message);
    }
  });
});
