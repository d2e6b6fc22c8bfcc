import { randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { configError } from '../base/errors.ts';
import { writeFileAtomic } from '../base/files.ts';
import { mergeValidity, type Validity } from '../checker/checker.ts';
import { renderComparePage } from '../report/compare-page.ts';
import type {
  CompareCluster,
  CompareDifference,
  CompareResults,
  CompareRun,
  LossPerFault,
} from '../report/job-results.ts';
import { writeRunsIndex } from '../report/runs-index.ts';
import { type ResolvedRunConfig, type RunOptions, resolveRunConfig } from '../run/resolve.ts';
import { newRunId } from '../run/run.ts';
import type { PlannedRun, RunRecord } from './execute.ts';
import { measureRun, type RunMeasures } from './measures.ts';
import { parseCount, parseSeed, splitList } from './options.ts';
import { repetitionSeeds } from './seeds.ts';
import { CI_METHOD, estimateMean, pairedDifference } from './stats.ts';

/**
 * `faultline compare`: the same seeds — so the same operation mix and the
 * same fault schedule — across several clusters, N runs each, then lost
 * writes per run and per fault, stale reads, linearizability, availability,
 * throughput and latency per cluster with 95% intervals, and the paired
 * difference of every cluster against the first.
 */
export interface CompareOptions extends Omit<RunOptions, 'cluster' | 'config' | 'test'> {
  /** Comma-separated cluster presets (names or paths), at least two. */
  cluster: string | readonly string[];
  runs?: string | number;
}

export interface ComparePlan {
  id: string;
  seed: number;
  seeds: number[];
  clusters: string[];
  /** Seed-major order (seed 1 on every cluster, then seed 2, ...), so a cut-short compare stays paired. */
  runs: PlannedRun[];
  reportsDir: string;
  workload: string;
  nemesis: string;
  backend: string;
  timeLimitMs: number;
}

export const MAX_RUNS = 1000;

/** Resolves every run of the compare; throws FL_ERR_CONFIG naming the problem before anything starts. */
export const planCompare = async (options: CompareOptions): Promise<ComparePlan> => {
  const clusters = splitList(options.cluster);
  if (clusters.length < 2)
    throw configError('give at least two clusters to compare, separated by commas', {
      path: '--cluster',
      hint: 'e.g. --cluster single-leader-sync,single-leader-async',
    });
  const duplicate = clusters.find((c, i) => clusters.indexOf(c) !== i);
  if (duplicate) throw configError(`cluster ${JSON.stringify(duplicate)} is listed twice`, { path: '--cluster' });
  const runs = parseCount(options.runs ?? 10, '--runs', MAX_RUNS);
  const seed = options.seed === undefined ? randomInt(0, 2 ** 31) : parseSeed(options.seed, '--seed');
  const seeds = repetitionSeeds(seed, 'compare', runs);
  const { cluster: _c, runs: _r, ...runOptions } = options;

  // One resolve per cluster reports a bad preset once, naming it; the seeds only vary the copies.
  const configs: ResolvedRunConfig[] = [];
  for (const cluster of clusters) configs.push(await resolveRunConfig({ ...runOptions, cluster, seed: seeds[0]! }));
  const planned: PlannedRun[] = [];
  for (const s of seeds) {
    for (const config of configs)
      planned.push({ index: planned.length, config: Object.freeze({ ...config, seed: s }) });
  }
  const first = configs[0]!;
  return {
    id: newRunId(),
    seed,
    seeds,
    clusters: configs.map((c) => c.cluster.name),
    runs: planned,
    reportsDir: first.reportsDir,
    workload: first.workload.name,
    nemesis: first.nemesis.name,
    backend: first.backend,
    timeLimitMs: first.timeLimitMs,
  };
};

/** Where a compare's page and JSON go: <reports>/compare/<id>/. */
export const compareDir = (plan: Pick<ComparePlan, 'reportsDir' | 'id'>): string =>
  join(plan.reportsDir, 'compare', plan.id);

/** A record's run folder relative to the reports root, "/"-separated. */
export const relativeRunDir = (reportsDir: string, dir: string): string =>
  relative(reportsDir, dir).split(sep).join('/');

/** From the finished runs to compare.json: measures each run (results + history), then the estimates. */
export const summariseCompare = async (
  plan: ComparePlan,
  records: readonly RunRecord[],
  meta: { startedAt: string; durationMs: number; interrupted: boolean },
): Promise<CompareResults> => {
  const measured = await Promise.all(
    records.map(async (r) =>
      r.status === 'done' ? measureRun(r.dir, r.results, r.config.timeLimitMs) : ({} as RunMeasures),
    ),
  );
  const clusters: CompareCluster[] = plan.clusters.map((name, ci) => {
    const mine = records
      .map((r, i) => ({ r, m: measured[i]! }))
      .filter(({ r }) => r.index % plan.clusters.length === ci);
    const runs = mine.map(({ r, m }) => compareRun(plan.reportsDir, r, m));
    return summariseCluster(name, records.find((r) => r.index % plan.clusters.length === ci)!.config, runs);
  });
  return {
    faultline: 'compare',
    version: 1,
    id: plan.id,
    startedAt: meta.startedAt,
    durationMs: meta.durationMs,
    valid: mergeValidity(clusters.map((c) => c.valid)),
    interrupted: meta.interrupted,
    workload: plan.workload,
    nemesis: plan.nemesis,
    backend: plan.backend,
    timeLimitMs: plan.timeLimitMs,
    seed: plan.seed,
    seeds: plan.seeds,
    ci: CI_METHOD,
    clusters,
    differences: differences(clusters),
  };
};

const compareRun = (reportsDir: string, r: RunRecord, m: RunMeasures): CompareRun => ({
  seed: r.config.seed,
  runId: r.status === 'done' ? r.results.runId : null,
  dir: r.status === 'done' ? relativeRunDir(reportsDir, r.dir) : null,
  valid: r.status === 'done' ? r.results.valid : 'unknown',
  ...(r.status === 'error' ? { error: r.error } : r.status === 'skipped' ? { error: `skipped: ${r.reason}` } : {}),
  acked: m.acked ?? null,
  lost: m.lost ?? null,
  share: m.share ?? null,
  lostPerFault: m.lostPerFault ?? [],
  staleReads: m.staleReads ?? null,
  maxStaleMs: m.maxStaleMs ?? null,
  linearizable: m.linearizable ?? null,
  availabilityInside: m.availabilityInside ?? null,
  availabilityOutside: m.availabilityOutside ?? null,
  throughput: m.throughput ?? null,
  latencyP50Ms: m.latencyP50Ms ?? null,
  latencyP99Ms: m.latencyP99Ms ?? null,
  replay: r.status === 'done' ? r.results.replay : r.replay,
});

const present = <T>(xs: readonly (T | null)[]): T[] => xs.filter((x): x is T => x !== null);

export const summariseCluster = (
  cluster: string,
  config: ResolvedRunConfig,
  runs: readonly CompareRun[],
): CompareCluster => {
  const lost = present(runs.map((r) => r.lost));
  const shares = present(runs.map((r) => r.share));
  const lostEstimate = estimateMean(lost);
  const shareEstimate = estimateMean(shares);
  const kinds = [...new Set(runs.flatMap((r) => r.lostPerFault.map((k) => k.f)))].sort();
  const perFault = kinds.map((f) => {
    const of = runs.flatMap((r) => r.lostPerFault.filter((k) => k.f === f));
    const totals: LossPerFault = {
      f,
      faults: of.reduce((s, k) => s + k.faults, 0),
      lost: of.reduce((s, k) => s + k.lost, 0),
    };
    return { ...totals, perFault: estimateMean(of.filter((k) => k.faults > 0).map((k) => k.lost / k.faults)) };
  });
  const stale = present(runs.map((r) => r.staleReads));
  const staleEstimate = estimateMean(stale);
  const maxStale = present(runs.map((r) => r.maxStaleMs));
  const lin = runs.map((r) => r.linearizable);
  return {
    cluster,
    claims: { ...config.cluster.claims },
    valid: mergeValidity(runs.map((r) => r.valid as Validity)),
    runs: [...runs],
    lost: {
      total: sum(lost),
      acked: sum(present(runs.map((r) => r.acked))),
      mean: lostEstimate.mean,
      ci95: lostEstimate.ci95,
      meanShare: shareEstimate.mean,
      shareCi95: shareEstimate.ci95,
    },
    perFault,
    staleReads: {
      total: sum(stale),
      mean: staleEstimate.mean,
      ci95: staleEstimate.ci95,
      maxStaleMs: maxStale.length > 0 ? Math.max(...maxStale) : null,
    },
    linearizable: {
      valid: lin.filter((v) => v === true).length,
      invalid: lin.filter((v) => v === false).length,
      unknown: lin.filter((v) => v === 'unknown').length,
      unchecked: lin.filter((v) => v === null).length,
    },
    availability: {
      inside: estimateMean(present(runs.map((r) => r.availabilityInside))),
      outside: estimateMean(present(runs.map((r) => r.availabilityOutside))),
    },
    throughput: estimateMean(present(runs.map((r) => r.throughput))),
    latencyMs: {
      p50: estimateMean(present(runs.map((r) => r.latencyP50Ms))),
      p99: estimateMean(present(runs.map((r) => r.latencyP99Ms))),
    },
  };
};

const METRICS: { metric: CompareDifference['metric']; of: (r: CompareRun) => number | null }[] = [
  { metric: 'lost', of: (r) => r.lost },
  { metric: 'share', of: (r) => r.share },
  { metric: 'staleReads', of: (r) => r.staleReads },
  { metric: 'throughput', of: (r) => r.throughput },
];

/** Every cluster against the first, paired by seed, for each metric both measured. */
const differences = (clusters: readonly CompareCluster[]): CompareDifference[] => {
  const [baseline, ...others] = clusters;
  if (!baseline) return [];
  const out: CompareDifference[] = [];
  for (const c of others) {
    for (const { metric, of } of METRICS) {
      const a = baseline.runs.map((r) => of(r) ?? undefined);
      const b = c.runs.map((r) => of(r) ?? undefined);
      const d = pairedDifference(a, b);
      if (d.n === 0) continue;
      out.push({ baseline: baseline.cluster, cluster: c.cluster, metric, ...d });
    }
  }
  return out;
};

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Writes compare.json and compare.html into <reports>/compare/<id>/ and refreshes the runs index. */
export const writeCompare = async (plan: ComparePlan, results: CompareResults): Promise<string> => {
  const dir = compareDir(plan);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'compare.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'compare.html'), renderComparePage(results, { reportsRoot: '../..' }));
  await writeRunsIndex(plan.reportsDir).catch(() => {});
  return dir;
};
