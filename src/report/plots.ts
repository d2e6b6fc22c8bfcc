import { NS_PER_MS } from '../base/time.ts';
import { throughputBuckets } from '../checker/perf.ts';
import type { FaultWindow } from '../history/faults.ts';
import { type OpPair, outcomeOf } from '../history/pairs.ts';
import { previewValue } from '../history/preview.ts';
import { escapeHtml } from './escape.ts';
import { faultShading, innerHeight, niceTicks, plotFrame, px, svgOpen, timeAxis, timeScale } from './svg.ts';

/** Most points drawn in the latency plot; beyond it ops are sampled evenly. */
export const MAX_LATENCY_POINTS = 8000;

export interface Plot {
  svg: string;
  /** One line under the plot: what is drawn, and what was left out. */
  caption: string;
}

/**
 * Latency over time: one point per completed client op at its invocation
 * time, y = completion − invocation on a log scale, coloured by outcome.
 * With more than MAX_LATENCY_POINTS ops it samples evenly, keeping every
 * fail/info op it can (they are the interesting ones) in up to half the budget.
 */
export const latencyPlot = (pairs: readonly OpPair[], windows: readonly FaultWindow[], endNs: number): Plot => {
  const completed = pairs.filter((p) => p.completion !== undefined);
  const shown = samplePoints(completed);
  const f = plotFrame(280);
  const x = timeScale(f, endNs);
  const latMs = (p: OpPair): number => (p.completion!.time - p.invoke.time) / NS_PER_MS;

  let minMs = Number.POSITIVE_INFINITY;
  let maxMs = 0;
  for (const p of shown) {
    const l = latMs(p);
    if (l > 0 && l < minMs) minMs = l;
    if (l > maxMs) maxMs = l;
  }
  const loExp = Number.isFinite(minMs) ? Math.floor(Math.log10(minMs)) : -1;
  const hiExp = Math.max(loExp + 1, maxMs > 0 ? Math.ceil(Math.log10(maxMs)) : loExp + 1);
  const y = (ms: number): number => {
    const e = Math.log10(Math.max(ms, 10 ** loExp));
    return f.top + innerHeight(f) * (1 - (e - loExp) / (hiExp - loExp));
  };

  const parts = [svgOpen(f, 'latency', 'latency of each operation over time, log scale')];
  parts.push(faultShading(f, endNs, windows));
  for (let e = loExp; e <= hiExp; e++) {
    const yi = px(y(10 ** e));
    parts.push(`<line class="grid" x1="${f.left}" y1="${yi}" x2="${f.width - f.right}" y2="${yi}"/>`);
    parts.push(`<text class="tl" x="${f.left - 6}" y="${yi}" dy="4" text-anchor="end">${formatMs(10 ** e)}</text>`);
  }
  parts.push(
    `<text class="al" x="12" y="${px(f.top + innerHeight(f) / 2)}" transform="rotate(-90 12 ${px(f.top + innerHeight(f) / 2)})" text-anchor="middle">latency (ms, log)</text>`,
  );
  parts.push(timeAxis(f, endNs));
  for (const p of shown) {
    const l = latMs(p);
    const outcome = outcomeOf(p);
    const tip = `${p.f} ${outcome} ${formatMs(l)} ms at ${(p.invoke.time / 1e9).toFixed(3)} s, process ${p.process}${p.completion?.node ? ` on ${p.completion.node}` : ''}\nvalue ${previewValue(p.completion!.value ?? p.invoke.value, 80)}${p.completion?.error ? `\nerror ${previewValue(p.completion.error, 80)}` : ''}`;
    parts.push(
      `<circle class="pt ${outcome}" cx="${px(x(p.invoke.time))}" cy="${px(y(l))}" r="2"><title>${escapeHtml(tip)}</title></circle>`,
    );
  }
  parts.push('</svg>');
  const sampled = shown.length < completed.length ? `, sampled evenly from ${completed.length}` : '';
  const caption = `${shown.length} operations${sampled}; each point is an operation at its invocation time; shaded bands are fault windows.`;
  return { svg: parts.join(''), caption };
};

/** Throughput over time: completions per bucket, stacked ok / fail / info. */
export const throughputPlot = (pairs: readonly OpPair[], windows: readonly FaultWindow[], endNs: number): Plot => {
  const t = throughputBuckets(pairs, endNs);
  const f = plotFrame(240);
  const x = timeScale(f, endNs);
  const perSecond = 1000 / t.bucketMs;
  const totals = t.ok.map((ok, i) => ok + t.fail[i]! + t.info[i]!);
  const maxRate = Math.max(1, ...totals.map((n) => n * perSecond));
  const ticks = niceTicks(maxRate, 5);
  const top = ticks[ticks.length - 1]!;
  const y = (rate: number): number => f.top + innerHeight(f) * (1 - rate / top);

  const parts = [svgOpen(f, 'throughput', 'completed operations per second over time')];
  parts.push(faultShading(f, endNs, windows));
  for (const v of ticks) {
    const yi = px(y(v));
    parts.push(`<line class="grid" x1="${f.left}" y1="${yi}" x2="${f.width - f.right}" y2="${yi}"/>`);
    parts.push(`<text class="tl" x="${f.left - 6}" y="${yi}" dy="4" text-anchor="end">${v}</text>`);
  }
  parts.push(
    `<text class="al" x="12" y="${px(f.top + innerHeight(f) / 2)}" transform="rotate(-90 12 ${px(f.top + innerHeight(f) / 2)})" text-anchor="middle">ops/s</text>`,
  );
  parts.push(timeAxis(f, endNs));
  const bucketNs = t.bucketMs * NS_PER_MS;
  for (let i = 0; i < totals.length; i++) {
    if (totals[i] === 0) continue;
    const x0 = x(i * bucketNs);
    const w = Math.max(0.5, x((i + 1) * bucketNs) - x0 - 0.5);
    let base = 0;
    const tip = `${((i * t.bucketMs) / 1000).toFixed(1)} s: ${t.ok[i]} ok, ${t.fail[i]} fail, ${t.info[i]} info`;
    parts.push(`<g class="bar"><title>${escapeHtml(tip)}</title>`);
    for (const outcome of ['ok', 'fail', 'info'] as const) {
      const n = t[outcome][i]!;
      if (n === 0) continue;
      const y1 = y(base * perSecond);
      const y0 = y((base + n) * perSecond);
      parts.push(`<rect class="${outcome}" x="${px(x0)}" y="${px(y0)}" width="${px(w)}" height="${px(y1 - y0)}"/>`);
      base += n;
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  return {
    svg: parts.join(''),
    caption: `Completions per ${t.bucketMs === 1000 ? 'second' : `${t.bucketMs / 1000} s bucket (shown as a rate per second)`}, stacked ok / fail / info; shaded bands are fault windows.`,
  };
};

/** An even sample: non-ok ops first (up to half the budget), the rest from ok ops. */
const samplePoints = (completed: readonly OpPair[]): OpPair[] => {
  if (completed.length <= MAX_LATENCY_POINTS) return [...completed];
  const notOk = completed.filter((p) => p.completion!.type !== 'ok');
  const ok = completed.filter((p) => p.completion!.type === 'ok');
  const keptNotOk = evenly(notOk, Math.min(notOk.length, MAX_LATENCY_POINTS / 2));
  const keptOk = evenly(ok, MAX_LATENCY_POINTS - keptNotOk.length);
  return [...keptOk, ...keptNotOk];
};

const evenly = <T>(xs: readonly T[], n: number): T[] => {
  if (xs.length <= n) return [...xs];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[Math.floor((i * xs.length) / n)]!);
  return out;
};

/** 0.0123 → "0.0123", 12.5 → "12.5", 1500 → "1500". */
export const formatMs = (ms: number): string =>
  ms >= 100 ? Math.round(ms).toString() : Number(ms.toPrecision(3)).toString();
