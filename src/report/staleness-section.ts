import type { StalenessCheckerResult } from '../checker/staleness.ts';
import { escapeHtml as h, jsonForScript } from './escape.ts';
import type { ClaimResult } from './results.ts';

/**
 * The staleness section: the distribution of staleness over every read and
 * the PBS t-visibility curve, each with the claim's bound drawn on it
 * (assets/staleness.js, with uPlot), and the same figures as tables, which
 * also serve a reader without script.
 */

interface BoundView {
  maxMs: number | null;
  quantile: number;
  quantileLabel: string;
  visibility: { afterMs: number; atLeast: number } | null;
}

/** The claim's bound, read defensively: `expected` is whatever the preset said. */
const boundOf = (claim: ClaimResult | undefined): BoundView | null => {
  const e = claim?.expected;
  if (typeof e !== 'object' || e === null) return null;
  const b = e as { maxMs?: unknown; quantile?: unknown; visibility?: unknown };
  const q = typeof b.quantile === 'number' ? b.quantile : 1;
  const v = b.visibility as { afterMs?: unknown; atLeast?: unknown } | undefined;
  return {
    maxMs: typeof b.maxMs === 'number' ? b.maxMs : null,
    quantile: q,
    quantileLabel: String(Math.round(q * 1e4) / 1e2),
    visibility:
      v && typeof v.afterMs === 'number' && typeof v.atLeast === 'number'
        ? { afterMs: v.afterMs, atLeast: v.atLeast }
        : null,
  };
};

const cell = (x: number | null): string => `<td class="num">${x === null ? '–' : h(String(x))}</td>`;

export const stalenessSection = (r: StalenessCheckerResult, claim: ClaimResult | undefined): string => {
  const bound = boundOf(claim);
  const data = { distribution: r.distribution, curve: r.tVisibilityCurve, bound };
  const dist = r.distribution
    .map((d) => `<tr><td>p${h(String(Math.round(d.q * 1e4) / 1e2))}</td>${cell(d.ms)}${cell(d.versions)}</tr>`)
    .join('');
  const curve = r.tVisibilityCurve
    .map((p) => `<tr><td class="num">${p.afterMs}</td>${cell(p.reads)}${cell(p.consistent)}${cell(p.probability)}</tr>`)
    .join('');
  const boundText = claim?.bounds
    ? `<p class="caption">Bound: ${claim.bounds
        .map(
          (b) =>
            `${h(b.measure)} ${b.op === '<=' ? '≤' : '≥'} ${b.bound}, measured ${b.measured === null ? '–' : b.measured} (${b.held === true ? 'held' : b.held === false ? 'violated' : 'unknown'})`,
        )
        .join('; ')}</p>`
    : '';
  return [
    `<p>${h(r.summary)}</p>`,
    boundText,
    '<div id="staleness-charts" class="charts"><div id="staleness-distribution" class="chart"></div><div id="staleness-visibility" class="chart"></div></div>',
    `<script type="application/json" id="staleness-data">${jsonForScript(data)}</script>`,
    '<div class="side-by-side">',
    `<table class="staleness-dist"><thead><tr><th>reads</th><th class="num">ms behind</th><th class="num">versions behind</th></tr></thead><tbody>${dist}</tbody></table>`,
    `<table class="visibility"><thead><tr><th class="num">t (ms after ack)</th><th class="num">reads</th><th class="num">saw it</th><th class="num">share</th></tr></thead><tbody>${curve}</tbody></table>`,
    '</div>',
    '<p class="caption">Staleness counts every judged read, a fresh one as 0 ms and 0 versions behind. t-visibility: of the reads that began at least t ms after some write was acknowledged, the share that returned the latest such write or something newer.</p>',
  ].join('');
};
