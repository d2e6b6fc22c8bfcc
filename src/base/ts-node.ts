import { fileURLToPath } from 'node:url';

/**
 * faultline ships TypeScript sources and runs them through tsx (no build step,
 * so `npm ci` is the whole set-up). Child processes that run our own code
 * (the replica, test fixtures) are started as
 * `node --import <tsx loader> <file.ts>`; the loader is resolved to an
 * absolute URL so the child's cwd does not matter.
 */
const tsxLoader = import.meta.resolve('tsx');

/** Node arguments that run a .ts file: `[...tsNodeArgs(file), ...args]` after process.execPath. */
export const tsNodeArgs = (file: string): string[] => ['--import', tsxLoader, file];

/** Absolute path of a file in this package, from a path relative to the package root. */
export const packagePath = (relative: string): string => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
