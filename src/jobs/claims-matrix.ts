import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configError, FaultlineError } from '../base/errors.ts';
import { writeFileAtomic } from '../base/files.ts';
import { mergeValidity, type Validity } from '../checker/checker.ts';
import { type CheckerName, type CheckerResultMap, isCrash } from '../checker/index.ts';
import { GUARANTEE_NAMES, type Guarantee } from '../checker/session.ts';
import { renderClaimsMarkdown, spliceMarkdown } from '../report/claims-markdown.ts';
import { renderClaimsPage } from '../report/claims-page.ts';
import { measureResults } from '../report/figures.ts';
import type { CellStatus, ClaimCell, ClaimCellRun, ClaimsMatrix, ClaimsRow } from '../report/job-results.ts';
import type { ClaimResult, RunResults } from '../report/results.ts';
import { writeRunsIndex } from '../report/runs-index.ts';
import { listPresets } from '../run/presets.ts';
import { type ResolvedRunConfig, type RunOptions, resolveRunConfig } from '../run/resolve.ts';
import { newRunId } from '../run/run.ts';
import { relativeRunDir } from './compare.ts';
import type { PlannedRun, RunRecord } from './execute.ts';
import { parseCount, parseSeed, splitList } from './options.ts';
import { deriveSeed } from './seeds.ts';

/**
 * `faultline claims`: every cluster preset against the claims it declares,
 * under the workloads and nemeses that can show each claim (docs/topologies.md,
 * "Workload and nemesis to use"), N seeds each. The matrix has one row per
 * preset and one column per claim; each cell is held, violated, or allowed
 * and measured, with its figure and the run that shows it.
 */

/**
 * The claim columns: the textbook's table first, then the finer claims
 * (session guarantees, split brain, fencing, bank totals); a claim a preset
 * declares that is not listed here follows, by name.
 */
export const CLAIM_COLUMNS = [
  'linearizable',
  'lostWrites',
  'staleReads',
  'lostUpdates',
  'lostIncrements',
  'convergence',
  'readYourWrites',
  'monotonicReads',
  'monotonicWrites',
  'consistentPrefix',
  'splitBrain',
  'fencing',
  'totalConserved',
] as const;

export interface Probe {
  workload: string;
  nemesis: string;
}

/**
 * What shows each claim. Lost writes need two probes: a leader kill shows
 * what failover loses (async replication, unsafe failover), a power cut what
 * missing fsyncs lose. A claim this table does not know is judged under the
 * register probe, where most consistency claims show.
 */
export const PROBES: Readonly<Record<string, readonly Probe[]>> = {
  lostUpdates: [{ workload: 'conflicts', nemesis: 'clock-skew' }],
  lostIncrements: [{ workload: 'counter', nemesis: 'partition-halves' }],
  lostWrites: [
    { workload: 'set', nemesis: 'leader-kill' },
    { workload: 'set', nemesis: 'kill-all' },
  ],
  totalConserved: [{ workload: 'bank', nemesis: 'leader-kill' }],
  linearizable: [{ workload: 'register', nemesis: 'isolate-leader' }],
  staleReads: [{ workload: 'register', nemesis: 'isolate-leader' }],
  // The split-brain checker reads any history; it needs a partition to see two leaders.
  splitBrain: [{ workload: 'register', nemesis: 'isolate-leader' }],
  fencing: [{ workload: 'register', nemesis: 'isolate-leader' }],
  // Session guarantees break on follower reads, with or without faults.
  readYourWrites: [{ workload: 'session', nemesis: 'none' }],
  monotonicReads: [{ workload: 'session', nemesis: 'none' }],
  monotonicWrites: [{ workload: 'session', nemesis: 'none' }],
  consistentPrefix: [{ workload: 'session', nemesis: 'none' }],
  convergence: [{ workload: 'set', nemesis: 'partition-halves' }],
};
const DEFAULT_PROBES: readonly Probe[] = [{ workload: 'register', nemesis: 'isolate-leader' }];

/**
 * Workloads whose checkers already measure a claim well: a preset probed
 * with one of them for another claim needs no extra run for this one (set,
 * conflicts and counter read every node after healing). Stale reads are
 * not on the list for the conflicts workload, although its staleness
 * checker measures them: under clock skew alone, without a partition, a
 * leaderless R + W ≤ N cluster shows almost none.
 */
const MEASURED_BY: Readonly<Record<string, readonly string[]>> = {
  staleReads: ['register'],
  convergence: ['set', 'conflicts', 'counter'],
};

/** The probes a preset's claims need, deduplicated, specific claims first so that shared ones ride along. */
export const probesFor = (claims: Readonly<Record<string, unknown>>): Probe[] => {
  const declared = Object.keys(claims).filter((k) => claims[k] !== undefined);
  const order = Object.keys(PROBES);
  const names = [...declared].sort(
    (a, b) => (order.indexOf(a) + 1 || order.length + 1) - (order.indexOf(b) + 1 || order.length + 1),
  );
  const out: Probe[] = [];
  for (const name of names) {
    if (MEASURED_BY[name]?.some((w) => out.some((p) => p.workload === w))) continue;
    for (const p of PROBES[name] ?? DEFAULT_PROBES)
      if (!out.some((q) => q.workload === p.workload && q.nemesis === p.nemesis)) out.push(p);
  }
  return out;
};

export interface ClaimsOptions extends Omit<RunOptions, 'cluster' | 'workload' | 'nemesis' | 'config' | 'test'> {
  /** Presets to run, comma-separated; default every preset this machine can run. */
  cluster?: string | readonly string[];
  /** Only presets of this system (e.g. replica). */
  system?: string;
  /** Seeds per (preset, probe). */
  seeds?: string | number;
}

export interface ClaimsPlan {
  id: string;
  seed: number;
  seeds: number[];
  reportsDir: string;
  backend: string;
  timeLimitMs: number;
  presets: {
    cluster: string;
    config: ResolvedRunConfig;
    probes: Probe[];
    unavailable: { probe: Probe; reason: string }[];
  }[];
  /** Presets left out because this machine cannot run them (only when no --cluster was given). */
  skipped: { cluster: string; reason: string }[];
  runs: PlannedRun[];
  /** runs[i] belongs to presets[runPreset[i]]. */
  runPreset: number[];
}

export const DEFAULT_CLAIMS_SEEDS = 3;
/** A fixed default seed: the measured table in the docs reproduces without remembering one. */
export const DEFAULT_CLAIMS_SEED = 1;

/** Resolves every run of the matrix; bad input (an unknown preset, --seeds 0) throws before anything starts. */
export const planClaims = async (options: ClaimsOptions): Promise<ClaimsPlan> => {
  const explicit = splitList(options.cluster);
  const seedCount = parseCount(options.seeds ?? DEFAULT_CLAIMS_SEEDS, '--seeds', 100);
  const seed = options.seed === undefined ? DEFAULT_CLAIMS_SEED : parseSeed(options.seed, '--seed');
  const { cluster: _c, system, seeds: _s, ...runOptions } = options;
  const names = explicit.length > 0 ? explicit : listPresets('cluster');
  const duplicate = explicit.find((c, i) => explicit.indexOf(c) !== i);
  if (duplicate) throw configError(`cluster ${JSON.stringify(duplicate)} is listed twice`, { path: '--cluster' });

  const presets: ClaimsPlan['presets'] = [];
  const skipped: ClaimsPlan['skipped'] = [];
  for (const cluster of names) {
    let config: ResolvedRunConfig;
    try {
      // The default workload and no faults: checks the preset itself (and that this machine can run its system).
      config = await resolveRunConfig({ ...runOptions, cluster, nemesis: 'none', seed: 0 });
    } catch (e) {
      if (explicit.length > 0 || !(e instanceof FaultlineError) || !unavailableHere(e)) throw e;
      skipped.push({ cluster, reason: e.message });
      continue;
    }
    if (system !== undefined && config.cluster.system !== system) continue;
    presets.push({ cluster, config, probes: probesFor(config.cluster.claims), unavailable: [] });
  }
  if (presets.length === 0)
    throw configError(`no cluster preset${system ? ` of system ${JSON.stringify(system)}` : ''} to run`, {
      path: system ? '--system' : '--cluster',
      ...(skipped.length > 0 ? { hint: skipped.map((s) => `${s.cluster}: ${s.reason}`).join('; ') } : {}),
    });

  const seeds = Array.from({ length: seedCount }, (_, i) => deriveSeed(seed, 'claims', i));
  const runs: PlannedRun[] = [];
  const runPreset: number[] = [];
  for (const [pi, preset] of presets.entries()) {
    const usable: Probe[] = [];
    for (const probe of preset.probes) {
      let config: ResolvedRunConfig;
      try {
        config = await resolveRunConfig({ ...runOptions, cluster: preset.cluster, ...probe, seed: seeds[0]! });
      } catch (e) {
        // A probe the system or backend cannot run (no counter client, no clock faults) leaves its cells untested.
        if (!(e instanceof FaultlineError)) throw e;
        preset.unavailable.push({ probe, reason: e.message });
        continue;
      }
      usable.push(probe);
      for (const s of seeds) {
        runs.push({ index: runs.length, config: Object.freeze({ ...config, seed: s }) });
        runPreset.push(pi);
      }
    }
    preset.probes = usable;
  }
  const first = presets[0]!.config;
  return {
    id: newRunId(),
    seed,
    seeds,
    reportsDir: first.reportsDir,
    backend: first.backend,
    timeLimitMs: first.timeLimitMs,
    presets,
    skipped,
    runs,
    runPreset,
  };
};

/** A preset this machine cannot run (a missing binary, no Docker, a fault the backend lacks) rather than a mistake in it. */
const unavailableHere = (e: FaultlineError): boolean => e.code === 'FL_ERR_UNSUPPORTED';

// ------------------------------------------------------------------ the matrix

/** Figures a claim is judged on, summed over runs: `count` of `of`, and the line for humans. */
interface Figure {
  count: number;
  of: number;
  extra?: number;
}

/** A checker's typed result, or undefined when it did not run or crashed (a crash vouches for nothing). */
const checker = <K extends CheckerName>(r: RunResults, name: K): CheckerResultMap[K] | undefined => {
  const c = r.checkers[name];
  return c === undefined || isCrash(c) ? undefined : (c as CheckerResultMap[K]);
};

type FigureSpec = { read(r: RunResults): Figure | undefined; text(f: Figure): string };

/** A session guarantee's figure: reads that violated it, of the reads judged. */
const sessionFigure = (g: Guarantee): FigureSpec => ({
  read: (r) => {
    const s = checker(r, 'session');
    return s ? { count: s.guarantees[g].violations, of: s.reads } : undefined;
  },
  text: (f) => `${f.count} of ${f.of} reads broke ${GUARANTEE_NAMES[g]}`,
});

/** How to read each known claim's figure from a run's checkers (their typed results.json fields). */
const FIGURES: Record<string, FigureSpec> = {
  linearizable: {
    read: (r) => {
      const lin = checker(r, 'linearizable');
      return lin ? { count: lin.valid === true ? 0 : 1, of: 1 } : undefined;
    },
    text: (f) => `${f.of - f.count} of ${f.of} histories linearizable`,
  },
  lostWrites: {
    read: (r) => {
      const s = checker(r, 'set');
      return s ? { count: s.lost, of: s.acked } : undefined;
    },
    text: (f) => `${f.count} of ${f.of} acknowledged writes lost${f.count > 0 ? ` (${share(f)})` : ''}`,
  },
  staleReads: {
    read: (r) => {
      const s = checker(r, 'staleness');
      return s ? { count: s.staleReads, of: s.reads, extra: s.maxStaleMs } : undefined;
    },
    text: (f) =>
      `${f.count} of ${f.of} reads stale${f.count > 0 ? ` (${share(f)}, up to ${Math.round(f.extra ?? 0)} ms)` : ''}`,
  },
  lostUpdates: {
    read: (r) => {
      const c = checker(r, 'conflicts');
      return c ? { count: c.lostUpdates, of: c.acked } : undefined;
    },
    text: (f) => `${f.count} of ${f.of} acknowledged updates lost`,
  },
  lostIncrements: {
    read: (r) => {
      const c = checker(r, 'counter');
      return c ? { count: c.lostIncrements, of: c.ackedSum } : undefined;
    },
    text: (f) => `${f.count} of ${f.of} acknowledged increments missing`,
  },
  convergence: {
    read: (r) => {
      if (r.claims.find((x) => x.name === 'convergence')?.held === 'unknown') return undefined;
      const judged = checker(r, 'set') ?? checker(r, 'conflicts') ?? checker(r, 'counter') ?? checker(r, 'bank');
      return judged ? { count: judged.converged === true ? 0 : 1, of: 1 } : undefined;
    },
    text: (f) => `${f.of - f.count} of ${f.of} runs converged after healing`,
  },
  readYourWrites: sessionFigure('readYourWrites'),
  monotonicReads: sessionFigure('monotonicReads'),
  monotonicWrites: sessionFigure('monotonicWrites'),
  consistentPrefix: sessionFigure('consistentPrefix'),
  splitBrain: {
    read: (r) => {
      const s = checker(r, 'split-brain');
      return s ? { count: s.splitBrainIntervals, of: s.acks, extra: s.splitBrainMs } : undefined;
    },
    text: (f) =>
      f.count > 0
        ? `${f.count} times two leaders acknowledged writes at once (${Math.round(f.extra ?? 0)} ms)`
        : `never two leaders at once (${f.of} acknowledged writes)`,
  },
  fencing: {
    read: (r) => {
      const s = checker(r, 'split-brain');
      return s ? { count: s.deposedAcks, of: s.acks } : undefined;
    },
    text: (f) => `${f.count} of ${f.of} acknowledged writes came from a deposed leader`,
  },
  totalConserved: {
    read: (r) => {
      const b = checker(r, 'bank');
      return b ? { count: b.wrongTotal, of: b.reads } : undefined;
    },
    text: (f) => `${f.count} of ${f.of} reads did not add up to the total`,
  },
};

const share = (f: Figure): string => (f.of > 0 ? `${((f.count / f.of) * 100).toFixed(1)}%` : '–');

/** Held / violated / allowed for one cell, from the runs that judged the claim. */
export const cellStatus = (expected: unknown, held: readonly ClaimResult['held'][]): CellStatus => {
  if (expected === undefined) return 'not-claimed';
  if (held.includes(false)) return 'violated';
  const judged = held.filter((h) => h !== 'untested');
  if (judged.length === 0) return 'untested';
  if (expected === 'allowed' || expected === false) return 'allowed';
  if (judged.includes('unknown')) return 'unknown';
  return 'held';
};

interface DoneRun {
  dir: string;
  config: ResolvedRunConfig;
  results: RunResults;
}

/** One cell from the runs of its preset. */
export const claimCell = (
  claim: string,
  expected: unknown,
  runs: readonly DoneRun[],
  reportsDir: string,
): ClaimCell => {
  const judging = runs
    .map((r) => ({ r, c: r.results.claims.find((x) => x.name === claim) }))
    .filter((x) => x.c !== undefined && x.c.held !== 'untested');
  const figureSpec = FIGURES[claim];
  const measured = runs
    .map((r) => ({ r, f: figureSpec?.read(r.results) }))
    .filter((x): x is { r: DoneRun; f: Figure } => x.f !== undefined);
  const status = cellStatus(
    expected,
    judging.map((x) => x.c!.held),
  );
  let figure = '';
  let count: number | null = null;
  if (figureSpec && measured.length > 0) {
    const total = measured.reduce(
      (a, { f }) => ({ count: a.count + f.count, of: a.of + f.of, extra: Math.max(a.extra ?? 0, f.extra ?? 0) }),
      { count: 0, of: 0, extra: 0 } as Figure,
    );
    figure = figureSpec.text(total);
    count = total.count;
  } else if (judging.length > 0) {
    figure = (judging.find((x) => x.c!.held === false) ?? judging[0]!).c!.detail;
  }
  const violating = judging.find((x) => x.c!.held === false)?.r;
  const largest = [...measured].sort((a, b) => b.f.count - a.f.count)[0]?.r;
  const shown = violating ?? largest ?? judging[0]?.r;
  const cellRuns: ClaimCellRun[] = (judging.length > 0 ? judging.map((x) => x.r) : measured.map((x) => x.r)).map(
    (r) => {
      const c = r.results.claims.find((x) => x.name === claim);
      return {
        dir: relativeRunDir(reportsDir, r.dir),
        workload: r.config.workload.name,
        nemesis: r.config.nemesis.name,
        seed: r.config.seed,
        held: c?.held ?? 'untested',
        detail: c?.detail ?? '',
      };
    },
  );
  return {
    claim,
    ...(expected !== undefined ? { expected } : {}),
    status,
    figure,
    count,
    shownBy: shown ? relativeRunDir(reportsDir, shown.dir) : null,
    runs: cellRuns,
  };
};

export const summariseClaims = (
  plan: ClaimsPlan,
  records: readonly RunRecord[],
  meta: { startedAt: string; durationMs: number; interrupted: boolean },
): ClaimsMatrix => {
  const extra = [...new Set(plan.presets.flatMap((p) => Object.keys(p.config.cluster.claims)))].filter(
    (c) => !(CLAIM_COLUMNS as readonly string[]).includes(c),
  );
  const columns = [...CLAIM_COLUMNS, ...extra.sort()];
  const rows: ClaimsRow[] = plan.presets.map((preset, pi) => {
    const mine = records.filter((_, i) => plan.runPreset[i] === pi);
    const done: DoneRun[] = mine.flatMap((r) =>
      r.status === 'done' ? [{ dir: r.dir, config: r.config, results: r.results }] : [],
    );
    const declared = preset.config.cluster.claims as Record<string, unknown>;
    const cells = columns.map((claim) => claimCell(claim, declared[claim], done, plan.reportsDir));
    const m = done.map((r) => measureResults(r.results, r.config.timeLimitMs));
    const avg = (xs: (number | null | undefined)[]) => {
      const v = xs.filter((x): x is number => typeof x === 'number');
      return v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    return {
      cluster: preset.config.cluster.name,
      description: firstSentence(preset.config.cluster.description ?? ''),
      system: preset.config.cluster.system,
      claims: { ...declared },
      valid: mergeValidity([
        ...cells.map((c): Validity => (c.status === 'violated' ? false : c.status === 'unknown' ? 'unknown' : true)),
        ...mine.map((r): Validity => (r.status === 'done' ? true : 'unknown')),
      ]),
      cells,
      availability: {
        inside: avg(m.map((x) => x.availabilityInside)),
        outside: avg(m.map((x) => x.availabilityOutside)),
      },
      runs: mine.map((r) => ({
        dir: r.status === 'done' ? relativeRunDir(plan.reportsDir, r.dir) : null,
        workload: r.config.workload.name,
        nemesis: r.config.nemesis.name,
        seed: r.config.seed,
        valid: r.status === 'done' ? r.results.valid : 'unknown',
        ...(r.status === 'error'
          ? { error: r.error }
          : r.status === 'skipped'
            ? { error: `skipped: ${r.reason}` }
            : {}),
      })),
    };
  });
  return {
    faultline: 'claims',
    version: 1,
    id: plan.id,
    startedAt: meta.startedAt,
    durationMs: meta.durationMs,
    valid: mergeValidity(rows.map((r) => r.valid)),
    interrupted: meta.interrupted,
    backend: plan.backend,
    timeLimitMs: plan.timeLimitMs,
    seeds: plan.seeds,
    columns: [...columns, 'availability'],
    rows,
  };
};

/** A preset's description, shortened for a table cell: its first sentence, at most about 90 characters. */
export const firstSentence = (s: string): string => {
  const t = s.replace(/\s+/g, ' ').trim();
  const end = t.search(/\.(\s|$)/);
  const sentence = end >= 0 ? t.slice(0, end) : t;
  if (sentence.length <= 90) return sentence;
  const cut = sentence.slice(0, 90);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), 60)).replace(/[,;:]$/, '')}…`;
};

/** <reports>/claims/<id>/ */
export const claimsDir = (plan: Pick<ClaimsPlan, 'reportsDir' | 'id'>): string =>
  join(plan.reportsDir, 'claims', plan.id);

/** The command that regenerates a matrix with the same settings, for the Markdown caption. */
export const claimsCommand = (options: {
  system?: string;
  cluster?: string[];
  seeds: number;
  timeLimitMs: number;
  seed: number;
}): string =>
  [
    'npx faultline claims',
    ...(options.system ? [`--system ${options.system}`] : []),
    ...(options.cluster && options.cluster.length > 0 ? [`--cluster ${options.cluster.join(',')}`] : []),
    `--seeds ${options.seeds}`,
    `--time-limit ${options.timeLimitMs / 1000}s`,
    `--seed ${options.seed}`,
  ].join(' ');

/** Checks a --markdown target before anything starts: an existing file must carry the markers. */
export const checkMarkdownTarget = async (file: string): Promise<void> => {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw configError(`cannot read ${file}: ${e.code ?? e.message}`, { path: '--markdown' });
  });
  if (text !== undefined) spliceMarkdown(text, '', file);
};

/** Writes claims.json, claims.html and claims.md, and the table into `markdown` when given. */
export const writeClaims = async (
  plan: ClaimsPlan,
  matrix: ClaimsMatrix,
  options: { markdown?: string; command: string },
): Promise<string> => {
  const dir = claimsDir(plan);
  await mkdir(dir, { recursive: true });
  const table = renderClaimsMarkdown(matrix, { command: options.command });
  await writeFileAtomic(join(dir, 'claims.json'), `${JSON.stringify(matrix, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'claims.html'), renderClaimsPage(matrix, { reportsRoot: '../..' }));
  await writeFileAtomic(join(dir, 'claims.md'), table);
  if (options.markdown) {
    const existing = await readFile(options.markdown, 'utf8').catch(() => undefined);
    await writeFileAtomic(
      options.markdown,
      existing === undefined ? table : spliceMarkdown(existing, table, options.markdown),
    );
  }
  await writeRunsIndex(plan.reportsDir).catch(() => {});
  return dir;
};
