import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { EXIT, FaultlineError } from '../base/errors.ts';
import { writeFileAtomic } from '../base/files.ts';
import type { CheckContext, CheckerResult } from '../checker/checker.ts';
import { loadChecker } from '../checker/index.ts';
import type { LinearizableCheckerResult } from '../checker/linearizable/checker.ts';
import { type HistoryHeader, parseJsonlHistory } from '../history/jsonl.ts';
import type { Op } from '../history/op.ts';
import { renderLinearizationSection } from '../report/linearization/index.ts';
import type { RunResults } from '../report/results.ts';
import { writeRunsIndex } from '../report/runs-index.ts';
import { writeRunReport } from '../report/write.ts';
import { evaluateClaims, runVerdict } from './claims.ts';
import type { ResolvedRunConfig } from './resolve.ts';

/**
 * Analysis: history in, verdicts out. The same function ends a run and
 * backs `faultline check <run-dir>`, so re-analysing a stored run gives the
 * same verdicts: everything it needs (the resolved config, seed included) is
 * in the history's header.
 */
export interface RunFacts {
  config: ResolvedRunConfig;
  runId: string;
  startedAt: string;
  durationMs: number;
  interrupted: boolean;
  /** Harness problems during the run (a node that would not restart), for the report. */
  incidents: readonly string[];
}

export interface AnalyseOptions {
  /** Budget for searching checkers (linearizable). */
  checkTimeoutMs?: number;
  signal?: AbortSignal;
}

/** Runs the workload's checkers, judges the claims, writes results.json, report.html, junit.xml and the runs index. */
export const analyseRun = async (
  dir: string,
  history: readonly Op[],
  facts: RunFacts,
  options: AnalyseOptions = {},
): Promise<{ results: RunResults; exitCode: number }> => {
  const { config } = facts;
  const ctx: CheckContext = {
    nodes: config.nodes,
    // Older history headers have no checkTimeoutMs.
    timeoutMs: options.checkTimeoutMs ?? config.checkTimeoutMs ?? 60_000,
    ...(options.signal ? { signal: options.signal } : {}),
    options: {
      ...(config.workload.model !== undefined ? { model: config.workload.model } : {}),
      ...(config.workload.initial !== undefined ? { initial: config.workload.initial } : {}),
    },
  };
  const checkers: Record<string, CheckerResult> = {};
  for (const name of config.workload.checkers) {
    const checker = loadChecker(name);
    try {
      checkers[name] = await checker.check(history, ctx);
    } catch (e) {
      // A checker that crashes cannot vouch for anything: unknown, with the reason.
      checkers[name] = { valid: 'unknown', error: e instanceof Error ? e.message : String(e) };
    }
  }
  const claims = evaluateClaims(config.cluster.claims, checkers);
  const tested = claims.some((c) => c.held !== 'untested');
  let valid = tested ? runVerdict(claims) : runVerdict([]);
  if (!tested) {
    // No claim of the preset was measured: judge by the checkers themselves.
    const vs = Object.values(checkers).map((c) => c.valid);
    valid = vs.includes(false) ? false : vs.includes('unknown') ? 'unknown' : true;
  }
  // An interrupted run can show a violation, but cannot vouch that claims held.
  if (facts.interrupted && valid === true) valid = 'unknown';

  const results: RunResults = {
    valid,
    test: config.test,
    runId: facts.runId,
    seed: config.seed,
    startedAt: facts.startedAt,
    durationMs: facts.durationMs,
    interrupted: facts.interrupted,
    cluster: config.cluster.name,
    workload: config.workload.name,
    nemesis: config.nemesis.name,
    backend: config.backend,
    nodes: config.nodes,
    claims,
    checkers,
    replay: replayCommand(config),
    ...(facts.incidents.length > 0 ? { incidents: facts.incidents } : {}),
  };
  await writeFileAtomic(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeRunReport(dir, {
    results,
    history,
    config,
    logs: nodeLogs(dir),
    extraSections: explainFailures(checkers),
  });
  await writeRunsIndex(dirname(dirname(dir))).catch(() => {});
  return { results, exitCode: exitCodeOf(valid) };
};

export const exitCodeOf = (valid: RunResults['valid']): number =>
  valid === true ? EXIT.ok : valid === false ? EXIT.violated : EXIT.unknown;

/** The command that replays a run: same presets, same seed, same limits. */
export const replayCommand = (config: ResolvedRunConfig): string => {
  const ref = (p: { name: string; source: string }) => (p.source.includes('#') ? p.source.split('#')[0]! : p.name);
  return [
    'npx faultline run',
    `--cluster ${ref(config.cluster)}`,
    `--workload ${ref(config.workload)}`,
    config.scheduleFile ? `--schedule ${config.scheduleFile}` : `--nemesis ${ref(config.nemesis)}`,
    `--nodes ${config.nodes.length}`,
    `--time-limit ${config.timeLimitMs / 1000}s`,
    `--concurrency ${config.concurrency}`,
    `--rate ${config.rate}`,
    `--seed ${config.seed}`,
  ].join(' ');
};

/** For a non-linearizable history: the failing partition drawn with its longest linearization. */
const explainFailures = (checkers: Readonly<Record<string, CheckerResult>>): { title: string; html: string }[] => {
  const lin = checkers.linearizable as LinearizableCheckerResult | undefined;
  if (lin?.valid !== false || !lin.failure) return [];
  const key = lin.failingKey !== undefined ? ` (key ${lin.failingKey})` : '';
  const html = renderLinearizationSection({ result: lin.failure, timeUnit: 'ns', heading: false });
  return [{ title: `Where linearizability fails${key}, model ${lin.model}`, html }];
};

/** Logs that the backend copied into the run folder, as paths relative to it. */
const nodeLogs = (dir: string): Record<string, string> => {
  const logsDir = join(dir, 'logs');
  if (!existsSync(logsDir)) return {};
  const logs: Record<string, string> = {};
  for (const f of readdirSync(logsDir).sort()) logs[basename(f, '.log')] = relative(dir, join(logsDir, f));
  return logs;
};

/** `faultline check <run-dir>`: re-analyse a stored run from its history.jsonl. */
export const checkRunDir = async (dir: string, options: AnalyseOptions = {}) => {
  const file = join(dir, 'history.jsonl');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new FaultlineError('FL_ERR_CONFIG', `no history.jsonl in ${dir}`, {
      hint: 'give a run folder, e.g. reports/<test>/<run-id>, or a history file with --history',
    });
  }
  const parsed = parseJsonlHistory(text, file);
  const header = parsed.header as (HistoryHeader & { config: ResolvedRunConfig }) | undefined;
  if (!header)
    throw new FaultlineError('FL_ERR_HISTORY_PARSE', 'the history has no header line with the run config', {
      file,
      line: 1,
    });
  const previous = await readFile(join(dir, 'results.json'), 'utf8')
    .then((t) => JSON.parse(t) as Partial<RunResults>)
    .catch(() => undefined);
  const last = parsed.ops.at(-1);
  return analyseRun(
    dir,
    parsed.ops,
    {
      config: header.config,
      runId: header.runId,
      startedAt: header.startedAt,
      durationMs: previous?.durationMs ?? (last ? Math.round(last.time / 1e6) : 0),
      // No results.json: the controller died before the end, so the history is a prefix.
      interrupted: previous?.interrupted ?? true,
      incidents: (previous as { incidents?: string[] } | undefined)?.incidents ?? [],
    },
    options,
  );
};
