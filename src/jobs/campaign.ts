import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { configError, EXIT, FaultlineError } from '../base/errors.ts';
import { writeFileAtomic } from '../base/files.ts';
import { mergeValidity, type Validity } from '../checker/checker.ts';
import { renderCampaignJunit } from '../report/campaign-junit.ts';
import { renderCampaignPage } from '../report/campaign-page.ts';
import { measureResults } from '../report/figures.ts';
import type { CampaignResults, CampaignRun, CampaignTest } from '../report/job-results.ts';
import { writeRunsIndex } from '../report/runs-index.ts';
import { DEFAULTS, type ResolvedRunConfig, type RunOptions, resolveRunConfig } from '../run/resolve.ts';
import { newRunId } from '../run/run.ts';
import { type CampaignSpec, type LoadedCampaign, loadCampaign } from './campaign-file.ts';
import { relativeRunDir } from './compare.ts';
import type { PlannedRun, RunRecord } from './execute.ts';
import { deriveSeed } from './seeds.ts';

/**
 * `faultline campaign FILE`: the nightly matrix. The matrix expands in a
 * fixed order, each run's seed derives from the campaign seed and the cell
 * (not from its position), so `--shard i/n` — every n-th run, starting at
 * the i-th — runs exactly the runs the unsharded campaign would, with the
 * same seeds, and `campaign merge` puts the shards back together.
 */
export interface MatrixEntry {
  /** Position in the whole matrix. */
  index: number;
  cluster: string;
  workload: string;
  nemesis: string;
  /** Repetition of the cell, 0-based. */
  rep: number;
  seed: number;
  timeLimitMs: number | undefined;
  /** Where the cell comes from in the file, for errors: ["clusters", 1] or ["include", 0]. */
  origin: (string | number)[];
}

/** The full matrix, in file order: clusters × workloads × nemeses × repetitions, then `include`. */
export const expandMatrix = (spec: CampaignSpec, seed: number): MatrixEntry[] => {
  const entries: MatrixEntry[] = [];
  const reps = (runs: number | undefined): { rep: number; seed: (w: string, n: string) => number }[] =>
    spec.seeds
      ? spec.seeds.map((s, rep) => ({ rep, seed: () => s }))
      : Array.from({ length: runs ?? spec.runs ?? 1 }, (_, rep) => ({
          rep,
          // Derived from the workload, nemesis and repetition but not the cluster: every cluster of
          // a cell gets the same seeds, so clusters are paired as in `compare`.
          seed: (w: string, n: string) => deriveSeed(seed, w, n, rep),
        }));
  const excluded = (c: string, w: string, n: string) =>
    spec.exclude.some(
      (f) =>
        (f.cluster === undefined || f.cluster === c) &&
        (f.workload === undefined || f.workload === w) &&
        (f.nemesis === undefined || f.nemesis === n),
    );
  spec.clusters.forEach((cluster, ci) => {
    for (const workload of spec.workloads) {
      for (const nemesis of spec.nemeses) {
        if (excluded(cluster, workload, nemesis)) continue;
        for (const r of reps(undefined)) {
          entries.push({
            index: entries.length,
            cluster,
            workload,
            nemesis,
            rep: r.rep,
            seed: r.seed(workload, nemesis),
            timeLimitMs: spec.timeLimit,
            origin: ['clusters', ci],
          });
        }
      }
    }
  });
  spec.include.forEach((cell, i) => {
    for (const r of reps(cell.runs)) {
      entries.push({
        index: entries.length,
        cluster: cell.cluster,
        workload: cell.workload,
        nemesis: cell.nemesis,
        rep: r.rep,
        seed: r.seed(cell.workload, cell.nemesis),
        timeLimitMs: cell.timeLimit ?? spec.timeLimit,
        origin: ['include', i],
      });
    }
  });
  return entries;
};

/** The runs of shard i of n: every n-th entry starting at the i-th (1-based), which spreads every cluster over the shards. */
export const shardEntries = <T extends { index: number }>(
  entries: readonly T[],
  shard: { index: number; count: number } | undefined,
): T[] => (shard ? entries.filter((e) => e.index % shard.count === shard.index - 1) : [...entries]);

/** Identifies a matrix: shards of one campaign must agree on it before they are merged. */
export const matrixHash = (entries: readonly MatrixEntry[]): string =>
  createHash('sha256')
    .update(JSON.stringify(entries.map((e) => [e.cluster, e.workload, e.nemesis, e.seed, e.timeLimitMs ?? null])))
    .digest('hex');

export interface CampaignOptions {
  seed?: number;
  shard?: { index: number; count: number };
  /** Campaign id; shards of one campaign must use the same. */
  id?: string;
  reportsDir?: string;
}

export interface CampaignPlan {
  name: string;
  id: string;
  file: string;
  seed: number;
  matrixHash: string;
  matrixSize: number;
  shard: { index: number; count: number } | undefined;
  budgetMs: number | null;
  reportsDir: string;
  /** This invocation's runs; entries[i] is the matrix entry of runs[i]. */
  runs: PlannedRun[];
  entries: MatrixEntry[];
}

/** Loads the file, expands and shards the matrix, and resolves every run: bad input throws before anything starts. */
export const planCampaign = async (file: string, options: CampaignOptions = {}): Promise<CampaignPlan> => {
  const campaign = await loadCampaign(file);
  const { spec } = campaign;
  const seed = options.seed ?? spec.seed;
  const all = expandMatrix(spec, seed);
  if (all.length === 0) throw configError('the matrix is empty: every cell is excluded', { file, path: 'exclude' });
  if (options.shard && options.shard.count > all.length)
    throw configError(`${options.shard.count} shards for a matrix of ${all.length} runs: some shards would be empty`, {
      path: '--shard',
      hint: `use at most ${all.length} shards`,
    });
  const entries = shardEntries(all, options.shard);
  const runs: PlannedRun[] = [];
  const resolved = new Map<string, ResolvedRunConfig>();
  for (const entry of entries) {
    const key = JSON.stringify([entry.cluster, entry.workload, entry.nemesis, entry.timeLimitMs]);
    let config = resolved.get(key);
    if (!config) {
      config = await resolveCell(campaign, entry, options.reportsDir);
      resolved.set(key, config);
    }
    runs.push({ index: runs.length, config: Object.freeze({ ...config, seed: entry.seed }) });
  }
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return {
    name: spec.name,
    // Shards run on different machines: without --id they agree on the day and the seed.
    id: options.id ?? (options.shard ? `${today}-s${seed}` : newRunId()),
    file,
    seed,
    matrixHash: matrixHash(all),
    matrixSize: all.length,
    shard: options.shard,
    budgetMs: spec.budget ?? null,
    reportsDir: resolve(options.reportsDir ?? DEFAULTS.reportsDir),
    runs,
    entries,
  };
};

const resolveCell = async (
  campaign: LoadedCampaign,
  entry: MatrixEntry,
  reportsDir: string | undefined,
): Promise<ResolvedRunConfig> => {
  const { spec } = campaign;
  const ms = (v: number | undefined) => (v === undefined ? undefined : `${v}ms`);
  const options: RunOptions = {
    cluster: campaign.ref(entry.cluster),
    workload: campaign.ref(entry.workload),
    nemesis: campaign.ref(entry.nemesis),
    seed: entry.seed,
    ...defined({
      backend: spec.backend,
      nodes: spec.nodes,
      timeLimit: ms(entry.timeLimitMs),
      concurrency: spec.concurrency,
      rate: spec.rate,
      opTimeout: ms(spec.opTimeout),
      quiesce: ms(spec.quiesce),
      checkTimeout: ms(spec.checkTimeout),
      reportsDir,
    }),
  };
  try {
    return await resolveRunConfig(options);
  } catch (e) {
    if (!(e instanceof FaultlineError)) throw e;
    // The problem is in a preset (or a pairing of presets) the campaign file chose: say which cell, and where.
    const cell = `${entry.cluster} × ${entry.workload} × ${entry.nemesis}`;
    const line = campaign.lineOf(entry.origin);
    throw configError(`${cell}: ${e.describe()}`, {
      file: campaign.file,
      path: entry.origin.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join(''),
      ...(line !== undefined ? { line } : {}),
      hint:
        entry.origin[0] === 'include'
          ? 'fix or remove this include entry'
          : `leave the cell out with exclude: [{ cluster: ${entry.cluster}, workload: ${entry.workload}, nemesis: ${entry.nemesis} }]`,
    });
  }
};

const defined = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

// ------------------------------------------------------------------ results

export const summariseCampaign = (
  plan: CampaignPlan,
  records: readonly RunRecord[],
  meta: { startedAt: string; durationMs: number; interrupted: boolean },
  exitCode: number,
): CampaignResults => {
  const runs = records.map((r, i) => campaignRun(plan.reportsDir, plan.entries[i]!, r));
  return {
    faultline: 'campaign',
    version: 1,
    name: plan.name,
    id: plan.id,
    file: plan.file,
    seed: plan.seed,
    matrixHash: plan.matrixHash,
    matrixSize: plan.matrixSize,
    ...(plan.shard ? { shard: plan.shard } : {}),
    shards: 1,
    startedAt: meta.startedAt,
    durationMs: meta.durationMs,
    budgetMs: plan.budgetMs,
    valid: mergeValidity(runs.map((r) => r.valid)),
    interrupted: meta.interrupted,
    exitCode,
    runs,
    tests: summariseTests(runs),
  };
};

const campaignRun = (reportsDir: string, entry: MatrixEntry, r: RunRecord): CampaignRun => {
  const c = r.config;
  const base = {
    index: entry.index,
    test: c.test,
    cluster: c.cluster.name,
    workload: c.workload.name,
    nemesis: c.nemesis.name,
    seed: c.seed,
  };
  if (r.status !== 'done')
    return {
      ...base,
      status: r.status,
      valid: 'unknown',
      runId: null,
      dir: null,
      claims: [],
      lost: null,
      acked: null,
      staleReads: null,
      throughput: null,
      durationMs: r.status === 'error' ? r.durationMs : null,
      error: r.status === 'error' ? r.error : `skipped: ${r.reason}`,
      replay: r.replay,
    };
  const m = measureResults(r.results, c.timeLimitMs);
  return {
    ...base,
    status: 'done',
    valid: r.results.valid,
    runId: r.results.runId,
    dir: relativeRunDir(reportsDir, r.dir),
    claims: r.results.claims.map((x) => ({ name: x.name, expected: x.expected, held: x.held, detail: x.detail })),
    lost: m.lost ?? null,
    acked: m.acked ?? null,
    staleReads: m.staleReads ?? null,
    throughput: m.throughput === undefined ? null : Math.round(m.throughput * 10) / 10,
    durationMs: r.durationMs,
    replay: r.results.replay,
  };
};

export const summariseTests = (runs: readonly CampaignRun[]): CampaignTest[] => {
  const byTest = new Map<string, CampaignRun[]>();
  for (const r of runs) byTest.set(r.test, [...(byTest.get(r.test) ?? []), r]);
  return [...byTest].map(([test, rs]) => ({
    test,
    cluster: rs[0]!.cluster,
    workload: rs[0]!.workload,
    nemesis: rs[0]!.nemesis,
    runs: rs.length,
    pass: rs.filter((r) => r.valid === true).length,
    fail: rs.filter((r) => r.valid === false).length,
    unknown: rs.filter((r) => r.valid === 'unknown').length,
    valid: mergeValidity(rs.map((r) => r.valid)),
  }));
};

/** Exit code of a campaign from its runs, as jobExitCode does from records. */
export const campaignExitCode = (runs: readonly CampaignRun[]): number => {
  if (runs.some((r) => r.valid === false)) return EXIT.violated;
  if (runs.some((r) => r.status === 'error')) return EXIT.harness;
  if (runs.some((r) => r.valid !== true)) return EXIT.unknown;
  return EXIT.ok;
};

/** <reports>/campaigns/<name>/<id>/ */
export const campaignDir = (reportsDir: string, name: string, id: string): string =>
  join(reportsDir, 'campaigns', name, id);

export const shardFileName = (shard: { index: number; count: number }): string =>
  `shard-${shard.index}-of-${shard.count}.json`;

/**
 * Writes a campaign's results: a shard writes shard-i-of-n.json (merge makes
 * the rest); a whole campaign writes campaign.json, campaign.html and
 * junit.xml. Returns the folder.
 */
export const writeCampaign = async (reportsDir: string, results: CampaignResults): Promise<string> => {
  const dir = campaignDir(reportsDir, results.name, results.id);
  await mkdir(dir, { recursive: true });
  if (results.shard) {
    await writeFileAtomic(join(dir, shardFileName(results.shard)), `${JSON.stringify(results, null, 2)}\n`);
  } else {
    await writeFileAtomic(join(dir, 'campaign.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFileAtomic(join(dir, 'campaign.html'), renderCampaignPage(results, { reportsRoot: '../../..' }));
    await writeFileAtomic(join(dir, 'junit.xml'), renderCampaignJunit(results));
  }
  await writeRunsIndex(reportsDir).catch(() => {});
  return dir;
};

// ------------------------------------------------------------------ merge

export interface ShardFile {
  file: string;
  /** The reports root the shard's run folders are relative to. */
  root: string;
  results: CampaignResults;
}

/**
 * Joins the shards of one campaign. Pure: checks that they belong together
 * (same name, id and matrix) and that every shard 1..n is there exactly once,
 * then orders the runs as the unsharded campaign would.
 */
export const mergeShards = (shards: readonly ShardFile[]): CampaignResults => {
  if (shards.length === 0)
    throw configError('no shard files found', {
      hint: 'give the folders the shards wrote (reports folders, or campaigns/<name>/<id>/); shard files are named shard-<i>-of-<n>.json',
    });
  const campaigns = new Set(shards.map((s) => `${s.results.name}/${s.results.id}`));
  if (campaigns.size > 1)
    throw configError(`the shard files belong to ${campaigns.size} campaigns: ${[...campaigns].sort().join(', ')}`, {
      hint: 'merge one campaign at a time: give only its folders',
    });
  const first = shards[0]!.results;
  for (const s of shards) {
    if (!s.results.shard) throw configError('not a shard file (no "shard" field)', { file: s.file });
    if (s.results.matrixHash !== first.matrixHash || s.results.shard.count !== shards[0]!.results.shard?.count)
      throw configError(
        'this shard ran a different matrix than the others (campaign file, seed or shard count changed)',
        {
          file: s.file,
          hint: `every shard must run the same file with the same --seed and --shard i/${first.shard?.count}`,
        },
      );
  }
  const count = first.shard!.count;
  const seen = new Map<number, string>();
  for (const s of shards) {
    const i = s.results.shard!.index;
    const other = seen.get(i);
    if (other !== undefined)
      throw configError(`shard ${i} of ${count} given twice: ${other} and ${s.file}`, {
        hint: 'give each shard once',
      });
    seen.set(i, s.file);
  }
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((i) => !seen.has(i));
  if (missing.length > 0)
    throw configError(`shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} missing`, {
      hint: `found ${[...seen.keys()].sort((a, b) => a - b).join(', ')}; a shard that did not finish writes no shard file`,
    });

  const runs = shards.flatMap((s) => s.results.runs).sort((a, b) => a.index - b.index);
  const startedAt = shards.map((s) => s.results.startedAt).sort()[0]!;
  const ends = shards.map((s) => Date.parse(s.results.startedAt) + s.results.durationMs);
  const { shard: _omit, ...rest } = first;
  return {
    ...rest,
    shards: count,
    startedAt,
    durationMs: Math.max(...ends) - Date.parse(startedAt),
    valid: mergeValidity(runs.map((r) => r.valid as Validity)),
    interrupted: shards.some((s) => s.results.interrupted),
    exitCode: campaignExitCode(runs),
    runs,
    tests: summariseTests(runs),
  };
};

const SHARD_FILE = /^shard-(\d+)-of-(\d+)\.json$/;

/** Shard files under a folder: a reports root, a campaigns/<name>/<id>/ folder, or anything in between. */
export const findShardFiles = async (dir: string, depth = 4): Promise<string[]> => {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw configError(`not a folder: ${dir}`, { hint: 'give the folders the shards wrote' });
  const found: string[] = [];
  const walk = async (d: string, left: number, top: boolean): Promise<void> => {
    const items = await readdir(d, { withFileTypes: true }).catch(() => []);
    // Below a reports root only campaigns/ holds shard files: don't walk thousands of run folders.
    const onlyCampaigns = top && items.some((i) => i.isDirectory() && i.name === 'campaigns');
    for (const item of items) {
      if (item.isFile() && SHARD_FILE.test(item.name)) found.push(join(d, item.name));
      else if (item.isDirectory() && left > 0 && (!onlyCampaigns || item.name === 'campaigns'))
        await walk(join(d, item.name), left - 1, false);
    }
  };
  await walk(resolve(dir), depth, true);
  return found.sort();
};

/** A shard file's reports root: it sits at <root>/campaigns/<name>/<id>/shard-i-of-n.json. */
const shardRoot = (file: string): string => dirname(dirname(dirname(dirname(file))));

export const readShardFile = async (file: string): Promise<ShardFile> => {
  let results: CampaignResults;
  try {
    results = JSON.parse(await readFile(file, 'utf8')) as CampaignResults;
  } catch (e) {
    throw configError(`cannot read shard file: ${(e as Error).message}`, { file });
  }
  if (results?.faultline !== 'campaign' || !Array.isArray(results.runs))
    throw configError('not a campaign shard file', { file });
  return { file, root: shardRoot(file), results };
};

/**
 * `campaign merge DIR...`: reads the shard files, merges them, copies each
 * shard's run folders into `out` when they are elsewhere, and writes
 * campaign.json, campaign.html and junit.xml under out/campaigns/<name>/<id>/.
 */
export const mergeCampaignDirs = async (
  dirs: readonly string[],
  out: string,
): Promise<{ results: CampaignResults; dir: string }> => {
  const files = [...new Set((await Promise.all(dirs.map((d) => findShardFiles(d)))).flat())];
  const shards = await Promise.all(files.map(readShardFile));
  const results = mergeShards(shards);
  const target = resolve(out);
  for (const s of shards) {
    for (const run of s.results.runs) {
      if (!run.dir) continue;
      const from = join(s.root, run.dir);
      const to = join(target, run.dir);
      if (resolve(from) === to) continue;
      if (!(await stat(join(from, 'results.json')).catch(() => undefined)))
        throw configError(`run folder ${run.dir} of shard ${s.results.shard?.index} not found under ${s.root}`, {
          file: s.file,
          hint: "keep each shard's reports folder whole: its run folders and campaigns/ together",
        });
      if (!(await stat(to).catch(() => undefined))) await cp(from, to, { recursive: true });
    }
  }
  const dir = campaignDir(target, results.name, results.id);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'campaign.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'campaign.html'), renderCampaignPage(results, { reportsRoot: '../../..' }));
  await writeFileAtomic(join(dir, 'junit.xml'), renderCampaignJunit(results));
  for (const s of shards) {
    const copy = join(dir, basename(s.file));
    if (resolve(s.file) !== copy) await cp(s.file, copy);
  }
  await writeRunsIndex(target).catch(() => {});
  return { results, dir };
};
