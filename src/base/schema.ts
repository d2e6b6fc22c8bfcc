import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { configError } from './errors.ts';

/**
 * zod pieces every config schema shares: durations ("30s", "500ms", or a
 * number of seconds), signed offsets, node ids, and `parseWith`, which turns
 * a zod failure into a FaultlineError naming the file, key path and line.
 */

export const duration = () =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    try {
      return parseDuration(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

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
