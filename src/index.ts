/**
 * faultline as a library: run a test from code, or use its pieces — the
 * linearizability checker and its models, the other checkers, the history
 * readers and writers. The command line (src/cli) is built on the same API.
 */

export { EXIT, FaultlineError } from './base/errors.ts';
export { bankChecker } from './checker/bank.ts';
export type { CheckContext, Checker, CheckerResult, Validity } from './checker/checker.ts';
export { mergeValidity } from './checker/checker.ts';
export { conflictsChecker } from './checker/conflicts.ts';
export { counterChecker } from './checker/counter.ts';
export {
  type CheckerName,
  type CheckerResultMap,
  type CheckerResults,
  KNOWN_CHECKERS,
  loadChecker,
} from './checker/index.ts';
export * as linearizable from './checker/linearizable/index.ts';
export { linearizableChecker } from './checker/linearizable/index.ts';
export { getModel, independent, modelNames } from './checker/models/index.ts';
export { perfChecker } from './checker/perf.ts';
export { sessionChecker } from './checker/session.ts';
export { setChecker } from './checker/set.ts';
export { splitBrainChecker } from './checker/split-brain.ts';
export { stalenessChecker } from './checker/staleness.ts';
export type { Backend, FaultKind, Grudge, Link, LinkShape } from './cluster/backend.ts';
export { backendNames, createBackend } from './cluster/registry.ts';
export { formatEdnHistory, type HistoryFormat, parseHistory, readHistoryFile } from './history/formats/index.ts';
export { parseJsonlHistory } from './history/jsonl.ts';
export type { Op, OpType, Process } from './history/op.ts';
export { type ShrinkOptions, type ShrinkReport, type ShrinkResult, shrinkRun } from './jobs/shrink.ts';
export type { AppliedStep } from './nemesis/follow.ts';
export {
  formatSchedule,
  parseSchedule,
  parseScheduleText,
  planSchedule,
  type Schedule,
  type ScheduleStep,
} from './nemesis/schedule.ts';
export type { FaultSpec, Lane, NemesisPreset } from './nemesis/spec.ts';
export type { ClaimResult, RunResults } from './report/results.ts';
export { analyseRun, checkRunDir } from './run/analyse.ts';
export { evaluateClaims } from './run/claims.ts';
export type { Claims, ClusterPreset } from './run/config.ts';
export { DEFAULTS, type ResolvedRunConfig, type RunOptions, resolveRunConfig } from './run/resolve.ts';
export { type RunObserver, type RunOutcome, runTest } from './run/run.ts';
export { knownSystems, loadSystem } from './systems/index.ts';
export type { Client, ClientOp, Completion, NodeAddress, System } from './systems/system.ts';
export { getWorkload, workloadNames } from './workload/index.ts';
export type { WorkloadPreset } from './workload/spec.ts';
export type { FinalPhaseContext, Workload } from './workload/workload.ts';
