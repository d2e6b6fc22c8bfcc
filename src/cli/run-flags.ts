import { parseDuration } from '../base/duration.ts';
import { configError } from '../base/errors.ts';

/** `--check-timeout`: a duration, or undefined for the default. Bad values name the flag. */
export const parseCheckTimeout = (v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  try {
    return parseDuration(v);
  } catch (e) {
    throw configError((e as Error).message, { path: '--check-timeout' });
  }
};
