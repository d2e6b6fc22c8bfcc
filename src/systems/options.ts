/**
 * Reading a system's `options:` (cluster preset) or a workload's options:
 * one spec per key, every value checked, errors that name `options.<key>`,
 * the expected kind and the value given. Durations (`kind: 'ms'`) are
 * numbers of milliseconds or strings such as "200ms" / "1s".
 */
import { parseDuration } from '../base/duration.ts';
import { configError } from '../base/errors.ts';

export type OptionSpec =
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'int'; min: number; max?: number }
  | { kind: 'ms'; min: number }
  | { kind: 'bool' };

type ValueOf<S extends OptionSpec> = S extends { kind: 'enum'; values: readonly (infer V)[] }
  ? V
  : S extends { kind: 'bool' }
    ? boolean
    : number;

export type OptionValues<T extends Record<string, OptionSpec>> = { [K in keyof T]?: ValueOf<T[K]> };

const camel = (kebab: string): string => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const readOne = (key: string, spec: OptionSpec, value: unknown): string | number | boolean => {
  const where = { path: `options.${key}` };
  const bad = (expected: string) =>
    configError(`options.${key}: expected ${expected}; got ${JSON.stringify(value)}`, where);
  switch (spec.kind) {
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) throw bad(`one of ${spec.values.join(', ')}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw bad('true or false');
      return value;
    case 'int': {
      const range = spec.max === undefined ? `>= ${spec.min}` : `from ${spec.min} to ${spec.max}`;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > (spec.max ?? value))
        throw bad(`an integer ${range}`);
      return value;
    }
    case 'ms': {
      let ms = Number.NaN;
      if (typeof value === 'number') ms = value;
      else if (typeof value === 'string') {
        try {
          ms = /^\s*\d+\s*$/.test(value) ? Number(value) : parseDuration(value);
        } catch {
          // reported below
        }
      }
      if (!Number.isFinite(ms) || ms < spec.min) throw bad(`milliseconds >= ${spec.min} (a number or "200ms")`);
      return Math.round(ms);
    }
  }
};

/**
 * Checks every key of `options` against `specs` and returns the typed values
 * (absent keys stay absent). `owner` names what the options are for in the
 * error ("system etcd").
 */
export const readOptions = <T extends Record<string, OptionSpec>>(
  owner: string,
  specs: T,
  options: Readonly<Record<string, unknown>>,
): OptionValues<T> => {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
    if (!spec) {
      const hint = Object.hasOwn(specs, camel(key))
        ? `options are camelCase: write ${camel(key)}`
        : `known options: ${Object.keys(specs).join(', ')}`;
      throw configError(`options.${key}: unknown option for ${owner}`, { path: `options.${key}`, hint });
    }
    if (value === undefined || value === null) continue;
    out[key] = readOne(key, spec, value);
  }
  return out as OptionValues<T>;
};

/** Only the keys of `specs` from `options`, checked; other keys are left to their owner. */
export const pickOptions = <T extends Record<string, OptionSpec>>(
  owner: string,
  specs: T,
  options: Readonly<Record<string, unknown>>,
): OptionValues<T> =>
  readOptions(owner, specs, Object.fromEntries(Object.entries(options).filter(([k]) => Object.hasOwn(specs, k))));
