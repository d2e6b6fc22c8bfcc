import { NS_PER_MS } from '../base/time.ts';
import type { FaultWindow } from '../history/faults.ts';
import { type OpPair, type Outcome, outcomeOf } from '../history/pairs.ts';
import { previewValue } from '../history/preview.ts';
import { escapeHtml } from './escape.ts';
import type { Plot } from './plots.ts';
import { type Frame, faultShading, innerWidth, px, timeAxis, timeScale } from './svg.ts';

/** Up to this many operations the timeline draws one bar per op, with a tooltip each. */
export const MAX_TIMELINE_BARS = 2000;
/** Most process rows drawn; later processes are left out (the caption says how many). */
export const MAX_TIMELINE_ROWS = 150;

const SEVERITY: Record<Outcome, number> = { ok: 1, fail: 2, info: 3 };
const BY_SEVERITY: readonly (Outcome | undefined)[] = [undefined, 'ok', 'fail', 'info'];

/**
 * A timeline of operations: one row per process, a bar from invocation to
 * completion coloured by outcome (an op never completed runs to the end).
 * Given the run's concurrency, rows are workers instead: after an `info` a
 * worker continues as process + concurrency (Jepsen's rule), so
 * process mod concurrency is the worker and timeouts do not add rows.
 * Past MAX_TIMELINE_BARS ops, bars are aggregated per pixel column: each
 * pixel of a row shows the worst outcome (info > fail > ok) of the ops
 * overlapping it, so thousands of ops stay readable and the file small.
 */
export const timelinePlot = (
  pairs: readonly OpPair[],
  windows: readonly FaultWindow[],
  endNs: number,
  concurrency?: number,
): Plot => {
  const byWorker = concurrency !== undefined && Number.isSafeInteger(concurrency) && concurrency > 0;
  const rowKey = (p: OpPair): number => (byWorker ? p.process % concurrency! : p.process);
  const processes = [...new Set(pairs.map(rowKey))].sort((a, b) => a - b);
  const rows = processes.slice(0, MAX_TIMELINE_ROWS);
  const rowOf = new Map(rows.map((p, i) => [p, i]));
  const drawn = pairs.filter((p) => rowOf.has(rowKey(p)));
  const label = byWorker ? 'w' : 'p';
  const rowName = byWorker ? 'workers' : 'processes';
  const rowH = rows.length <= 40 ? 12 : 7;
  const f: Frame = {
    width: 960,
    height: 26 + 34 + Math.max(1, rows.length) * rowH,
    left: 64,
    right: 16,
    top: 26,
    bottom: 34,
  };
  const x = timeScale(f, endNs);
  const rowY = (i: number): number => f.top + i * rowH + 1;
  const barH = rowH - 2;

  const parts = [
    `<svg class="plot timeline" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="timeline of operations per process" xmlns="http://www.w3.org/2000/svg">`,
  ];
  parts.push(faultShading(f, endNs, windows));
  rows.forEach((p, i) => {
    if (rowH >= 10 || i % 5 === 0) {
      parts.push(
        `<text class="tl" x="${f.left - 6}" y="${px(rowY(i) + barH - 1)}" text-anchor="end">${label}${p}</text>`,
      );
    }
  });
  parts.push(timeAxis(f, endNs));

  const aggregated = drawn.length > MAX_TIMELINE_BARS;
  if (!aggregated) {
    for (const p of drawn) {
      const outcome = outcomeOf(p);
      const endT = p.completion?.time ?? endNs;
      const x0 = x(p.invoke.time);
      const w = Math.max(1, x(endT) - x0);
      const latency = p.completion
        ? `${((p.completion.time - p.invoke.time) / NS_PER_MS).toFixed(3)} ms`
        : 'never completed';
      const tip = `process ${p.process}: ${p.f} ${outcome}, ${latency}\ninvoked ${(p.invoke.time / 1e9).toFixed(3)} s, value ${previewValue(p.invoke.value, 60)}\nreturned ${previewValue(p.completion?.value ?? null, 80)}`;
      parts.push(
        `<rect class="op ${outcome}" x="${px(x0)}" y="${px(rowY(rowOf.get(rowKey(p))!))}" width="${px(w)}" height="${barH}"><title>${escapeHtml(tip)}</title></rect>`,
      );
    }
  } else {
    const width = Math.ceil(innerWidth(f));
    const columns = rows.map(() => new Uint8Array(width));
    for (const p of drawn) {
      const cols = columns[rowOf.get(rowKey(p))!]!;
      const sev = SEVERITY[outcomeOf(p)];
      const c0 = Math.min(width - 1, Math.floor(x(p.invoke.time) - f.left));
      const c1 = Math.min(width - 1, Math.floor(x(p.completion?.time ?? endNs) - f.left));
      for (let c = c0; c <= c1; c++) if (cols[c]! < sev) cols[c] = sev;
    }
    columns.forEach((cols, i) => {
      let c = 0;
      while (c < width) {
        const sev = cols[c]!;
        let e = c + 1;
        while (e < width && cols[e] === sev) e++;
        const outcome = BY_SEVERITY[sev];
        if (outcome) {
          parts.push(
            `<rect class="op agg ${outcome}" x="${f.left + c}" y="${px(rowY(i))}" width="${e - c}" height="${barH}"/>`,
          );
        }
        c = e;
      }
    });
  }
  parts.push('</svg>');

  const notes = [`${processes.length} ${rowName}, ${pairs.length} operations`];
  if (byWorker)
    notes.push(`one row per worker: process mod ${concurrency} (after an info a worker continues as a new process)`);
  if (processes.length > rows.length) {
    notes.push(`only the first ${rows.length} ${rowName} are drawn (${processes.length - rows.length} more not shown)`);
  }
  if (aggregated) {
    notes.push(
      `${drawn.length} operations aggregated per pixel: each pixel of a row shows the worst outcome (info > fail > ok) of the operations overlapping it`,
    );
  } else {
    notes.push('one bar per operation, from invocation to completion');
  }
  return { svg: parts.join(''), caption: `${notes.join('; ')}.` };
};
