import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { writeFileAtomic } from '../base/files.ts';
import type { Validity } from '../checker/checker.ts';
import { measureResults } from './figures.ts';
import { INDEX_MARK, renderRunsIndex, renderTestPage, testPagePath } from './index-page.ts';
import type { RunResults } from './results.ts';
import { buildTrends, type JobPage } from './trends.ts';

/**
 * reports/index.html, the morning view: every test with its latest verdict
 * and its trend, claims that held before and fail now first (see
 * index-page.ts), plus one page per test listing all its runs
 * (reports/tests/<test>.html: a test's own folder holds only its run
 * folders, which scripts count on). Runs are the folders reports/<test>/<run>/
 * with a readable results.json; anything else (a run still going, a crashed
 * one, stray files) is skipped, never an error.
 *
 * Thousands of runs: what the index needs from each run is kept in
 * reports/.faultline-index.json, keyed by folder and checked against the
 * results.json's size and mtime, so a rewrite after each run reads only the
 * runs that changed.
 */
export interface RunIndexEntry {
  test: string;
  /** The run folder's name. */
  timestamp: string;
  /** Path of the run folder relative to the reports root, with "/" separators. */
  dir: string;
  startedAt: string;
  valid: Validity;
  interrupted: boolean;
  seed: number | undefined;
  cluster: string;
  workload: string;
  nemesis: string;
  lost: number | undefined;
  acked: number | undefined;
  staleReads: number | undefined;
  /** ok operations per second of the run phase. */
  throughput: number | undefined;
  claims: { name: string; held: boolean | 'unknown' | 'untested'; detail: string }[];
  hasReport: boolean;
}

export { INDEX_MARK };

export const INDEX_CACHE = '.faultline-index.json';
const CACHE_VERSION = 2;

interface Cached<T> {
  mtimeMs: number;
  size: number;
  value: T;
}
interface IndexCache {
  version: number;
  runs: Record<string, Cached<RunIndexEntry>>;
  jobs: Record<string, Cached<JobPage>>;
  /** Per test: a signature of its runs when its page was last written. */
  testPages: Record<string, string>;
}

const emptyCache = (): IndexCache => ({ version: CACHE_VERSION, runs: {}, jobs: {}, testPages: {} });

const loadCache = async (root: string): Promise<IndexCache> => {
  try {
    const c = JSON.parse(await readFile(join(root, INDEX_CACHE), 'utf8')) as IndexCache;
    return c.version === CACHE_VERSION && c.runs && c.jobs && c.testPages ? c : emptyCache();
  } catch {
    return emptyCache();
  }
};

/** Reads every run's results.json under reportsRoot, newest first. */
export const listRuns = async (reportsRoot: string): Promise<RunIndexEntry[]> =>
  (await scan(reportsRoot, emptyCache())).entries;

const scan = async (root: string, cache: IndexCache): Promise<{ entries: RunIndexEntry[]; cache: IndexCache }> => {
  const next: IndexCache = { ...emptyCache(), testPages: cache.testPages };
  const entries: RunIndexEntry[] = [];
  for (const test of await subdirs(root)) {
    const runs = await subdirs(join(root, test));
    await Promise.all(
      runs.map(async (timestamp) => {
        const dir = `${test}/${timestamp}`;
        const file = join(root, test, timestamp, 'results.json');
        const info = await stat(file).catch(() => undefined);
        if (!info?.isFile()) return;
        const hit = cache.runs[dir];
        let entry: RunIndexEntry | undefined;
        if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) entry = hit.value;
        else entry = await readEntry(root, test, timestamp);
        if (!entry) return;
        next.runs[dir] = { mtimeMs: info.mtimeMs, size: info.size, value: entry };
        entries.push(entry);
      }),
    );
  }
  next.jobs = await scanJobs(root, cache);
  entries.sort((a, b) => sortKey(b) - sortKey(a) || b.dir.localeCompare(a.dir));
  return { entries, cache: next };
};

const readEntry = async (root: string, test: string, timestamp: string): Promise<RunIndexEntry | undefined> => {
  const dir = join(root, test, timestamp);
  const results = await readJson(join(dir, 'results.json'));
  if (results === undefined || !(results.valid === true || results.valid === false || results.valid === 'unknown'))
    return undefined;
  const figures = safeFigures(results as unknown as RunResults, await timeLimitOf(dir, results));
  const claims = Array.isArray(results.claims)
    ? results.claims.flatMap((c: unknown) => {
        const r = asRecord(c);
        const held = r?.held;
        if (!r || typeof r.name !== 'string') return [];
        if (!(held === true || held === false || held === 'unknown' || held === 'untested')) return [];
        return [
          {
            name: r.name,
            held: held as RunIndexEntry['claims'][number]['held'],
            detail: str(r.detail)?.slice(0, 300) ?? '',
          },
        ];
      })
    : [];
  return {
    test: str(results.test) ?? test,
    timestamp,
    dir: `${test}/${timestamp}`,
    startedAt: str(results.startedAt) ?? timestamp,
    valid: results.valid as Validity,
    interrupted: results.interrupted === true,
    seed: typeof results.seed === 'number' ? results.seed : undefined,
    cluster: str(results.cluster) ?? '',
    workload: str(results.workload) ?? '',
    nemesis: str(results.nemesis) ?? '',
    lost: figures.lost,
    acked: figures.acked,
    staleReads: figures.staleReads,
    throughput: figures.throughput === undefined ? undefined : Math.round(figures.throughput * 10) / 10,
    claims,
    hasReport: await exists(join(dir, 'report.html')),
  };
};

/** The figures of a results.json that may be malformed: whatever cannot be read is left out. */
const safeFigures = (results: RunResults, timeLimitMs: number) => {
  try {
    return measureResults({ ...results, checkers: asRecord(results.checkers) ?? {} } as RunResults, timeLimitMs);
  } catch {
    return {};
  }
};

/** The run phase's length from the run's config.yaml (results.json does not carry it). */
const timeLimitOf = async (dir: string, results: Record<string, unknown>): Promise<number> => {
  try {
    const config = asRecord(parseYaml(await readFile(join(dir, 'config.yaml'), 'utf8')));
    if (typeof config?.timeLimitMs === 'number') return config.timeLimitMs;
  } catch {
    // no config.yaml: fall back to the whole run's length
  }
  return typeof results.durationMs === 'number' ? results.durationMs : 0;
};

/** Campaign, compare and claims pages: reports/campaigns/<name>/<id>/, reports/compare/<id>/, reports/claims/<id>/. */
const scanJobs = async (root: string, cache: IndexCache): Promise<Record<string, Cached<JobPage>>> => {
  const found: { key: string; file: string; kind: JobPage['kind'] }[] = [];
  for (const name of await subdirs(join(root, 'campaigns')))
    for (const id of await subdirs(join(root, 'campaigns', name))) {
      const folder = join(root, 'campaigns', name, id);
      const files = await readdir(folder).catch(() => [] as string[]);
      // A merged campaign.json supersedes its shard files.
      const pick = files.includes('campaign.json')
        ? ['campaign.json']
        : files.filter((f) => /^shard-\d+-of-\d+\.json$/.test(f));
      for (const f of pick)
        found.push({ key: `campaigns/${name}/${id}/${f}`, file: join(folder, f), kind: 'campaign' });
    }
  for (const kind of ['compare', 'claims'] as const)
    for (const id of await subdirs(join(root, kind)))
      found.push({ key: `${kind}/${id}/${kind}.json`, file: join(root, kind, id, `${kind}.json`), kind });
  const out: Record<string, Cached<JobPage>> = {};
  await Promise.all(
    found.map(async ({ key, file, kind }) => {
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return;
      const hit = cache.jobs[key];
      if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) {
        out[key] = hit;
        return;
      }
      const page = jobPage(key, kind, await readJson(file));
      if (page) out[key] = { mtimeMs: info.mtimeMs, size: info.size, value: page };
    }),
  );
  return out;
};

const jobPage = (key: string, kind: JobPage['kind'], j: Record<string, unknown> | undefined): JobPage | undefined => {
  if (!j || j.faultline !== kind) return undefined;
  const valid = j.valid === true || j.valid === false ? j.valid : 'unknown';
  const folder = key.slice(0, key.lastIndexOf('/'));
  const page = kind === 'campaign' ? (key.endsWith('campaign.json') ? 'campaign.html' : undefined) : `${kind}.html`;
  const runs = Array.isArray(j.runs)
    ? j.runs.flatMap((r: unknown) => (typeof asRecord(r)?.dir === 'string' ? [asRecord(r)!.dir as string] : []))
    : [];
  const title =
    kind === 'campaign'
      ? `${str(j.name) ?? '?'} ${str(j.id) ?? ''}`
      : kind === 'compare'
        ? `${
            Array.isArray(j.clusters)
              ? j.clusters.map((c: unknown) => str(asRecord(c)?.cluster) ?? '?').join(' vs ')
              : '?'
          } × ${str(j.workload) ?? '?'} × ${str(j.nemesis) ?? '?'}`
        : `${Array.isArray(j.rows) ? j.rows.length : 0} presets`;
  return {
    key,
    kind,
    id: kind === 'campaign' ? `${str(j.name)}/${str(j.id)}` : (str(j.id) ?? folder),
    title,
    startedAt: str(j.startedAt) ?? '',
    valid,
    href: page ? `${folder}/${page}` : undefined,
    runs: kind === 'campaign' ? runs : [],
  };
};

/** Whether `file` is missing or a page that faultline wrote (and may therefore replace). */
export const isOwnIndex = async (file: string): Promise<boolean> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return !(await exists(file)); // missing: ours to create; unreadable: not ours
  }
  return text.includes(`<meta name="generator" content="${INDEX_MARK}">`);
};

/**
 * Scans reportsRoot and writes index.html and the per-test pages that
 * changed, each atomically (a reader never sees half a file) — unless an
 * index.html is there that faultline did not write (a run folder copied
 * next to a user's own page): then nothing is written and `false` returned.
 * A per-test page is likewise only ever replaced if faultline wrote it.
 */
export const writeRunsIndex = async (reportsRoot: string): Promise<boolean> => {
  const target = join(reportsRoot, 'index.html');
  if (!(await isOwnIndex(target))) return false;
  const { entries, cache } = await scan(reportsRoot, await loadCache(reportsRoot));
  const jobs = Object.values(cache.jobs).map((c) => c.value);
  const trends = buildTrends(entries, jobs);
  await writeFileAtomic(target, renderRunsIndex({ entries, trends, jobs }));
  for (const t of trends) {
    const runs = entries.filter((e) => e.dir.startsWith(`${t.dir}/`));
    const signature = createHash('sha1')
      .update(JSON.stringify(runs.map((r) => [r.dir, cache.runs[r.dir]?.mtimeMs])))
      .digest('hex');
    const page = join(reportsRoot, testPagePath(t.dir));
    if (cache.testPages[t.dir] === signature && (await exists(page))) continue;
    if (!(await isOwnIndex(page))) continue;
    await mkdir(dirname(page), { recursive: true });
    await writeFileAtomic(page, renderTestPage(t, runs));
    cache.testPages[t.dir] = signature;
  }
  await writeFileAtomic(join(reportsRoot, INDEX_CACHE), JSON.stringify(cache)).catch(() => {});
  return true;
};

const subdirs = async (dir: string): Promise<string[]> => {
  try {
    const items = await readdir(dir, { withFileTypes: true });
    return items.filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    return [];
  }
};

/** A JSON object, or undefined for anything unreadable. */
const readJson = async (file: string): Promise<Record<string, unknown> | undefined> => {
  try {
    return asRecord(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined;
  }
};

const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const sortKey = (r: RunIndexEntry): number => {
  const t = Date.parse(r.startedAt);
  return Number.isNaN(t) ? 0 : t;
};

const exists = async (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );
