import type { CheckOutcome, CheckResult, PartitionResult } from '../../checker/linearizable/types.ts';
import { lowerBound } from '../../checker/sorted.ts';
import { describeFault, type FaultWindow } from '../../history/faults.ts';

/**
 * What the page draws, computed in TypeScript from a check result (kept with
 * `keepPartial`) so the in-page script only lays it out. Every string here
 * may come from the system under test: the page sets it as text only.
 *
 * Time is warped as porcupine does: all call and return instants of a
 * partition are sorted and each distinct one gets a slot, so long idle
 * stretches take no room and concurrent operations stay readable.
 */

export interface LinearizationVizInput {
  /** A linearizability check result, with `keepPartial` on (partitions without operations are not drawn). */
  result: CheckResult;
  title?: string;
  /** Whether the section draws its own heading (default true); a host page with its own heading turns it off. */
  heading?: boolean;
  /**
   * How to show call/return times on hover: `ns` (faultline histories) in ms,
   * `ordinal` as the raw number (positions, for logs without a clock). Default `ns`.
   */
  timeUnit?: 'ns' | 'ordinal';
  /**
   * Draw at most this many operations from partitions that are not illegal
   * (illegal partitions are always drawn). Default 5,000.
   */
  maxOps?: number;
  /** The run's fault windows (times in ns, as the operations'), marked on each partition's timeline. */
  faults?: readonly FaultWindow[];
}

/** A fault window on a partition's warped time axis: between which slots it starts and ends. */
export interface VizFault {
  f: string;
  label: string;
  /** Slot positions (fractional: between two instants); clamped to the drawing. */
  from: number;
  to: number;
  /** Whether the window began before / ended after the partition's operations. */
  before: boolean;
  after: boolean;
}

export interface VizOp {
  /** Operation.id (the invoking faultline op's index). */
  id: number;
  client: number;
  /** Warped slots; an indeterminate op ends at `slots` (past the last instant). */
  start: number;
  end: number;
  /** Original times, as text in the chosen unit; `ret` null when it never returned. */
  call: string;
  ret: string | null;
  desc: string;
}

export interface VizStep {
  /** Index into `ops`. */
  op: number;
  before: string;
  after: string;
}

export interface VizPartition {
  index: number;
  key: string | null;
  result: CheckOutcome;
  opCount: number;
  truncated: boolean;
  initialState: string;
  /** Row order: client ids, ascending. */
  clients: number[];
  /** In call order. */
  ops: VizOp[];
  /** Number of distinct finite instants. */
  slots: number;
  /** Longest first. */
  linearizations: VizStep[][];
  /** Per op (same order as `ops`): index into `linearizations` of the longest one containing it, -1 if none. */
  longestFor: number[];
  /** Ops (indexes into `ops`) that could not come next after `linearizations[0]`. */
  stuck: Array<{ op: number; why: 'illegal' | 'dead-end' }>;
  /** When the model's pre-check refuted the partition without a search: why its one stuck op is impossible. */
  precheck: string | null;
  /** Fault windows overlapping the partition's operations. */
  faults: VizFault[];
  /**
   * When the partition had more operations than a page can draw: the ones
   * drawn are those around where linearization stops, positions
   * [first, last) of `of` in call order.
   */
  window: { first: number; last: number; of: number } | null;
}

export interface VizData {
  title: string;
  model: string;
  result: CheckOutcome;
  reason: string | null;
  /** Partitions with drawable data, illegal ones first. */
  partitions: VizPartition[];
  /** Partitions left out (no kept operations, or over `maxOps`). */
  omitted: number;
}

const DEFAULT_MAX_OPS = 5000;
/** Most operations of an illegal partition drawn: those around where linearization stops. */
export const MAX_ILLEGAL_OPS = 2000;

/**
 * An illegal partition too long to draw, narrowed to the MAX_ILLEGAL_OPS
 * operations (in call order) around the first one that could not come next
 * (else the last linearized one); the stuck ones always stay.
 */
const narrow = (p: PartitionResult): { p: PartitionResult; window: VizPartition['window'] } => {
  const ops = [...(p.operations ?? [])].sort((a, b) => a.call - b.call || a.id - b.id);
  if (p.result !== 'illegal' || ops.length <= MAX_ILLEGAL_OPS) return { p, window: null };
  const focus = p.stuck?.[0]?.id ?? p.linearizations?.[0]?.steps.at(-1)?.id;
  let center = ops.findIndex((o) => o.id === focus);
  if (center < 0) center = ops.length - 1;
  const first = Math.max(0, Math.min(center - MAX_ILLEGAL_OPS / 2, ops.length - MAX_ILLEGAL_OPS));
  const last = first + MAX_ILLEGAL_OPS;
  const keep = new Set(ops.slice(first, last).map((o) => o.id));
  for (const s of p.stuck ?? []) keep.add(s.id);
  // The checker may have described only a window already: positions count in the whole partition.
  const offset = p.operationsWindow?.first ?? 0;
  const window = { first: offset + first, last: offset + last, of: p.operationsWindow?.of ?? ops.length };
  return { p: { ...p, operations: ops.filter((o) => keep.has(o.id)) }, window };
};

const formatTime = (t: number, unit: 'ns' | 'ordinal'): string => {
  if (unit === 'ordinal') return String(t);
  return `${(t / 1e6).toFixed(3)} ms`;
};

const RANK: Record<CheckOutcome, number> = { illegal: 0, unknown: 1, ok: 2 };

/** The drawable data of one partition; undefined when the result kept no operations for it. */
export const partitionViz = (
  p: PartitionResult,
  unit: 'ns' | 'ordinal' = 'ns',
  faults: readonly FaultWindow[] = [],
): VizPartition | undefined => {
  const operations = p.operations;
  if (!operations) return undefined;
  const sorted = [...operations].sort((a, b) => a.call - b.call || a.id - b.id);
  const instants = new Set<number>();
  for (const o of sorted) {
    instants.add(o.call);
    if (Number.isFinite(o.return)) instants.add(o.return);
  }
  const times = [...instants].sort((a, b) => a - b);
  const slotOf = new Map(times.map((t, i) => [t, i]));
  const ops: VizOp[] = sorted.map((o) => ({
    id: o.id,
    client: o.clientId,
    start: slotOf.get(o.call)!,
    end: Number.isFinite(o.return) ? slotOf.get(o.return)! : times.length,
    call: formatTime(o.call, unit),
    ret: Number.isFinite(o.return) ? formatTime(o.return, unit) : null,
    desc: o.description,
  }));
  const position = new Map(sorted.map((o, i) => [o.id, i]));
  const at = (id: number): number => position.get(id) ?? -1;
  const linearizations = (p.linearizations ?? []).map((l) =>
    l.steps.filter((s) => at(s.id) >= 0).map((s) => ({ op: at(s.id), before: s.stateBefore, after: s.stateAfter })),
  );
  const longestFor = sorted.map((o) => p.longestFor?.[o.id] ?? -1);
  return {
    index: p.index,
    key: p.key ?? null,
    result: p.result,
    opCount: p.opCount,
    truncated: p.truncated ?? false,
    initialState: p.initialState ?? '',
    clients: [...new Set(sorted.map((o) => o.clientId))].sort((a, b) => a - b),
    ops,
    slots: times.length,
    linearizations,
    longestFor,
    stuck: (p.stuck ?? []).filter((s) => at(s.id) >= 0).map((s) => ({ op: at(s.id), why: s.why })),
    precheck: p.precheck?.why ?? null,
    faults: unit === 'ns' ? faultMarks(times, faults) : [],
    window: null,
  };
};

/** Where each fault window lies among the partition's instants: a window between instants i-1 and i sits at i - 0.5. */
const faultMarks = (times: readonly number[], faults: readonly FaultWindow[]): VizFault[] => {
  if (times.length === 0) return [];
  const first = times[0]!;
  const last = times[times.length - 1]!;
  return faults
    .filter((w) => w.start <= last && w.end >= first)
    .map((w) => ({
      f: w.f,
      label: describeFault(w),
      from: lowerBound(times, w.start) - 0.5,
      to: Number.isFinite(w.end) ? lowerBound(times, w.end) - 0.5 : times.length + 0.5,
      before: w.start < first,
      after: w.end > last,
    }));
};

/** Chooses and converts the partitions to draw: every illegal one, then others while `maxOps` allows. */
export const buildVizData = (input: LinearizationVizInput): VizData => {
  const { result } = input;
  const unit = input.timeUnit ?? 'ns';
  const budget = input.maxOps ?? DEFAULT_MAX_OPS;
  const candidates = [...result.partitions].sort(
    (a, b) =>
      Number(b.index === result.failingPartition) - Number(a.index === result.failingPartition) ||
      RANK[a.result] - RANK[b.result] ||
      a.index - b.index,
  );
  const partitions: VizPartition[] = [];
  let drawnOps = 0;
  for (const p of candidates) {
    if (p.result !== 'illegal' && drawnOps + (p.operations?.length ?? 0) > budget) continue;
    const narrowed = narrow(p);
    const viz = partitionViz(narrowed.p, unit, input.faults ?? []);
    if (!viz) continue;
    viz.window = narrowed.window;
    partitions.push(viz);
    if (p.result !== 'illegal') drawnOps += viz.ops.length;
  }
  return {
    title: input.title ?? `Linearizability: ${result.model}`,
    model: result.model,
    result: result.result,
    reason: result.reason ?? null,
    partitions,
    omitted: result.partitions.length - partitions.length,
  };
};
