import { configError } from './errors.ts';

const UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * "30s", "500ms", "2m", "1.5h" or a bare number of seconds ("30", 30) → milliseconds.
 * A bare number means seconds because that's what `--time-limit 30` means to a user.
 */
export const parseDuration = (input: string | number): number => {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw configError(`expected a non-negative duration; got ${input}`);
    return input * 1000;
  }
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(input);
  if (!m) {
    throw configError(`expected a duration like 30s, 500ms or 2m; got ${JSON.stringify(input)}`);
  }
  const value = Number(m[1]);
  if (value < 0) throw configError(`expected a non-negative duration; got ${JSON.stringify(input)}`);
  return value * (UNITS_MS[m[2] ?? 's'] ?? 1000);
};

/** 1500 → "1.5s", for messages and reports. */
export const formatDuration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  return `${+(ms / 60_000).toFixed(1)}m`;
};
