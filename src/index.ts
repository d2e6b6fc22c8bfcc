/**
 * faultline as a library: run a test from code, or use its pieces — the
 * linearizability checker and its models, the other checkers, the history
 * readers and writers. The command line (src/cli) is built on the same API.
 */

export type { CheckContext, Checker, CheckerResult, Validity } from './checker/checker.ts';
export { mergeValidity } from './checker/checker.ts';
export { conflictsChecker } from './checker/conflicts.ts';
export { counterChecker } from './checker/counter.ts';
export { KNOWN_CHECKERS, loadChecker } from './checker/index.ts';
export * as linearizable from './checker/linearizable/index.ts';
export { linearizableChecker } from './checker/linearizable/index.ts';
export { getModel, independent, modelNames } from './checker/models/index.ts';
export { perfChecker } from './checker/perf.ts';
export { setChecker } from './checker/set.ts';
export { stalenessChecker } from './checker/staleness.ts';
export type { Backend, FaultKind, Grudge, Link, LinkShape } from './cluster/backend.ts';
export { createBackend } from './cluster/index.ts';
export { analyseRun, checkRunDir } from './core/analyse.ts';
export { evaluateClaims } from './core/claims.ts';
export type { Claims, ClusterPreset, FaultSpec, NemesisPreset, WorkloadPreset } from './core/config.ts';
export { EXIT, FaultlineError } from './core/errors.ts';
export { DEFAULTS, type ResolvedRunConfig, type RunOptions, resolveRunConfig } from './core/resolve.ts';
export type { ClaimResult, RunResults } from './core/results.ts';
export { type RunObserver, type RunOutcome, runTest } from './core/run.ts';
export { formatEdnHistory, type HistoryFormat, parseHistory, readHistoryFile } from './history/formats/index.ts';
export { parseJsonlHistory } from './history/jsonl.ts';
export type { Op, OpType, Process } from './history/op.ts';
export { getSystem, knownSystems } from './systems/index.ts';
export type { Client, ClientOp, Completion, NodeAddress, System } from './systems/system.ts';
