export { check, checkSync } from './check.ts';
export { type LinearizableCheckerOptions, type LinearizableCheckerResult, linearizableChecker } from './checker.ts';
export { fromHistory } from './from-history.ts';
export { deepEqual, deepHash } from './structural.ts';
export * from './types.ts';
