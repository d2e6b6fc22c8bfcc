import { NS_PER_MS } from '../base/time.ts';
import { isCrash } from '../checker/index.ts';
import { round3 } from '../checker/quantiles.ts';
import { GUARANTEE_NAMES } from '../checker/session.ts';
import { describeFault, type FaultWindow } from '../history/faults.ts';
import type { Op } from '../history/op.ts';
import type { OpPair } from '../history/pairs.ts';
import { previewValue } from '../history/preview.ts';
import type { RunResults } from './results.ts';

/**
 * Attribution: each lost write, stale read, lost update, session
 * violation, split-brain interval and wrong bank read, with where it came
 * from — the fault window it falls in (or none), the node that
 * acknowledged the write, the node that served the read, how far behind
 * that node was — and the history index of the operation that shows it,
 * which the report links into its timeline. Built from the checkers' typed
 * results (their capped lists) and the history.
 */

/** Most rows per kind in the page (the checkers cap their own lists too). */
export const MAX_ROWS_PER_KIND = 1000;

export interface AttributionRow {
  /** "lost write", "stale read", "lost update", "read-your-writes", ... */
  kind: string;
  /** When it happened: the acknowledgement (lost writes, updates) or the read's start, ms. */
  timeMs: number;
  /** Key or element. */
  subject: string;
  /** What the read returned or the write wrote, previewed. */
  value: string;
  /** Node that acknowledged the write concerned. */
  ackNode: string;
  /** Node that served the read concerned. */
  servedBy: string;
  /** How far behind, ms (sortable); null when not measured. */
  behindMs: number | null;
  /** The same, for people: "120 ms, 2 versions". */
  behind: string;
  /** The fault window it falls in (label), or "none". */
  window: string;
  windowIndex: number;
  /** History index of the operation that shows it (linked into the timeline). */
  opIndex: number;
}

export interface Attribution {
  /** Rows by kind, in a stable order of kinds. */
  kinds: { kind: string; claim: string; total: number; rows: AttributionRow[] }[];
  /** Per fault window (and "none"): how many listed rows of each kind fall in it. */
  byWindow: { window: string; counts: Record<string, number> }[];
}

/** The window containing t (ns), else -1. */
const windowAt = (windows: readonly FaultWindow[], t: number): number =>
  windows.findIndex((w) => t >= w.start && t <= w.end);

/** For a lost write: the window it was acknowledged in, else the first one that began after it. */
const windowAtOrAfter = (windows: readonly FaultWindow[], t: number): number => {
  const inside = windowAt(windows, t);
  return inside >= 0 ? inside : windows.findIndex((w) => w.start > t);
};

const label = (windows: readonly FaultWindow[], i: number): string => (i < 0 ? 'none' : describeFault(windows[i]!));

export const attribute = (
  results: RunResults,
  history: readonly Op[],
  pairs: readonly OpPair[],
  windows: readonly FaultWindow[],
): Attribution => {
  const kinds: Attribution['kinds'] = [];
  const timeOf = (index: number): number => history[index]?.time ?? 0;
  const nodeOf = (index: number): string => history[index]?.node ?? '?';
  const c = results.checkers;

  const set = c.set;
  if (set && !isCrash(set) && set.lost > 0) {
    const acks = new Map<number, OpPair>();
    for (const p of pairs)
      if (p.f === 'add' && p.completion?.type === 'ok' && typeof p.invoke.value === 'number')
        acks.set(p.invoke.value, p);
    const rows = set.lostElements.slice(0, MAX_ROWS_PER_KIND).map((el): AttributionRow => {
      const p = acks.get(el);
      const t = p?.completion?.time ?? 0;
      const w = windowAtOrAfter(windows, t);
      const before = w >= 0 && windows[w]!.start > t ? (windows[w]!.start - t) / NS_PER_MS : null;
      return {
        kind: 'lost write',
        timeMs: round3(t / NS_PER_MS),
        subject: String(el),
        value: String(el),
        ackNode: p?.completion?.node ?? p?.invoke.node ?? '?',
        servedBy: 'every node (final reads)',
        behindMs: before === null ? null : round3(before),
        behind:
          before === null
            ? w >= 0
              ? 'acknowledged during the fault'
              : '–'
            : `acknowledged ${round3(before)} ms before the fault`,
        window: w >= 0 && windows[w]!.start > t ? `before ${label(windows, w)}` : label(windows, w),
        windowIndex: w,
        opIndex: p?.completion?.index ?? -1,
      };
    });
    kinds.push({ kind: 'lost write', claim: 'lostWrites', total: set.lost, rows });
  }

  const st = c.staleness;
  if (st && !isCrash(st) && st.staleReads > 0) {
    const rows = st.items.slice(0, MAX_ROWS_PER_KIND).map((s): AttributionRow => {
      const t = s.invokeMs * NS_PER_MS;
      const w = windowAt(windows, t);
      return {
        kind: 'stale read',
        timeMs: round3(t / NS_PER_MS),
        subject: s.key,
        value: previewValue(s.value, 60),
        ackNode: nodeOf(s.supersedingIndex),
        servedBy: s.node,
        behindMs: s.staleMs,
        behind: `${s.staleMs} ms, ${s.versionsBehind} version${s.versionsBehind === 1 ? '' : 's'}`,
        window: label(windows, w),
        windowIndex: w,
        opIndex: s.readIndex,
      };
    });
    kinds.push({ kind: 'stale read', claim: 'staleReads', total: st.staleReads, rows });
  }

  const cf = c.conflicts;
  if (cf && !isCrash(cf) && cf.lostUpdates > 0) {
    const rows = cf.lostUpdateExamples.slice(0, MAX_ROWS_PER_KIND).map((u): AttributionRow => {
      const t = timeOf(u.writeIndex);
      const w = windowAt(windows, t);
      return {
        kind: 'lost update',
        timeMs: round3(t / NS_PER_MS),
        subject: u.key,
        value: previewValue(u.value, 60),
        ackNode: u.node ?? '?',
        servedBy: `survivor from ${u.survivorNode ?? 'the initial state'}`,
        behindMs: u.gapMs,
        behind: `${u.gapMs} ms older`,
        window: label(windows, w),
        windowIndex: w,
        opIndex: u.writeIndex,
      };
    });
    kinds.push({ kind: 'lost update', claim: 'lostUpdates', total: cf.lostUpdates, rows });
  }

  const se = c.session;
  if (se && !isCrash(se) && se.violations.length > 0) {
    for (const g of Object.keys(GUARANTEE_NAMES) as (keyof typeof GUARANTEE_NAMES)[]) {
      const vs = se.violations.filter((v) => v.guarantee === g);
      if (vs.length === 0) continue;
      const rows = vs.slice(0, MAX_ROWS_PER_KIND).map((v): AttributionRow => {
        const t = v.invokeMs * NS_PER_MS;
        const w = windowAt(windows, t);
        return {
          kind: GUARANTEE_NAMES[g],
          timeMs: v.invokeMs,
          subject: `key ${v.key}, session ${v.process}`,
          value: `read ${v.value}, missed ${v.missedValue}`,
          ackNode: v.missedNode ?? 'initial state',
          servedBy: v.node,
          behindMs: v.behindMs,
          behind: v.behindMs === null ? '–' : `${v.behindMs} ms`,
          window: label(windows, w),
          windowIndex: w,
          opIndex: v.readIndex,
        };
      });
      kinds.push({ kind: GUARANTEE_NAMES[g], claim: g, total: se.guarantees[g].violations, rows });
    }
  }

  const sb = c['split-brain'];
  if (sb && !isCrash(sb) && sb.splitBrainIntervals > 0) {
    const rows = sb.intervals.slice(0, MAX_ROWS_PER_KIND).map((iv): AttributionRow => {
      const w = windowAt(windows, iv.startMs * NS_PER_MS);
      const terms = iv.terms[0] === null ? '' : ` (terms ${iv.terms[0]}, ${iv.terms[1]})`;
      return {
        kind: 'split brain',
        timeMs: iv.startMs,
        subject: `${iv.nodes[0]} and ${iv.nodes[1]}${terms}`,
        value: `${iv.writes} writes acknowledged by ${iv.nodes[1]} inside ${iv.nodes[0]}'s tenure`,
        ackNode: iv.nodes[1],
        servedBy: iv.nodes[0],
        behindMs: round3(iv.endMs - iv.startMs),
        behind: `${round3(iv.endMs - iv.startMs)} ms`,
        window: label(windows, w),
        windowIndex: w,
        opIndex: iv.firstIndex,
      };
    });
    kinds.push({ kind: 'split brain', claim: 'splitBrain', total: sb.splitBrainIntervals, rows });
  }
  if (sb && !isCrash(sb) && sb.deposedAcks > 0) {
    const rows = sb.deposedExamples.slice(0, MAX_ROWS_PER_KIND).map((d): AttributionRow => {
      const w = windowAt(windows, d.invokeMs * NS_PER_MS);
      return {
        kind: 'deposed leader',
        timeMs: d.invokeMs,
        subject: `${d.node} (term ${d.term})`,
        value: `${d.f}${d.key === null ? '' : ` ${d.key}`}`,
        ackNode: d.node,
        servedBy: `newer leader ${d.newerNode} (term ${d.newerTerm})`,
        behindMs: d.afterMs,
        behind: `${d.afterMs} ms after`,
        window: label(windows, w),
        windowIndex: w,
        opIndex: d.index,
      };
    });
    kinds.push({ kind: 'deposed leader', claim: 'fencing', total: sb.deposedAcks, rows });
  }

  const bank = c.bank;
  if (bank && !isCrash(bank) && bank.wrongReads.length > 0) {
    const rows = bank.wrongReads.slice(0, MAX_ROWS_PER_KIND).map((r): AttributionRow => {
      const w = windowAt(windows, r.invokeMs * NS_PER_MS);
      return {
        kind: 'wrong total',
        timeMs: r.invokeMs,
        subject: `total ${r.total}`,
        value: r.balances,
        ackNode: '–',
        servedBy: r.node,
        behindMs: bank.expectedTotal - r.total,
        behind: `${bank.expectedTotal - r.total} missing from ${bank.expectedTotal}${r.negative.length > 0 ? `; negative: ${r.negative.join(', ')}` : ''}`,
        window: label(windows, w),
        windowIndex: w,
        opIndex: r.readIndex,
      };
    });
    kinds.push({ kind: 'wrong total', claim: 'totalConserved', total: bank.wrongTotal, rows });
  }

  const byWindow = [...windows.map((w) => describeFault(w)), 'none'].map((window, i) => {
    const index = i < windows.length ? i : -1;
    const counts: Record<string, number> = {};
    for (const k of kinds) counts[k.kind] = k.rows.filter((r) => r.windowIndex === index).length;
    return { window, counts };
  });
  return { kinds, byWindow };
};
