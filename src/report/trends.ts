import { mergeValidity, type Validity } from '../checker/checker.ts';
import type { RunIndexEntry } from './runs-index.ts';

/**
 * Trends per test for the morning view. A point is one night: the runs of a
 * test inside one campaign (or, outside campaigns, one run). A regression is
 * a claim that fails at the latest point and held at the most recent
 * earlier point that judged it — what a person must look at first.
 */
export interface JobPage {
  /** Path of the JSON file relative to the reports root. */
  key: string;
  kind: 'campaign' | 'compare' | 'claims';
  id: string;
  title: string;
  startedAt: string;
  valid: Validity;
  /** The page, relative to the reports root; absent for a shard not yet merged. */
  href: string | undefined;
  /** Run folders of a campaign, relative to the reports root. */
  runs: string[];
}

export type Held = boolean | 'unknown' | 'untested';

export interface TrendPoint {
  /** The campaign ("name/id") or, for a run outside campaigns, its folder. */
  key: string;
  label: string;
  startedAt: string;
  valid: Validity;
  runs: number;
  /** Sums over the point's runs; null when no run measured them. */
  lost: number | null;
  acked: number | null;
  staleReads: number | null;
  /** Mean over the point's runs, ok ops/s. */
  throughput: number | null;
  claims: Record<string, Held>;
  /** The latest run of the point, relative to the reports root. */
  dir: string;
  /** The campaign page, when the point is one. */
  campaignHref: string | undefined;
}

export interface Regression {
  claim: string;
  /** The latest run's detail for the claim. */
  detail: string;
  /** The earlier point where it held. */
  since: TrendPoint;
  now: TrendPoint;
}

export interface TestTrend {
  /** The test's folder under the reports root. */
  dir: string;
  test: string;
  cluster: string;
  workload: string;
  nemesis: string;
  latest: RunIndexEntry;
  runs: number;
  /** Oldest first. */
  points: TrendPoint[];
  regressions: Regression[];
}

/** `entries` newest first, as listRuns gives them. Tests come back regressions first, then failing, unknown, passing. */
export const buildTrends = (entries: readonly RunIndexEntry[], jobs: readonly JobPage[]): TestTrend[] => {
  const campaignOf = new Map<string, JobPage>();
  for (const j of jobs) if (j.kind === 'campaign') for (const d of j.runs) if (!campaignOf.has(d)) campaignOf.set(d, j);
  const byTest = new Map<string, RunIndexEntry[]>();
  for (const e of entries) {
    const folder = e.dir.split('/')[0]!;
    const list = byTest.get(folder);
    if (list) list.push(e);
    else byTest.set(folder, [e]);
  }
  const trends: TestTrend[] = [];
  for (const [dir, runs] of byTest) {
    const latest = runs[0]!;
    const groups = new Map<string, RunIndexEntry[]>();
    for (const r of [...runs].reverse()) {
      const campaign = campaignOf.get(r.dir);
      const key = campaign ? `campaign:${campaign.id}` : `run:${r.dir}`;
      const list = groups.get(key);
      if (list) list.push(r);
      else groups.set(key, [r]);
    }
    const points = [...groups].map(([key, rs]) => point(key, rs, campaignOf.get(rs[0]!.dir)));
    points.sort((a, b) => time(a.startedAt) - time(b.startedAt));
    trends.push({
      dir,
      test: latest.test,
      cluster: latest.cluster,
      workload: latest.workload,
      nemesis: latest.nemesis,
      latest,
      runs: runs.length,
      points,
      regressions: regressions(points, runs),
    });
  }
  const rank = (t: TestTrend) =>
    t.regressions.length > 0 ? 0 : t.latest.valid === false ? 1 : t.latest.valid === 'unknown' ? 2 : 3;
  return trends.sort(
    (a, b) => rank(a) - rank(b) || time(b.latest.startedAt) - time(a.latest.startedAt) || a.dir.localeCompare(b.dir),
  );
};

const point = (key: string, runs: readonly RunIndexEntry[], campaign: JobPage | undefined): TrendPoint => {
  const last = runs[runs.length - 1]!;
  const sum = (f: (r: RunIndexEntry) => number | undefined): number | null => {
    const xs = runs.map(f).filter((x): x is number => x !== undefined);
    return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0);
  };
  const throughputs = runs.map((r) => r.throughput).filter((x): x is number => x !== undefined);
  const claims: Record<string, Held> = {};
  for (const name of new Set(runs.flatMap((r) => r.claims.map((c) => c.name)))) {
    const held = runs.flatMap((r) => r.claims.filter((c) => c.name === name).map((c) => c.held));
    claims[name] = held.includes(false)
      ? false
      : held.includes('unknown')
        ? 'unknown'
        : held.includes(true)
          ? true
          : 'untested';
  }
  return {
    key,
    label: campaign ? `campaign ${campaign.id}` : `run ${last.timestamp}`,
    startedAt: runs[0]!.startedAt,
    valid: mergeValidity(runs.map((r) => r.valid)),
    runs: runs.length,
    lost: sum((r) => r.lost),
    acked: sum((r) => r.acked),
    staleReads: sum((r) => r.staleReads),
    throughput: throughputs.length === 0 ? null : throughputs.reduce((a, b) => a + b, 0) / throughputs.length,
    claims,
    dir: last.dir,
    campaignHref: campaign?.href,
  };
};

const regressions = (points: readonly TrendPoint[], runsNewestFirst: readonly RunIndexEntry[]): Regression[] => {
  const now = points.at(-1);
  if (!now) return [];
  const out: Regression[] = [];
  for (const [claim, held] of Object.entries(now.claims)) {
    if (held !== false) continue;
    const before = [...points.slice(0, -1)]
      .reverse()
      .find((p) => p.claims[claim] === true || p.claims[claim] === false);
    if (before?.claims[claim] !== true) continue;
    const detail =
      runsNewestFirst.flatMap((r) => r.claims.filter((c) => c.name === claim && c.held === false)).at(0)?.detail ?? '';
    out.push({ claim, detail, since: before, now });
  }
  return out;
};

const time = (iso: string): number => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};
