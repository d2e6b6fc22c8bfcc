import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { stringify } from 'yaml';
import { EXIT, FaultlineError } from '../base/errors.ts';
import { writeFileAtomic } from '../base/files.ts';
import { packagePath } from '../base/ts-node.ts';
import type { CheckContext, CheckerResult } from '../checker/checker.ts';
import { type CheckerName, type CheckerResults, isCheckerName, isCrash, runCheckers } from '../checker/index.ts';
import { faultWindows } from '../history/faults.ts';
import { type HistoryHeader, parseJsonlHistory } from '../history/jsonl.ts';
import type { Op } from '../history/op.ts';
import { renderLinearizationSection } from '../report/linearization/index.ts';
import type { RunResults } from '../report/results.ts';
import { writeRunsIndex } from '../report/runs-index.ts';
import { writeRunReport } from '../report/write.ts';
import { getWorkload } from '../workload/index.ts';
import { claimedGenericCheckers, evaluateClaims, measureRequest, runVerdict } from './claims.ts';
import { PRESET_DIRS, type PresetKind } from './presets.ts';
import { DEFAULTS, type ResolvedRunConfig } from './resolve.ts';

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
      ...getWorkload(config.workload.client).checkerOptions?.(config.workload),
      ...(config.workload.model !== undefined ? { model: config.workload.model } : {}),
      ...(config.workload.initial !== undefined ? { initial: config.workload.initial } : {}),
    },
    measure: measureRequest(config.cluster.claims),
  };
  const checkers = await runCheckers(checkersOf(config), history, ctx);
  const claims = evaluateClaims(config.cluster.claims, checkers);
  const tested = claims.some((c) => c.held !== 'untested');
  let valid = tested ? runVerdict(claims) : runVerdict([]);
  if (!tested) {
    // No claim of the preset was measured: judge by the checkers themselves.
    const vs = Object.values(checkers).map((c: CheckerResult) => c.valid);
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
    replay: await replayCommand(config, dir),
    ...(facts.incidents.length > 0 ? { incidents: facts.incidents } : {}),
  };
  await writeFileAtomic(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeRunReport(dir, {
    results,
    history,
    config,
    logs: nodeLogs(dir),
    extraSections: explainFailures(checkers, history),
  });
  await writeRunsIndex(dirname(dirname(dir))).catch(() => {});
  return { results, exitCode: exitCodeOf(valid) };
};

export const exitCodeOf = (valid: RunResults['valid']): number =>
  valid === true ? EXIT.ok : valid === false ? EXIT.violated : EXIT.unknown;

/** The workload's checkers, and those the cluster's claims need that read any history (split-brain). */
export const checkersOf = (config: ResolvedRunConfig): CheckerName[] => {
  const names = new Set(config.workload.checkers.filter(isCheckerName));
  for (const c of claimedGenericCheckers(config.cluster.claims)) names.add(c);
  return [...names];
};

/**
 * The command that replays a run exactly: the same presets (faultline's own
 * by name, a user's file by its absolute path, a preset inlined in a run
 * file or given in code written to `<run>/presets/<kind>.yaml` and replayed
 * from there), the same seed, backend, node count and every limit; backend
 * options, which have no flag, in `<run>/presets/run.yaml` given first
 * with --config.
 * Resolving it gives back the same configuration (test/run/replay.test.ts).
 */
export const replayCommand = async (config: ResolvedRunConfig, dir: string): Promise<string> => {
  const ref = async (kind: PresetKind, p: { name: string; source: string }): Promise<string> => {
    const [file, inlineKey] = p.source.split('#');
    if (inlineKey === undefined) {
      const own = packagePath(PRESET_DIRS[kind]) + sep;
      return file!.startsWith(own) && basename(file!).replace(/\.ya?ml$/, '') === p.name ? p.name : file!;
    }
    // Inlined: the preset as its own file in the run folder.
    const { source: _source, ...preset } = p;
    const out = join(dir, 'presets', `${kind}.yaml`);
    await mkdir(dirname(out), { recursive: true });
    await writeFileAtomic(out, stringify(preset, { lineWidth: 0 }));
    return out;
  };
  const ms = (v: number) => (v % 1000 === 0 ? `${v / 1000}s` : `${v}ms`);
  const defaultTest = `${config.cluster.name}-${config.workload.name}-${config.nemesis.name}`;
  const args: [string, string][] = [];
  if (Object.keys(config.backendOptions ?? {}).length > 0) {
    const out = join(dir, 'presets', 'run.yaml');
    await mkdir(dirname(out), { recursive: true });
    await writeFileAtomic(out, stringify({ backendOptions: config.backendOptions }, { lineWidth: 0 }));
    args.push(['--config', out]);
  }
  args.push(
    ['--cluster', await ref('cluster', config.cluster)],
    ['--workload', await ref('workload', config.workload)],
    // A replayed schedule replays by its file; otherwise the nemesis and the seed plan the same steps.
    config.scheduleFile ? ['--schedule', config.scheduleFile] : ['--nemesis', await ref('nemesis', config.nemesis)],
  );
  if (config.backend !== DEFAULTS.backend) args.push(['--backend', config.backend]);
  args.push(
    ['--nodes', String(config.nodes.length)],
    ['--time-limit', ms(config.timeLimitMs)],
    ['--concurrency', String(config.concurrency)],
    ['--rate', String(config.rate)],
    ['--op-timeout', ms(config.opTimeoutMs)],
    ['--quiesce', ms(config.quiesceMs)],
    ['--seed', String(config.seed)],
  );
  if (config.checkTimeoutMs !== undefined && config.checkTimeoutMs !== DEFAULTS.checkTimeoutMs)
    args.push(['--check-timeout', ms(config.checkTimeoutMs)]);
  if (config.test !== defaultTest) args.push(['--test', config.test]);
  return ['npx faultline run', ...args.map(([flag, v]) => `${flag} ${shellQuote(v)}`)].join(' ');
};

/** A word for a POSIX shell: as is when safe, else single-quoted. */
export const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** For a non-linearizable history: the failing partition drawn with its longest linearization. */
const explainFailures = (checkers: CheckerResults, history: readonly Op[]): { title: string; html: string }[] => {
  const lin = checkers.linearizable;
  if (lin === undefined || isCrash(lin) || lin.valid !== false || !lin.failure) return [];
  const key = lin.failingKey !== undefined ? ` (key ${lin.failingKey})` : '';
  const html = renderLinearizationSection({
    result: lin.failure,
    timeUnit: 'ns',
    heading: false,
    faults: faultWindows(history),
  });
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
