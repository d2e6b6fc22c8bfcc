import type { Validity } from '../checker/checker.ts';
import { inlineScript, inlineStyle, readAsset } from './assets.ts';
import { escapeHtml as h, jsonForScript } from './escape.ts';
import type { Interval } from './job-results.ts';

/**
 * The frame of the job pages (compare, campaign, claims, the runs index):
 * one self-contained HTML file, the run report's stylesheet plus the jobs'
 * own, its tooltip script, and the page's data as JSON for tools. No network
 * at all, enforced by the Content-Security-Policy. Everything passed as
 * `title`/`meta` is text; `body` is HTML the page module built with escaping.
 */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

export interface PageInput {
  title: string;
  heading: string;
  /** [label, value] pairs under the heading. */
  meta?: [string, string][];
  body: string;
  /** Embedded as <script type="application/json" id="faultline-data">. */
  data?: unknown;
  /** Extra inline script (trusted: faultline's own asset). */
  script?: string;
  /** <meta name="generator">: marks pages faultline may later replace. */
  generator?: string;
  /** The runs index, relative to the page, linked above the heading. */
  home?: string;
}

export const renderPage = (p: PageInput): string =>
  [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    p.generator ? `<meta name="generator" content="${h(p.generator)}">` : '',
    `<title>${h(p.title)}</title>`,
    `<style>${inlineStyle(readAsset('report.css'))}\n${inlineStyle(readAsset('jobs.css'))}</style>`,
    '</head><body class="job">',
    p.home ? `<p class="home"><a href="${h(p.home)}">all runs</a></p>` : '',
    `<h1>${h(p.heading)}</h1>`,
    p.meta && p.meta.length > 0
      ? `<p class="meta">${p.meta.map(([k, v]) => `<span>${h(k)} <b>${h(v)}</b></span>`).join(' ')}</p>`
      : '',
    p.body,
    p.data === undefined ? '' : `<script type="application/json" id="faultline-data">${jsonForScript(p.data)}</script>`,
    `<script>${inlineScript(readAsset('report.js'))}</script>`,
    p.script ? `<script>${inlineScript(p.script)}</script>` : '',
    '</body></html>',
    '',
  ].join('\n');

export const verdictWord = (v: Validity): string => (v === true ? 'PASS' : v === false ? 'FAIL' : 'UNKNOWN');
export const verdictClass = (v: Validity): string => (v === true ? 'pass' : v === false ? 'fail' : 'unknown');

/** The big coloured box at the top of a page. */
export const verdictBox = (v: Validity, why: string, interrupted = false): string =>
  `<div class="verdict ${verdictClass(v)}" id="verdict"><span class="word">${verdictWord(v)}</span><span class="why">${h(why)}</span>${
    interrupted ? '<div class="interrupted">INTERRUPTED: stopped early; some runs did not finish</div>' : ''
  }</div>`;

/** A small PASS / FAIL / UNKNOWN badge. */
export const verdictBadge = (v: Validity): string =>
  `<span class="badge ${v === true ? 'held' : v === false ? 'violated' : 'unknown'}">${verdictWord(v)}</span>`;

/** A number for a table: integers as is, others to `digits` significant decimals; null as "–". */
export const fmt = (x: number | null | undefined, digits = 1): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
};

export const pct = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(digits)}%`;

/** "12.4 [8.1, 16.9]" */
export const withInterval = (
  m: number | null,
  ci: Interval,
  format: (x: number | null) => string = (x) => fmt(x),
): string =>
  m === null
    ? '–'
    : ci === null
      ? format(m)
      : `${format(m)} <span class="ci">[${format(ci[0])}, ${format(ci[1])}]</span>`;

/** href of a run's report from a page `up` folders below the reports root. */
export const runReportHref = (reportsRoot: string, dir: string): string =>
  `${reportsRoot}/${dir.split('/').map(encodeURIComponent).join('/')}/report.html`;
