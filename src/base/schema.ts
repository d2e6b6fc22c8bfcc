import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { configError } from './errors.ts';

/**
 * zod pieces every config schema shares: durations ("30s", "500ms", or a
 * number of seconds), signed offsets, node ids, and `parseWith`, which turns
 * a zod failure into a FaultlineError naming the file, key path and line.
 */

/** The longest delay a Node timer holds (2^31 - 1 ms, about 596 hours); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A number written as digits in a string (a flag's value) becomes a number; anything else stays as it is. */
const numeric = (v: unknown): unknown => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v);

/**
 * A duration in ms from "30s", "500ms", "2m", "1.5h" or a number of seconds.
 * `positive`: 0 is refused (a time limit or timeout of 0 tests nothing).
 * Every duration must fit a timer. Flags and YAML parse through the same
 * schema, so they accept exactly the same values with the same messages.
 */
export const duration = (options: { positive?: boolean } = {}) =>
  z.unknown().transform((raw, ctx) => {
    // A string of digits and a number are the same value, with the same message.
    const v = numeric(raw);
    if (typeof v !== 'number' && typeof v !== 'string') {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 500ms or 2m; got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    let ms: number;
    try {
      ms = parseDuration(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
    if (options.positive && ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected a duration greater than 0; got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (ms > MAX_TIMER_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration of at most 596h (the longest a timer holds); got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** An integer in [min, max], from a number or a string of digits. */
export const integer = (min: number, max: number) =>
  z.preprocess(
    numeric,
    z.custom<number>((v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max, {
      error: (issue) => `expected an integer from ${min} to ${max}; got ${JSON.stringify(issue.input)}`,
    }),
  );

/** A finite number ≥ 0, from a number or a string of digits. */
export const nonNegative = () =>
  z.preprocess(
    numeric,
    z.custom<number>((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, {
      error: (issue) => `expected a number ≥ 0; got ${JSON.stringify(issue.input)}`,
    }),
  );

/** "+2s", "-500ms", 250 (ms) → signed ms, for clock offsets. */
export const signedDuration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const sign = v.trim().startsWith('-') ? -1 : 1;
  try {
    return sign * parseDuration(v.trim().replace(/^[+-]/, ''));
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `expected a signed duration like +2s or -500ms; got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
});

export const nodeId = z.string().regex(/^n[1-9]\d*$/, 'expected a node id like n1, n2, ...');

/** Turns a zod failure into a FaultlineError that names the file, key path and line. */
export const parseWith = <T extends z.ZodType>(
  schema: T,
  data: unknown,
  where: {
    file: string;
    prefix?: readonly PropertyKey[];
    lineOf?: (path: readonly PropertyKey[]) => number | undefined;
  },
): z.output<T> => {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  let path: PropertyKey[] = [...(where.prefix ?? []), ...issue.path];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [...path, issue.keys[0]!];
    message = `unknown key ${JSON.stringify(issue.keys[0])}`;
  } else if (issue.code === 'invalid_union' && issue.path.length === 0 && data === null) {
    message = 'expected a mapping, got an empty document';
  }
  const line = where.lineOf?.(path.slice((where.prefix ?? []).length));
  throw configError(message, { file: where.file, path: formatPath(path), ...(line !== undefined ? { line } : {}) });
};

/** ["faults", 0, "grudge"] → "faults[0].grudge" */
export const formatPath = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');

/**
 * A flag's text read as the YAML scalar it would be in a run file
 * (`--nodes 3` is the number 3, `--time-limit 30s` the string "30s"), so
 * that flags and files go through one schema and accept exactly the same
 * values with the same messages. Text that YAML would read as a collection
 * stays a plain string.
 */
export const flagScalar = (raw: unknown): unknown => {
  // Text with outer spaces, or none, or starting with a YAML indicator (tags, anchors, quotes, flow
  // collections) is that text as it stands: in a file it would have to be quoted.
  if (typeof raw !== 'string' || raw === '' || raw.trim() !== raw || /^([!&*|>'"%@`#,[\]{}?:]|-(?!\d))/.test(raw)) {
    return raw;
  }
  try {
    const v: unknown = parseYaml(raw);
    return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : raw;
  } catch {
    return raw;
  }
};

/** A flag's value through a field schema; FL_ERR_CONFIG naming the flag when it is refused. */
export const parseFlag = <T extends z.ZodType>(flag: string, schema: T, raw: unknown): z.output<T> => {
  const r = schema.safeParse(flagScalar(raw));
  if (!r.success) throw configError(r.error.issues[0]!.message, { path: flag });
  return r.data;
};
