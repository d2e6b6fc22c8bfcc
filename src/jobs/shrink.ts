import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { formatDuration } from '../base/duration.ts';
import { configError, EXIT, type FaultlineError } from '../base/errors.ts';
import type { CheckerResult } from '../checker/checker.ts';
import { type CheckerName, loadChecker } from '../checker/index.ts';
import { type HistoryHeader, parseJsonlHistory } from '../history/jsonl.ts';
import type { Op } from '../history/op.ts';
import { formatSchedule, type Schedule } from '../nemesis/schedule.ts';
import type { RunResults } from '../report/results.ts';
import { replayCommand } from '../run/analyse.ts';
import { evaluateClaims } from '../run/claims.ts';
import type { Claims } from '../run/config.ts';
import type { ResolvedRunConfig } from '../run/resolve.ts';
import { type RunOutcome, runTest } from '../run/run.ts';
import { type Candidate, LEAD_MS, nodesAffected, searchSmallerSchedule, TAIL_MS } from './shrink-search.ts';

/**
 * `faultline shrink RUN_DIR`: from a run whose claim failed, search for a
 * smaller fault schedule — fewer steps, shorter, on fewer nodes, in a
 * shorter run — that still makes the same claim fail (shrink-search.ts
 * says which candidates, in which order).
 *
 * Runs are not deterministic, so a candidate is run up to k times and
 * counts as failing as soon as one attempt fails; the minimal schedule is
 * then run `confirm` more times for its reproduction rate ("fails 4 of 5
 * attempts"). A time budget bounds the whole job; when it runs out, or on
 * Ctrl-C, the best schedule found so far is what it reports.
 *
 * Output, in `<RUN_DIR>/shrink/` unless told otherwise: schedule.yaml (the
 * minimal schedule), shrink.json and report.txt (the search: candidates,
 * attempts, time, reproduction rate, the replay command), candidates/ (each
 * schedule tried) and runs/ (the minimal run's own report folder; the
 * other attempts' folders are removed).
 */

/** Each claim at its strictest: what `--claim NAME` measures, whatever the topology claims. */
const STRICT: Required<Claims> = {
  linearizable: true,
  lostWrites: 'none',
  convergence: true,
  staleReads: 'none',
  lostUpdates: 'none',
  lostIncrements: 'none',
  readYourWrites: true,
  monotonicReads: true,
  monotonicWrites: true,
  consistentPrefix: true,
  splitBrain: 'none',
  fencing: true,
  totalConserved: true,
};
export const CLAIM_NAMES = Object.keys(STRICT) as (keyof Claims)[];

/** Claims whose violation is visible in a prefix of the history (no final reads needed). */
const PREFIX_CHECKERS: Partial<Record<keyof Claims, CheckerName>> = {
  linearizable: 'linearizable',
  staleReads: 'staleness',
};

export interface ShrinkOptions {
  runDir: string;
  /** Shrink towards this claim's violation, measured strictly (even one the topology does not claim). Default: the claims the run violated. */
  claim?: string;
  /** k: attempts per candidate; it fails when one of them fails. Default 3. */
  attempts?: number;
  /** Attempts of the minimal schedule for its reproduction rate. Default 5. */
  confirm?: number;
  /** Bound on the whole job. Default 30 min. */
  budgetMs?: number;
  /** Default <runDir>/shrink. */
  outDir?: string;
  /** Linearizability search budget per attempt. Default 30 s. */
  checkTimeoutMs?: number;
  /** Ctrl-C: stop and keep the best found so far. */
  signal?: AbortSignal;
  onProgress?(event: ShrinkProgress): void;
  /** Runs one attempt (tests substitute nothing here; it is the seam for the CLI's observer). */
  runAttempt?(config: ResolvedRunConfig, signal: AbortSignal, checkTimeoutMs: number): Promise<RunOutcome>;
}

export type AttemptOutcome = 'fails' | 'holds' | 'unknown' | 'interrupted' | 'error';

export type ShrinkProgress =
  | { type: 'start'; target: string[]; steps: number; timeLimitMs: number; outDir: string }
  | { type: 'candidate'; n: number; why: string; steps: number; timeLimitMs: number }
  | { type: 'attempt'; n: number; attempt: number; of: number; outcome: AttemptOutcome; ms: number; detail: string }
  | { type: 'accepted'; n: number; steps: number; timeLimitMs: number; why: string }
  | { type: 'confirm'; attempt: number; of: number; outcome: AttemptOutcome; ms: number }
  | { type: 'stopped'; reason: 'budget' | 'interrupt' };

export interface AttemptRecord {
  outcome: AttemptOutcome;
  ms: number;
  detail: string;
  /** The attempt's run id (its folder is kept only for the minimal schedule's failing run). */
  runId?: string;
}

export interface CandidateRecord {
  n: number;
  why: string;
  steps: number[];
  timeLimitMs: number;
  file: string;
  attempts: AttemptRecord[];
  fails: boolean;
}

export interface ShrinkReport {
  runDir: string;
  /** The claims a candidate must violate (any of them). */
  target: string[];
  /** Measured strictly (`--claim`) or as the topology claims them. */
  strict: boolean;
  k: number;
  original: { steps: number; timeLimitMs: number; nodesAffected: string[] };
  minimal: { steps: number; stepIds: number[]; timeLimitMs: number; nodesAffected: string[]; schedule: string };
  reproduction: { failed: number; attempts: number; during: 'confirmation' | 'search' };
  /** The confirmation attempts of the minimal schedule. */
  confirmations: AttemptRecord[];
  search: { candidates: number; attempts: number; elapsedMs: number; stoppedBy: 'done' | 'budget' | 'interrupt' };
  replay: string;
  /** The minimal schedule's failing run (its report folder), relative to outDir; absent when none failed. */
  minimalRun?: string;
  candidates: CandidateRecord[];
}

export interface ShrinkResult {
  report: ShrinkReport;
  outDir: string;
  /** 0: a smaller schedule still fails (or the original does); 2: the failure did not reproduce. */
  exitCode: number;
  /** The lines of report.txt. */
  summary: string[];
}

interface LoadedRun {
  config: ResolvedRunConfig;
  schedule: Schedule;
  ops: Op[];
  results: RunResults;
}

const refuse = (message: string, hint?: string): FaultlineError =>
  configError(message, { path: 'RUN_DIR', ...(hint ? { hint } : {}) });

/** The run folder's config (with its schedule), history and verdicts; refuses what cannot be shrunk. */
export const loadRunForShrink = async (runDir: string): Promise<LoadedRun> => {
  const historyFile = join(runDir, 'history.jsonl');
  const text = await readFile(historyFile, 'utf8').catch(() => {
    throw refuse(`no history.jsonl in ${runDir}`, 'give a run folder, e.g. reports/<test>/<run-id>');
  });
  const parsed = parseJsonlHistory(text, historyFile);
  const header = parsed.header as (HistoryHeader & { config: ResolvedRunConfig }) | undefined;
  if (!header?.config) throw refuse(`${historyFile} has no header with the run's config`);
  const schedule = header.config.schedule;
  if (!schedule) {
    throw refuse(
      `the run in ${runDir} recorded no fault schedule (an older faultline wrote it)`,
      're-run it with this faultline; its schedule.yaml can then be shrunk',
    );
  }
  const results = await readFile(join(runDir, 'results.json'), 'utf8').then(
    (t) => JSON.parse(t) as RunResults,
    () => {
      throw refuse(`no results.json in ${runDir}: the run was not analysed`, `faultline check ${runDir}`);
    },
  );
  return { config: header.config, schedule, ops: parsed.ops, results };
};

/** Which claims a candidate must violate, and how to judge them. */
const chooseTarget = (run: LoadedRun, claim: string | undefined): { claims: Claims; strict: boolean } => {
  const measuredStrictly = (checkers: Readonly<Record<string, CheckerResult>>) =>
    evaluateClaims(STRICT, checkers)
      .filter((c) => c.held === false)
      .map((c) => c.name);
  if (claim !== undefined) {
    if (!(CLAIM_NAMES as string[]).includes(claim)) {
      throw configError(`unknown claim ${JSON.stringify(claim)}`, {
        path: '--claim',
        hint: `claims: ${CLAIM_NAMES.join(', ')}`,
      });
    }
    const name = claim as keyof Claims;
    if (!measuredStrictly(run.results.checkers).includes(name)) {
      throw refuse(
        `the run in ${run.config.test} did not violate ${name}: nothing to shrink`,
        'shrink a run whose claim failed',
      );
    }
    return { claims: { [name]: STRICT[name] } as Claims, strict: true };
  }
  const violated = run.results.claims.filter((c) => c.held === false).map((c) => c.name as keyof Claims);
  if (violated.length === 0) {
    const measured = measuredStrictly(run.results.checkers);
    throw refuse(
      `the run did not fail: every claim of ${run.config.cluster.name} held`,
      measured.length > 0
        ? `its checkers measured what this topology does not claim (${measured.join(', ')}); to shrink that, name it: --claim ${measured[0]}`
        : 'shrink a run whose claim failed (exit code 1)',
    );
  }
  const claims: Claims = {};
  for (const name of violated) (claims as Record<string, unknown>)[name] = run.config.cluster.claims[name];
  return { claims, strict: false };
};

/** The claims of `target` that these checkers' results violate. */
const violations = (claims: Claims, checkers: Readonly<Record<string, CheckerResult>>): string[] =>
  evaluateClaims(claims, checkers)
    .filter((c) => c.held === false)
    .map((c) => c.name);

/**
 * When the violation showed, in ms of the run phase: the shortest prefix
 * of the history (ops invoked by then; later completions left open, so
 * indeterminate) that already violates the target — a prefix of a valid
 * history is valid, so this is sound for claims judged on the history
 * alone (not on final reads). Undefined when it cannot tell.
 */
export const violationTimeMs = async (run: LoadedRun, claims: Claims): Promise<number | undefined> => {
  const names = Object.keys(claims) as (keyof Claims)[];
  if (names.length === 0 || names.some((n) => !PREFIX_CHECKERS[n])) return undefined;
  // The run phase's start on the history clock: each step's start op comes when its atMs is reached.
  const starts = run.ops.filter((o) => o.process === 'nemesis' && o.type === 'invoke' && o.f.startsWith('start-'));
  const offsets = starts.flatMap((o) => {
    const id = (o.value as { step?: unknown } | null)?.step;
    const step = run.schedule.steps.find((s) => s.id === id);
    return step ? [o.time / 1e6 - step.atMs] : [];
  });
  if (offsets.length === 0) return undefined;
  const phaseStartMs = Math.min(...offsets);
  const ctx = {
    nodes: run.config.nodes,
    timeoutMs: 10_000,
    options: {
      ...(run.config.workload.model !== undefined ? { model: run.config.workload.model } : {}),
      ...(run.config.workload.initial !== undefined ? { initial: run.config.workload.initial } : {}),
    },
  };
  const failsBy = async (t: number): Promise<boolean> => {
    const prefix = run.ops.filter((o) => o.time <= t);
    const checkers: Record<string, CheckerResult> = {};
    for (const n of names) checkers[PREFIX_CHECKERS[n]!] = await loadChecker(PREFIX_CHECKERS[n]!).check(prefix, ctx);
    return violations(claims, checkers).length > 0;
  };
  const times = [...new Set(run.ops.filter((o) => typeof o.process === 'number').map((o) => o.time))].sort(
    (a, b) => a - b,
  );
  if (times.length === 0 || !(await failsBy(times.at(-1)!))) return undefined;
  let lo = 0;
  let hi = times.length - 1; // failsBy(times[hi]) holds
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (await failsBy(times[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return times[hi]! / 1e6 - phaseStartMs;
};

/** The steps that started before the violation, in a run that ends soon after it. */
const cutAt = (start: Candidate, violationMs: number): Candidate | undefined => {
  const end = Math.ceil((violationMs + TAIL_MS) / 100) * 100;
  const steps = start.steps
    .filter((s) => s.atMs < violationMs)
    .map((s) => (s.healAtMs > end ? { ...s, healAtMs: Math.max(end, s.atMs + 100) } : s));
  const timeLimitMs = Math.max(end, LEAD_MS + TAIL_MS, ...steps.map((s) => s.healAtMs));
  if (timeLimitMs >= start.timeLimitMs && steps.length === start.steps.length) return undefined;
  return { steps, timeLimitMs };
};

const defaultRunAttempt = (config: ResolvedRunConfig, signal: AbortSignal, checkTimeoutMs: number) =>
  runTest(config, { signal, checkTimeoutMs });

export const shrinkRun = async (options: ShrinkOptions): Promise<ShrinkResult> => {
  const began = performance.now();
  const runDir = resolve(options.runDir);
  const run = await loadRunForShrink(runDir);
  const target = chooseTarget(run, options.claim);
  const targetNames = Object.keys(target.claims);
  if (run.schedule.steps.length === 0) {
    throw refuse('the run injected no faults: there is no schedule to shrink', 'its failure needs no faults at all');
  }
  const k = positive(options.attempts ?? 3, '--attempts');
  const confirm = positive(options.confirm ?? 5, '--confirm');
  const budgetMs = options.budgetMs ?? 30 * 60_000;
  const checkTimeoutMs = options.checkTimeoutMs ?? 30_000;
  const signal = options.signal ?? new AbortController().signal;
  const runAttempt = options.runAttempt ?? defaultRunAttempt;
  const progress = options.onProgress ?? (() => {});
  const outDir = resolve(options.outDir ?? join(runDir, 'shrink'));
  const runsDir = join(outDir, 'runs');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'candidates'), { recursive: true });

  const start: Candidate = { steps: run.schedule.steps, timeLimitMs: run.config.timeLimitMs };
  progress({ type: 'start', target: targetNames, steps: start.steps.length, timeLimitMs: start.timeLimitMs, outDir });

  const records: CandidateRecord[] = [];
  let attemptsRun = 0;
  // Cost of one attempt beyond its time limit (cluster up, quiesce, final reads, check): measured as we go.
  let overheadMs = 10_000;
  const deadline = began + budgetMs;
  let stoppedBy: ShrinkReport['search']['stoppedBy'] = 'done';
  const estimate = (c: Candidate) => c.timeLimitMs + overheadMs;

  const scheduleOf = (c: Candidate): Schedule => ({ ...run.schedule, steps: c.steps, timeLimitMs: c.timeLimitMs });
  const configFor = (c: Candidate, file: string): ResolvedRunConfig => ({
    ...run.config,
    timeLimitMs: c.timeLimitMs,
    reportsDir: runsDir,
    schedule: scheduleOf(c),
    scheduleFile: file,
  });

  /** One attempt of a candidate: its outcome, and its run folder if it failed (kept) — other folders are removed. */
  const attemptOnce = async (c: Candidate, file: string): Promise<{ record: AttemptRecord; dir?: string }> => {
    const t0 = performance.now();
    attemptsRun += 1;
    let outcome: RunOutcome;
    try {
      outcome = await runAttempt(configFor(c, file), signal, checkTimeoutMs);
    } catch (e) {
      const ms = Math.round(performance.now() - t0);
      const detail = e instanceof Error ? e.message : String(e);
      return { record: { outcome: signal.aborted ? 'interrupted' : 'error', ms, detail } };
    }
    const ms = Math.round(performance.now() - t0);
    overheadMs = Math.max(1000, Math.round(0.5 * overheadMs + 0.5 * (ms - c.timeLimitMs)));
    const violated = violations(target.claims, outcome.results.checkers);
    const judged = evaluateClaims(target.claims, outcome.results.checkers);
    const result: AttemptOutcome = outcome.results.interrupted
      ? violated.length > 0
        ? 'fails'
        : 'interrupted'
      : violated.length > 0
        ? 'fails'
        : judged.some((j) => j.held === 'unknown')
          ? 'unknown'
          : 'holds';
    const detail =
      violated.length > 0 ? `violated ${violated.join(', ')}` : judged.map((j) => `${j.name} ${j.held}`).join(', ');
    const record = { outcome: result, ms, detail, runId: outcome.results.runId };
    if (result !== 'fails') {
      await rm(outcome.dir, { recursive: true, force: true });
      return { record };
    }
    return { record, dir: outcome.dir };
  };

  let bestRunDir: string | undefined;
  let bestRecord: CandidateRecord | undefined;
  const keepRun = async (dir: string | undefined) => {
    if (!dir || dir === bestRunDir) return;
    if (bestRunDir) await rm(bestRunDir, { recursive: true, force: true });
    bestRunDir = dir;
  };

  const shouldStop = () => {
    if (signal.aborted) {
      stoppedBy = 'interrupt';
      return true;
    }
    // Keep enough of the budget to confirm the best schedule.
    if (performance.now() + estimate(best) * Math.min(confirm, 3) > deadline) {
      stoppedBy = 'budget';
      return true;
    }
    return false;
  };
  let best = start;

  const test = async (c: Candidate, why: string): Promise<boolean | undefined> => {
    const n = records.length + 1;
    const file = join(outDir, 'candidates', `${String(n).padStart(3, '0')}.yaml`);
    await writeFile(file, formatSchedule(scheduleOf(c)));
    const record: CandidateRecord = {
      n,
      why,
      steps: c.steps.map((s) => s.id),
      timeLimitMs: c.timeLimitMs,
      file: relative(outDir, file),
      attempts: [],
      fails: false,
    };
    records.push(record);
    progress({ type: 'candidate', n, why, steps: c.steps.length, timeLimitMs: c.timeLimitMs });
    for (let i = 1; i <= k; i++) {
      if (i > 1 && shouldStop()) break;
      const { record: a, dir } = await attemptOnce(c, file);
      record.attempts.push(a);
      progress({ type: 'attempt', n, attempt: i, of: k, outcome: a.outcome, ms: a.ms, detail: a.detail });
      if (a.outcome === 'interrupted') return undefined;
      if (a.outcome === 'fails') {
        record.fails = true;
        await keepRun(dir);
        bestRecord = record;
        return true;
      }
    }
    return false;
  };

  const hints: { candidate: Candidate; why: string }[] = [];
  const tv = await violationTimeMs(run, target.claims).catch(() => undefined);
  if (tv !== undefined) {
    const cut = cutAt(start, tv);
    if (cut)
      hints.push({
        candidate: cut,
        why: `the steps before the violation at ${formatDuration(tv)}, run cut soon after`,
      });
  }

  const minimal = await searchSmallerSchedule(
    start,
    {
      test,
      shouldStop,
      onAccept: (c, why) => {
        best = c;
        progress({ type: 'accepted', n: records.length, steps: c.steps.length, timeLimitMs: c.timeLimitMs, why });
      },
    },
    hints,
  );
  best = minimal;
  // An interrupt during the last candidate ends the search without asking shouldStop again.
  if (signal.aborted) stoppedBy = 'interrupt';
  if (stoppedBy !== 'done') progress({ type: 'stopped', reason: stoppedBy });

  // The minimal schedule, and its reproduction rate.
  const scheduleFile = join(outDir, 'schedule.yaml');
  const replay = await replayCommand(configFor(minimal, scheduleFile), outDir);
  await writeFile(
    scheduleFile,
    `# the minimal schedule found by: faultline shrink ${runDir}\n# replay: ${replay}\n${formatSchedule(scheduleOf(minimal))}`,
  );
  const confirmations: AttemptRecord[] = [];
  let failed = 0;
  let confirmed = 0;
  let confirmRun: string | undefined;
  for (let i = 1; i <= confirm; i++) {
    if (signal.aborted || (i > 1 && performance.now() + estimate(minimal) > deadline)) break;
    const { record: a, dir } = await attemptOnce(minimal, scheduleFile);
    confirmations.push(a);
    progress({ type: 'confirm', attempt: i, of: confirm, outcome: a.outcome, ms: a.ms });
    if (a.outcome === 'interrupted') break;
    confirmed += 1;
    if (a.outcome === 'fails') {
      failed += 1;
      if (confirmRun) await rm(dir!, { recursive: true, force: true });
      else confirmRun = dir;
    }
  }
  let reproduction: ShrinkReport['reproduction'];
  if (confirmed > 0) {
    reproduction = { failed, attempts: confirmed, during: 'confirmation' };
    if (confirmRun && bestRunDir) await rm(bestRunDir, { recursive: true, force: true });
  } else {
    // Stopped before confirming: what the search saw of this schedule.
    const seen = bestRecord && minimal !== start ? bestRecord.attempts : [];
    reproduction = {
      failed: seen.filter((a) => a.outcome === 'fails').length,
      attempts: seen.filter((a) => a.outcome !== 'interrupted').length,
      during: 'search',
    };
  }
  const minimalRunDir = confirmRun ?? (minimal !== start ? bestRunDir : undefined);

  const report: ShrinkReport = {
    runDir,
    target: targetNames,
    strict: target.strict,
    k,
    original: { steps: start.steps.length, timeLimitMs: start.timeLimitMs, nodesAffected: nodesAffected(start.steps) },
    minimal: {
      steps: minimal.steps.length,
      stepIds: minimal.steps.map((s) => s.id),
      timeLimitMs: minimal.timeLimitMs,
      nodesAffected: nodesAffected(minimal.steps),
      schedule: relative(outDir, scheduleFile),
    },
    reproduction,
    confirmations,
    search: {
      candidates: records.length,
      attempts: attemptsRun,
      elapsedMs: Math.round(performance.now() - began),
      stoppedBy,
    },
    replay,
    ...(minimalRunDir ? { minimalRun: relative(outDir, minimalRunDir) } : {}),
    candidates: records,
  };
  const summary = summarize(report, outDir, minimal);
  await writeFile(join(outDir, 'shrink.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(outDir, 'report.txt'), `${summary.join('\n')}\n`);
  return { report, outDir, exitCode: reproduction.failed > 0 ? EXIT.ok : EXIT.unknown, summary };
};

/** "fails 4 of 5 attempts" */
export const reproductionText = (r: ShrinkReport['reproduction']): string =>
  `fails ${r.failed} of ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}${r.during === 'search' ? ' (during the search; not confirmed)' : ''}`;

const describeStep = (s: Candidate['steps'][number]): string => {
  const f = s.fault;
  const what =
    f.kind === 'partition'
      ? `partition ${typeof f.grudge === 'object' ? (f.label ?? JSON.stringify(f.grudge)) : `${f.grudge} ${JSON.stringify(f.target ?? 'random')}`}`
      : `${f.kind} ${Array.isArray(f.target) ? f.target.join(' ') : f.target}`;
  return `step ${s.id}: ${what} at ${formatDuration(s.atMs)} for ${formatDuration(s.healAtMs - s.atMs)}`;
};

const summarize = (r: ShrinkReport, outDir: string, minimal: Candidate): string[] => [
  `shrink of ${r.runDir}`,
  `target: ${r.target.join(' or ')} violated${r.strict ? ' (measured strictly)' : ''}; a candidate fails when 1 of ${r.k} attempts does`,
  `original: ${r.original.steps} steps on ${r.original.nodesAffected.length} nodes, time limit ${formatDuration(r.original.timeLimitMs)}`,
  `minimal:  ${r.minimal.steps} step${r.minimal.steps === 1 ? '' : 's'} on ${r.minimal.nodesAffected.length} node${r.minimal.nodesAffected.length === 1 ? '' : 's'}, time limit ${formatDuration(r.minimal.timeLimitMs)}`,
  ...minimal.steps.map((s) => `  ${describeStep(s)}`),
  `reproduction: ${reproductionText(r.reproduction)}`,
  `search: ${r.search.candidates} candidates, ${r.search.attempts} attempts, ${formatDuration(r.search.elapsedMs)}${r.search.stoppedBy === 'done' ? '' : ` (stopped: ${r.search.stoppedBy === 'budget' ? 'time budget' : 'interrupted'})`}`,
  `schedule: ${join(outDir, r.minimal.schedule)}`,
  `replay: ${r.replay}`,
  r.minimalRun ? `minimal run's report: ${join(outDir, r.minimalRun, 'report.html')}` : 'minimal run: none failed',
];

const positive = (n: number, flag: string): number => {
  if (!Number.isInteger(n) || n < 1)
    throw configError(`expected a whole number of at least 1, got ${n}`, { path: flag });
  return n;
};
