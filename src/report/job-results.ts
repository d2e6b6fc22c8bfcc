import type { Validity } from '../checker/checker.ts';

/**
 * compare.json, campaign.json and claims.json — contracts like results.json
 * (docs/results.md, "Jobs"): add fields, never rename or remove them. The
 * jobs (src/jobs) compute them; the pages here draw them. Paths (`dir`) are
 * relative to the reports root, with "/" separators.
 */

/** [low, high] of a 95% interval; null when nothing was measured. */
export type Interval = [number, number] | null;

export interface Estimate {
  /** Runs the estimate is over. */
  n: number;
  mean: number | null;
  ci95: Interval;
}

export interface CiMethodInfo {
  /** "percentile-bootstrap": resampling the per-run values with replacement. */
  method: string;
  level: number;
  resamples: number;
}

// ------------------------------------------------------------------ compare

export interface LossPerFault {
  /** Fault kind: kill, partition, pause, clock, shape. */
  f: string;
  faults: number;
  lost: number;
}

export interface CompareRun {
  seed: number;
  runId: string | null;
  dir: string | null;
  valid: Validity;
  /** A harness failure or a skip: the run has no results. */
  error?: string;
  acked: number | null;
  lost: number | null;
  share: number | null;
  lostPerFault: LossPerFault[];
  staleReads: number | null;
  maxStaleMs: number | null;
  linearizable: Validity | null;
  availabilityInside: number | null;
  availabilityOutside: number | null;
  throughput: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  replay: string;
}

export interface CompareCluster {
  cluster: string;
  /** What the preset claims, as declared. */
  claims: Record<string, unknown>;
  /** Merged over its runs. */
  valid: Validity;
  runs: CompareRun[];
  lost: {
    total: number;
    acked: number;
    /** Mean lost per run, with ci95 (the interval of that mean). */
    mean: number | null;
    ci95: Interval;
    meanShare: number | null;
    shareCi95: Interval;
  };
  /** Per fault kind: lost writes per fault (e.g. per leader kill), interval over runs. */
  perFault: (LossPerFault & { perFault: Estimate })[];
  staleReads: { total: number; mean: number | null; ci95: Interval; maxStaleMs: number | null };
  linearizable: { valid: number; invalid: number; unknown: number; unchecked: number };
  availability: { inside: Estimate; outside: Estimate };
  throughput: Estimate;
  latencyMs: { p50: Estimate; p99: Estimate };
}

/** cluster − baseline over the runs of one seed each. */
export interface CompareDifference {
  baseline: string;
  cluster: string;
  metric: 'lost' | 'share' | 'staleReads' | 'throughput';
  n: number;
  mean: number | null;
  ci95: Interval;
  differences: number[];
}

export interface CompareResults {
  faultline: 'compare';
  version: 1;
  id: string;
  startedAt: string;
  durationMs: number;
  valid: Validity;
  interrupted: boolean;
  workload: string;
  nemesis: string;
  backend: string;
  timeLimitMs: number;
  /** The seed the run seeds derive from. */
  seed: number;
  /** One per repetition; every cluster runs each. */
  seeds: number[];
  ci: CiMethodInfo;
  clusters: CompareCluster[];
  differences: CompareDifference[];
}

// ------------------------------------------------------------------ campaign

export interface JobClaim {
  name: string;
  expected: unknown;
  held: boolean | 'unknown' | 'untested';
  detail: string;
}

export interface CampaignRun {
  /** Position in the whole (unsharded) matrix. */
  index: number;
  test: string;
  cluster: string;
  workload: string;
  nemesis: string;
  seed: number;
  status: 'done' | 'error' | 'skipped';
  valid: Validity;
  runId: string | null;
  dir: string | null;
  claims: JobClaim[];
  lost: number | null;
  acked: number | null;
  staleReads: number | null;
  throughput: number | null;
  durationMs: number | null;
  /** Why an error or a skip. */
  error?: string;
  replay: string;
}

export interface CampaignTest {
  test: string;
  cluster: string;
  workload: string;
  nemesis: string;
  runs: number;
  pass: number;
  fail: number;
  unknown: number;
  valid: Validity;
}

export interface CampaignResults {
  faultline: 'campaign';
  version: 1;
  name: string;
  id: string;
  /** The campaign file it came from, as given. */
  file: string;
  seed: number;
  /** sha256 of the expanded matrix: shards of one campaign share it. */
  matrixHash: string;
  /** Runs in the whole matrix, over every shard. */
  matrixSize: number;
  /** Present in a shard's file: which one. Absent once merged or when unsharded. */
  shard?: { index: number; count: number };
  /** How many shard files were merged into this one (1 when run unsharded). */
  shards: number;
  startedAt: string;
  durationMs: number;
  budgetMs: number | null;
  valid: Validity;
  interrupted: boolean;
  exitCode: number;
  runs: CampaignRun[];
  tests: CampaignTest[];
}

// ------------------------------------------------------------------ claims matrix

export type CellStatus = 'held' | 'violated' | 'allowed' | 'unknown' | 'untested' | 'not-claimed';

export interface ClaimCellRun {
  dir: string | null;
  workload: string;
  nemesis: string;
  seed: number;
  held: boolean | 'unknown' | 'untested';
  detail: string;
}

export interface ClaimCell {
  claim: string;
  /** As declared by the preset; absent when not claimed. */
  expected?: unknown;
  status: CellStatus;
  /** The measured figure, e.g. "23 of 1212 acknowledged writes lost (1.9%)". */
  figure: string;
  /** The measurement summed over the runs that judged it (lost writes, stale reads, ...); null if none. */
  count: number | null;
  /** Run that shows the cell best (the worst one): a violation, else the largest figure. */
  shownBy: string | null;
  runs: ClaimCellRun[];
}

export interface ClaimsRow {
  cluster: string;
  description: string;
  system: string;
  claims: Record<string, unknown>;
  valid: Validity;
  cells: ClaimCell[];
  availability: { inside: number | null; outside: number | null };
  runs: { dir: string | null; workload: string; nemesis: string; seed: number; valid: Validity; error?: string }[];
}

export interface ClaimsMatrix {
  faultline: 'claims';
  version: 1;
  id: string;
  startedAt: string;
  durationMs: number;
  valid: Validity;
  interrupted: boolean;
  backend: string;
  timeLimitMs: number;
  /** Seeds per (preset, workload, nemesis). */
  seeds: number[];
  /** Claim columns in order; "availability" is measured, never judged. */
  columns: string[];
  rows: ClaimsRow[];
}
