import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The absolute path of an executable found on PATH (or given as a path), or undefined. */
export const which = (command: string, envPath = process.env.PATH ?? ''): string | undefined => {
  const candidates = command.includes('/')
    ? [command]
    : envPath.split(path.delimiter).map((d) => path.join(d, command));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return path.resolve(file);
    } catch {
      // not here
    }
  }
  return undefined;
};
