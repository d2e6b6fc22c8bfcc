/**
 * faultline's linearizability checker: porcupine's approach (Wing & Gong
 * search, Lowe's cache, P-compositional partitions), written for V8.
 *
 * ```ts
 * import { check, fromHistory } from './checker/linearizable/index.ts';
 * import { getModel } from './checker/models/index.ts';
 *
 * const result = await check(getModel('cas-register', { initial: 0 }), fromHistory(history), {
 *   timeoutMs: 30_000,
 *   keepPartial: true, // longest partial linearizations, for reports
 * });
 * result.result; // 'ok' | 'illegal' | 'unknown'
 * ```
 *
 * A model of your own is a plain object (or class) with `name`, `init()`
 * and a pure `step(state, input, output)` returning the next state or
 * `ILLEGAL`; `output` is undefined for an operation whose outcome is unknown.
 * Optional: `equal`/`hash` (defaults: structural), `partitionKey` or
 * `partition`, `describeOperation`, `describeState`, `impossible` (a
 * linear pre-check that refutes a partition without its search), `prune`
 * (crashed operations nobody could have observed, left out before the
 * search); or a
 * `NondeterministicModel` whose step returns the possible next states.
 */
export { check, checkSync, resolveCheckOptions } from './check.ts';
export { type LinearizableCheckerOptions, type LinearizableCheckerResult, linearizableChecker } from './checker.ts';
export { fromHistory } from './from-history.ts';
export { partitionOperations, powersetModel, showValue, withoutPartitioning } from './model.ts';
export { closeWorkers } from './parallel.ts';
export { deepEqual, deepHash } from './structural.ts';
export * from './types.ts';
