import { gzipSync } from 'node:zlib';
import { NS_PER_MS } from '../base/time.ts';
import { describeFault, type FaultWindow } from '../history/faults.ts';
import { type OpPair, outcomeOf } from '../history/pairs.ts';
import { previewValue } from '../history/preview.ts';

/**
 * The data behind the report's interactive time axis (latency, throughput
 * and the timeline of operations, one x-axis; assets/timeview.js draws
 * them on canvases). A 1,000,000-operation history must fit in a page that
 * opens in seconds, so operations travel as typed columns, gzipped and
 * base64-encoded (the page inflates them with DecompressionStream), not as
 * JSON objects (differences, not absolute values, where they are small: gzip,
 * at its fastest level,
 * packs them several times better):
 *
 *   t0    Uint32  invocation time, in units of `tUnitNs` (µs, or ms past 71 minutes),
 *                 as the difference from the previous operation's (operations are in invocation order)
 *   lat   Float32 latency, ms; NaN when it never completed
 *   ii    Uint32  history index of the invocation, as the difference from the previous operation's
 *   ci    Uint32  history index of the completion minus the invocation's; 0 when none
 *   proc  Uint16 or Uint32  client process
 *   key   Uint16  1 + index into `keys` (0: no key)
 *   err   Uint16  1 + index into `errors` (0: no error)
 *   meta  Uint8   outcome (bits 0-1: ok 0, fail 1, info 2) | f index << 2
 *   node  Uint8   1 + index into `nodes` (0: unknown)
 *
 * Each operation's value (what a write wrote, what a read returned) is a
 * preview clipped to fit a budget, in a second gzipped blob of text, one
 * line per operation. Everything that came from the system under test is
 * set as text by the page, never as markup.
 */

/** Total characters of value previews in a page; past it previews get shorter. */
export const VALUE_BUDGET_CHARS = 16_000_000;
/** Longest preview of one value. */
export const VALUE_PREVIEW_MAX = 120;
/** Most distinct keys, errors and functions told apart (the rest share one entry). */
const TABLE_CAP = 65_000;
const F_CAP = 63;

export interface TimeViewMeta {
  count: number;
  /** The history's end, ms. */
  endMs: number;
  tUnitNs: number;
  /** Bytes per column in the order above, so the page can slice the buffer. */
  procBytes: 2 | 4;
  fs: string[];
  nodes: string[];
  keys: string[];
  errors: string[];
  windows: { f: string; label: string; startMs: number; endMs: number | null }[];
  /** Rows are workers (process mod concurrency) when known. */
  concurrency: number | null;
  /** Characters kept per value preview. */
  previewChars: number;
}

export interface TimeViewData {
  meta: TimeViewMeta;
  /** base64 of gzip(columns). */
  columns: string;
  /** base64 of gzip(value previews, one per line). */
  values: string;
}

const OUTCOME = { ok: 0, fail: 1, info: 2 } as const;

/** Interns strings into a table: 1 + index, 0 for undefined; past the cap, everything shares the last entry. */
const interner = (cap: number) => {
  const table: string[] = [];
  const ids = new Map<string, number>();
  return {
    table,
    id(s: string | undefined): number {
      if (s === undefined) return 0;
      let id = ids.get(s);
      if (id === undefined) {
        if (table.length >= cap) return table.length;
        table.push(table.length === cap - 1 ? '(others)' : s);
        id = table.length;
        ids.set(s, id);
      }
      return id;
    },
  };
};

/** One line per value: newlines and the separator removed, so the page can split on "\n". */
const oneLine = (s: string): string => s.replace(/[\n\r\u2028\u2029]/g, ' ');

export const buildTimeView = (
  pairs: readonly OpPair[],
  windows: readonly FaultWindow[],
  endNs: number,
  concurrency: number | undefined,
): TimeViewData => {
  const n = pairs.length;
  const tUnitNs = endNs / 1000 < 0xffffffff ? 1000 : NS_PER_MS;
  const maxProc = pairs.reduce((m, p) => Math.max(m, p.process), 0);
  const procBytes: 2 | 4 = maxProc < 0xffff ? 2 : 4;
  const buf = new ArrayBuffer(n * (4 + 4 + procBytes + 4 + 4 + 2 + 2 + 1 + 1) + 8);
  let offset = 0;
  const take = <T>(make: (b: ArrayBuffer, o: number, n: number) => T, bytes: number): T => {
    const a = make(buf, offset, n);
    offset += bytes * n;
    return a;
  };
  // Widest columns first: every typed array starts at a multiple of its element size.
  const t0 = take((b, o, c) => new Uint32Array(b, o, c), 4);
  const lat = take((b, o, c) => new Float32Array(b, o, c), 4);
  const ii = take((b, o, c) => new Uint32Array(b, o, c), 4);
  const ci = take((b, o, c) => new Uint32Array(b, o, c), 4);
  const proc =
    procBytes === 4 ? take((b, o, c) => new Uint32Array(b, o, c), 4) : take((b, o, c) => new Uint16Array(b, o, c), 2);
  const key = take((b, o, c) => new Uint16Array(b, o, c), 2);
  const err = take((b, o, c) => new Uint16Array(b, o, c), 2);
  const meta = take((b, o, c) => new Uint8Array(b, o, c), 1);
  const node = take((b, o, c) => new Uint8Array(b, o, c), 1);

  const fs = interner(F_CAP);
  const nodes = interner(255);
  const keys = interner(TABLE_CAP);
  const errors = interner(TABLE_CAP);
  const previewChars = Math.max(12, Math.min(VALUE_PREVIEW_MAX, Math.floor(VALUE_BUDGET_CHARS / Math.max(1, n))));
  const lines: string[] = new Array(n);

  let prevT = 0;
  let prevI = 0;
  pairs.forEach((p, i) => {
    const c = p.completion;
    const t = Math.round(p.invoke.time / tUnitNs);
    t0[i] = t - prevT;
    prevT = t;
    lat[i] = c ? (c.time - p.invoke.time) / NS_PER_MS : Number.NaN;
    proc[i] = p.process;
    ii[i] = p.invoke.index - prevI;
    prevI = p.invoke.index;
    ci[i] = c ? c.index - p.invoke.index : 0;
    key[i] = keys.id(p.invoke.key);
    err[i] = errors.id(c?.error === undefined ? undefined : oneLine(String(c.error)).slice(0, 200));
    meta[i] = OUTCOME[outcomeOf(p)] | (Math.max(0, fs.id(p.f) - 1) << 2);
    node[i] = nodes.id(c?.node ?? p.invoke.node);
    // A read shows what it returned; anything else what it was asked to do (and, if different, what came back).
    const asked = p.invoke.value;
    const got = c?.value;
    const shown = p.f === 'read' ? got : asked;
    let text = previewValue(shown === undefined ? null : shown, previewChars);
    if (p.f !== 'read' && c?.type === 'ok' && got !== undefined && previewValue(got, 40) !== previewValue(asked, 40))
      text += ` → ${previewValue(got, Math.max(12, previewChars >> 1))}`;
    lines[i] = oneLine(text);
  });

  return {
    meta: {
      count: n,
      endMs: endNs / NS_PER_MS,
      tUnitNs,
      procBytes,
      fs: fs.table,
      nodes: nodes.table,
      keys: keys.table,
      errors: errors.table,
      windows: windows.map((w) => ({
        f: w.f,
        label: describeFault(w),
        startMs: w.start / NS_PER_MS,
        endMs: Number.isFinite(w.end) ? w.end / NS_PER_MS : null,
      })),
      concurrency:
        concurrency !== undefined && Number.isSafeInteger(concurrency) && concurrency > 0 ? concurrency : null,
      previewChars,
    },
    columns: gzipSync(new Uint8Array(buf, 0, offset), { level: 1 }).toString('base64'),
    values: gzipSync(Buffer.from(lines.join('\n'), 'utf8'), { level: 1 }).toString('base64'),
  };
};
