import { stringify as toYaml } from 'yaml';
import type { CheckerResult, Validity } from '../checker/checker.ts';
import { isCrash } from '../checker/index.ts';
import { checkPerf } from '../checker/perf.ts';
import type { SetCheckerResult } from '../checker/set.ts';
import { faultWindows } from '../history/faults.ts';
import type { Op } from '../history/op.ts';
import { historyEnd, pairClientOps } from '../history/pairs.ts';
import { previewValue } from '../history/preview.ts';
import { inlineScript, inlineStyle, readAsset } from './assets.ts';
import { type Attribution, attribute } from './attribution.ts';
import { escapeHtml as h, jsonForScript } from './escape.ts';
import type { ClaimResult, RunResults } from './results.ts';
import { stalenessSection } from './staleness-section.ts';
import { buildTimeView } from './timeview.ts';

/**
 * The run report: one self-contained HTML file (inline CSS, JS and data; no
 * network at all, enforced by a Content-Security-Policy), readable offline
 * from a CI artifact. Verdict first, then claims (with each bound's measured
 * figure), the replay command, counts, attribution of every anomaly (which
 * fault window, which nodes, how far behind, linked into the timeline), the
 * set checker's elements, staleness charts, the interactive time axis
 * (latency, throughput and the timeline, zoomable, filterable, a million
 * operations), availability, nemesis events, config and logs. Drawn from the
 * history; results.json stays small.
 *
 * Every value that came from the run is escaped. `extraSections` is the one
 * exception: trusted HTML from faultline itself (the linearizability
 * visualization), inserted as given.
 */
export interface RunReportInput {
  results: RunResults;
  history: readonly Op[];
  /** The resolved run config, as plain data (shown as YAML) or as text. */
  config: unknown;
  /** node → log path relative to the report (e.g. "logs/n1.log"). */
  logs: Record<string, string>;
  extraSections?: { title: string; html: string }[];
}

/** Longest element list shown per kind; the rest is summarised as "and N more". */
export const MAX_ELEMENTS_SHOWN = 200;
/** Most nemesis events listed. */
export const MAX_NEMESIS_EVENTS = 500;

// No network of any kind: scripts and styles only inline, images only data: URIs.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

export const renderRunReport = (input: RunReportInput): string => {
  const { results, history } = input;
  const pairs = pairClientOps(history);
  const windows = faultWindows(history);
  const endNs = historyEnd(history);
  const perf = checkPerf(history);

  const attribution = attribute(results, history, pairs, windows);
  const sections: { id: string; title: string; html: string }[] = [
    { id: 'claims', title: 'Claims', html: claimsTable(results.claims) },
    { id: 'replay', title: 'Replay', html: `<pre class="replay">${h(results.replay)}</pre>` },
    { id: 'counts', title: 'Operations', html: countsTable(perf) },
  ];
  if (attribution.kinds.length > 0)
    sections.push({ id: 'attribution', title: 'Where the anomalies come from', html: attributionHtml(attribution) });
  const set = results.checkers.set;
  if (set && !isCrash(set)) sections.push({ id: 'set', title: 'Lost writes (set checker)', html: setSection(set) });
  const staleness = results.checkers.staleness;
  if (staleness && !isCrash(staleness) && staleness.reads > 0)
    sections.push({
      id: 'staleness',
      title: 'Staleness',
      html: stalenessSection(
        staleness,
        results.claims.find((c) => c.name === 'staleReads'),
      ),
    });
  sections.push({ id: 'checkers', title: 'Checkers', html: checkersTable(results.checkers) });
  (input.extraSections ?? []).forEach((s, i) => {
    sections.push({ id: `extra-${i}`, title: s.title, html: s.html });
  });
  const view = buildTimeView(pairs, windows, endNs, concurrencyOf(input.config));
  sections.push(
    {
      id: 'time',
      title: 'Latency, throughput and operations over time',
      html: [
        LEGEND,
        '<div id="tv" class="tv"><noscript>The time view needs JavaScript.</noscript><p class="tv-loading">Drawing…</p></div>',
        `<script type="application/json" id="tv-meta">${jsonForScript(view.meta)}</script>`,
        `<script type="application/octet-stream" id="tv-columns">${view.columns}</script>`,
        `<script type="application/octet-stream" id="tv-values">${view.values}</script>`,
      ].join(''),
    },
    { id: 'availability', title: 'Availability per fault window', html: availabilityTable(perf) },
    { id: 'nemesis', title: 'Nemesis events', html: nemesisTable(history) },
    { id: 'config', title: 'Config', html: `<pre class="config">${h(configText(input.config))}</pre>` },
    { id: 'logs', title: 'Node logs', html: logsList(input.logs) },
  );
  const charts = sections.some((s) => s.id === 'staleness');

  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(`${verdictWord(results.valid)} · ${results.test} · faultline`)}</title>`,
    `<style>${inlineStyle(readAsset('report.css'))}</style>`,
    charts ? `<style>${inlineStyle(readAsset('uPlot.css'))}</style>` : '',
    '</head><body>',
    `<h1>faultline · ${h(results.test)}</h1>`,
    metaLine(results),
    verdictBox(results),
    incidentsBox(results),
    `<nav class="toc">${sections.map((s) => `<a href="#${s.id}">${h(s.title)}</a>`).join(' · ')}</nav>`,
    ...sections.map((s) => `<section id="${s.id}"><h2>${h(s.title)}</h2>${s.html}</section>`),
    `<script type="application/json" id="faultline-results">${jsonForScript(embeddedResults(results))}</script>`,
    `<script>${inlineScript(readAsset('report.js'))}</script>`,
    `<script>${inlineScript(readAsset('timeview.js'))}</script>`,
    charts ? `<script>${inlineScript(readAsset('uPlot.js'))}</script>` : '',
    charts ? `<script>${inlineScript(readAsset('staleness.js'))}</script>` : '',
    '</body></html>',
    '',
  ].join('\n');
};

/**
 * results.json as the page embeds it, for tools: whole, except the
 * linearizable checker's failing partition (its operations can run to
 * megabytes; the linearizability section draws it, results.json has it).
 */
const embeddedResults = (results: RunResults): RunResults => {
  const lin = results.checkers.linearizable;
  if (lin === undefined || isCrash(lin) || lin.failure === undefined) return results;
  const { failure: _failure, ...rest } = lin;
  return { ...results, checkers: { ...results.checkers, linearizable: rest } };
};

const verdictWord = (v: Validity): string => (v === true ? 'PASS' : v === false ? 'FAIL' : 'UNKNOWN');
const verdictClass = (v: Validity): string => (v === true ? 'pass' : v === false ? 'fail' : 'unknown');

const verdictBox = (r: RunResults): string => {
  const violated = r.claims.filter((c) => c.held === false).map((c) => c.name);
  const unknown = r.claims.filter((c) => c.held === 'unknown').map((c) => c.name);
  const held = r.claims.filter((c) => c.held === true).length;
  let why: string;
  if (r.valid === false) why = violated.length > 0 ? `violated: ${violated.join(', ')}` : 'a claim was violated';
  else if (r.valid === 'unknown')
    why = unknown.length > 0 ? `undecided: ${unknown.join(', ')}` : 'a checker could not decide';
  else why = `${held} of ${r.claims.length} claims held`;
  const interrupted = r.interrupted
    ? '<div class="interrupted">INTERRUPTED: the run was stopped early; the history is a prefix</div>'
    : '';
  return `<div class="verdict ${verdictClass(r.valid)}" id="verdict"><span class="word">${verdictWord(r.valid)}</span><span class="why">${h(why)}</span>${interrupted}</div>`;
};

/** Harness problems during the run (a node that would not restart), when the orchestration recorded any. */
const incidentsBox = (r: RunResults): string => {
  const incidents = (r as { incidents?: unknown }).incidents;
  if (!Array.isArray(incidents) || incidents.length === 0) return '';
  const items = incidents.map((i) => `<li>${h(typeof i === 'string' ? i : previewValue(i, 300))}</li>`).join('');
  return `<div class="incidents"><b>Harness incidents during the run</b><ul>${items}</ul></div>`;
};

const metaLine = (r: RunResults): string => {
  const items: [string, string][] = [
    ['run', r.runId],
    ['started', r.startedAt],
    ['duration', formatDuration(r.durationMs)],
    ['seed', String(r.seed)],
    ['cluster', r.cluster],
    ['workload', r.workload],
    ['nemesis', r.nemesis],
    ['backend', r.backend],
    ['nodes', (r.nodes ?? []).join(', ')],
  ];
  return `<p class="meta">${items.map(([k, v]) => `<span>${k} <b>${h(String(v))}</b></span>`).join(' ')}</p>`;
};

const heldBadge = (held: ClaimResult['held']): string => {
  const [cls, word] =
    held === true
      ? ['held', 'held']
      : held === false
        ? ['violated', 'violated']
        : held === 'unknown'
          ? ['unknown', 'unknown']
          : ['untested', 'untested'];
  return `<span class="badge ${cls}">${word}</span>`;
};

const validBadge = (v: unknown): string =>
  v === true
    ? '<span class="badge valid">valid</span>'
    : v === false
      ? '<span class="badge invalid">invalid</span>'
      : '<span class="badge unknown">unknown</span>';

const claimsTable = (claims: readonly ClaimResult[]): string => {
  if (claims.length === 0) return '<p>This run declared no claims.</p>';
  const rows = claims.map((c) => {
    const bounds = (c.bounds ?? [])
      .map(
        (b) =>
          `<tr class="bound"><td></td><td class="mono">${b.op === '<=' ? '≤' : '≥'} ${h(String(b.bound))}</td><td>${heldBadge(b.held)}</td><td>${h(b.measure)}: measured <b class="measured">${b.measured === null ? '–' : h(String(b.measured))}</b></td></tr>`,
      )
      .join('');
    return `<tr class="claim"><td><b>${h(c.name)}</b></td><td class="mono">${h(previewValue(c.expected, 80))}</td><td>${heldBadge(c.held)}</td><td>${h(c.detail)}</td></tr>${bounds}`;
  });
  return `<table class="claims"><thead><tr><th>claim</th><th>expected</th><th>held</th><th>detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
};

const countsTable = (perf: ReturnType<typeof checkPerf>): string => {
  const fs = Object.entries(perf.byF);
  if (fs.length === 0) return '<p>No client operations in the history.</p>';
  const cell = (x: number | null): string => `<td class="num">${x === null ? '–' : x}</td>`;
  const row = (fHtml: string, c: (typeof perf.byF)[string]): string =>
    `<tr><td>${fHtml}</td>${cell(c.ok)}${cell(c.fail)}${cell(c.info)}${cell(c.ok + c.fail + c.info)}${cell(c.latencyMs.p50)}${cell(c.latencyMs.p99)}${cell(c.latencyMs.max)}</tr>`;
  const total = { ...perf.counts, latencyMs: perf.latencyMs };
  const unfinished =
    perf.unfinished > 0
      ? `<p class="caption">${perf.unfinished} operations never completed (the run was interrupted); counted as info.</p>`
      : '';
  return (
    '<table class="counts"><thead><tr><th>f</th><th class="num">ok</th><th class="num">fail</th><th class="num">info</th><th class="num">total</th><th class="num">p50 ms</th><th class="num">p99 ms</th><th class="num">max ms</th></tr></thead><tbody>' +
    fs.map(([f, c]) => row(h(f), c)).join('') +
    row('<b>all</b>', total) +
    `</tbody></table><p class="caption">Latency of ok operations only.</p>${unfinished}`
  );
};

/** The set checker's figures and element lists. */
const setSection = (s: SetCheckerResult): string => {
  const figures: [string, unknown][] = [
    ['attempted adds', s.attempted],
    ['acknowledged', s.acked],
    ['lost (acknowledged, in no final read)', s.lost],
    ['recovered (indeterminate, present)', s.recovered],
    ['unexpected (never added)', s.unexpected],
    ['failed adds present', s.failedPresent],
    ['divergent across nodes', s.divergent],
    ['converged', s.converged],
    ['stale reads', s.staleReads],
    ['malformed reads', s.malformedReads],
    ['final reads', s.finalReads.count],
  ];
  if (s.finalReads.missingNodes.length > 0)
    figures.push(['nodes with no final read', s.finalReads.missingNodes.join(', ')]);
  const vis = s.visibilityMs;
  if (vis.count > 0) figures.push(['visibility p50 / p99 / max (ms)', `${vis.p50} / ${vis.p99} / ${vis.max}`]);
  const table = `<table class="set-figures"><tbody>${figures
    .map(([k, v]) => `<tr><td>${h(k)}</td><td class="num">${h(String(v))}</td></tr>`)
    .join('')}</tbody></table>`;
  const lists = [
    elementList('lost', 'Lost elements', s.lostElements, s.lost),
    elementList('recovered', 'Recovered elements', s.recoveredElements, s.recovered),
    elementList('unexpected', 'Unexpected elements', s.unexpectedElements, s.unexpected),
    elementList('failed-present', 'Failed adds present', s.failedPresentElements, s.failedPresent),
    elementList('divergent', 'Divergent elements', s.divergentElements, s.divergent),
  ].join('');
  const malformed = s.malformedExamples.map((x) => `<li class="mono">${h(String(x))}</li>`).join('');
  return `${table}${lists}${malformed ? `<h3>Malformed read values (examples)</h3><ul class="malformed">${malformed}</ul>` : ''}`;
};

const ATTRIBUTION_COLUMNS: [keyof AttributionHtmlRow, string, boolean][] = [
  ['timeMs', 'time (s)', true],
  ['subject', 'key / element', false],
  ['value', 'value', false],
  ['ackNode', 'acknowledged by', false],
  ['servedBy', 'served by', false],
  ['behindMs', 'how far behind', true],
  ['window', 'fault window', false],
  ['opIndex', 'operation', true],
];
type AttributionHtmlRow = Attribution['kinds'][number]['rows'][number];

/** Per kind, a table a person can sort (click a heading), each row linking into the timeline. */
const attributionHtml = (a: Attribution): string => {
  const kinds = a.kinds.map((k) => k.kind);
  const summary = `<table class="by-window"><thead><tr><th>fault window</th>${kinds.map((k) => `<th class="num">${h(k)}</th>`).join('')}</tr></thead><tbody>${a.byWindow
    .filter((w) => Object.values(w.counts).some((n) => n > 0))
    .map(
      (w) => `<tr><td>${h(w.window)}</td>${kinds.map((k) => `<td class="num">${w.counts[k] ?? 0}</td>`).join('')}</tr>`,
    )
    .join(
      '',
    )}</tbody></table><p class="caption">Listed anomalies by the fault window they fall in (a lost write: the window it was acknowledged in, or the next one).</p>`;
  const tables = a.kinds.map((k) => {
    const head = ATTRIBUTION_COLUMNS.map(
      ([key, title, numeric]) => `<th data-sort="${key}"${numeric ? ' class="num"' : ''} title="sort">${h(title)}</th>`,
    ).join('');
    const body = k.rows
      .map((r) => {
        const cells = [
          `<td class="num" data-v="${r.timeMs}">${(r.timeMs / 1000).toFixed(3)}</td>`,
          `<td class="mono">${h(r.subject)}</td>`,
          `<td class="mono">${h(r.value)}</td>`,
          `<td>${h(r.ackNode)}</td>`,
          `<td>${h(r.servedBy)}</td>`,
          `<td class="num" data-v="${r.behindMs ?? ''}">${h(r.behind)}</td>`,
          `<td>${h(r.window)}</td>`,
          `<td class="num" data-v="${r.opIndex}">${r.opIndex >= 0 ? `<a href="#time" data-op="${r.opIndex}">#${r.opIndex}</a>` : '–'}</td>`,
        ];
        return `<tr>${cells.join('')}</tr>`;
      })
      .join('');
    const more =
      k.total > k.rows.length ? `<p class="more">${k.rows.length} of ${k.total} listed (see results.json).</p>` : '';
    // Long lists start folded; the per-window summary above says where they fall.
    const open = k.rows.length <= 30 ? ' open' : '';
    return `<details class="attribution"${open}><summary><b>${h(k.kind)}</b> <span class="count">(${k.total}; claim ${h(k.claim)}; click a heading to sort, an operation to see it on the timeline)</span></summary><table class="attribution sortable" data-kind="${h(k.kind)}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${more}</details>`;
  });
  return summary + tables.join('');
};

/** "1, 2, 3, … and 1,234 more": the count comes from the checker, the list may itself be capped. */
const elementList = (id: string, title: string, items: readonly number[], count: number): string => {
  const total = Math.max(count, items.length);
  if (total === 0) return '';
  const shown = items.slice(0, MAX_ELEMENTS_SHOWN);
  const more = total - shown.length;
  const moreText = more > 0 ? ` <span class="more">and ${more} more</span>` : '';
  return `<div class="elements" id="elements-${id}"><h3>${h(title)} (${total})</h3><div class="list mono">${h(shown.map((x) => previewValue(x, 40)).join(', '))}${moreText}</div></div>`;
};

const checkersTable = (checkers: RunResults['checkers']): string => {
  const entries: [string, CheckerResult][] = Object.entries(checkers);
  if (entries.length === 0) return '<p>No checker ran.</p>';
  const rows = entries.map(([name, r]) => {
    const summary =
      typeof r.summary === 'string' ? r.summary : typeof r.error === 'string' ? `crashed: ${r.error}` : '';
    return `<tr><td><b>${h(name)}</b></td><td>${validBadge(r.valid)}</td><td>${h(summary)}</td></tr>`;
  });
  const details = entries
    .map(([name, r]) => `<details><summary>${h(name)}: full result</summary><pre>${h(clippedJson(r))}</pre></details>`)
    .join('');
  return `<table class="checkers"><thead><tr><th>checker</th><th>verdict</th><th>summary</th></tr></thead><tbody>${rows.join('')}</tbody></table>${details}`;
};

/** Pretty JSON, clipped so a huge result (100k lost elements) cannot bloat the page. */
const clippedJson = (v: unknown, max = 20_000): string => {
  const text = JSON.stringify(v, null, 2) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters; see results.json)` : text;
};

const LEGEND =
  '<div class="legend"><span><i class="ok"></i>ok</span><span><i class="fail"></i>fail</span><span><i class="info"></i>info (indeterminate)</span></div>';

const availabilityTable = (perf: ReturnType<typeof checkPerf>): string => {
  const { windows, outside } = perf.availability;
  const pct = (share: number | null): string => (share === null ? '–' : `${(share * 100).toFixed(1)}%`);
  const rows = windows.map(
    (w) =>
      `<tr><td>${h(w.description)}</td><td class="num">${(w.startMs / 1000).toFixed(3)}</td><td class="num">${w.endMs === null ? 'never healed' : (w.endMs / 1000).toFixed(3)}</td><td class="num">${w.ok} / ${w.total}</td><td class="num">${pct(w.share)}</td></tr>`,
  );
  rows.push(
    `<tr><td><i>outside every fault window</i></td><td></td><td></td><td class="num">${outside.ok} / ${outside.total}</td><td class="num">${pct(outside.share)}</td></tr>`,
  );
  return `<table class="availability"><thead><tr><th>window</th><th class="num">start s</th><th class="num">end s</th><th class="num">ok / completed</th><th class="num">available</th></tr></thead><tbody>${rows.join('')}</tbody></table><p class="caption">Share of completions that were ok, by the window in which they completed.</p>`;
};

const nemesisTable = (history: readonly Op[]): string => {
  const events = history.filter((op) => op.process === 'nemesis');
  if (events.length === 0) return '<p>No nemesis events: this run injected no faults.</p>';
  const shown = events.slice(0, MAX_NEMESIS_EVENTS);
  const rows = shown.map(
    (op) =>
      `<tr><td class="num">${(op.time / 1e9).toFixed(3)}</td><td>${h(op.type)}</td><td class="nowrap">${h(op.f)}</td><td class="mono">${h(previewValue(op.value, 160))}${op.error ? ` <b>error</b> ${h(previewValue(op.error, 160))}` : ''}</td></tr>`,
  );
  const more =
    events.length > shown.length ? `<p class="more">and ${events.length - shown.length} more events</p>` : '';
  return `<table class="nemesis"><thead><tr><th class="num">time s</th><th>type</th><th>f</th><th>value</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
};

/** The run's client concurrency, when the config says (it turns timeline rows into workers). */
const concurrencyOf = (config: unknown): number | undefined => {
  const c =
    typeof config === 'object' && config !== null ? (config as { concurrency?: unknown }).concurrency : undefined;
  return typeof c === 'number' ? c : undefined;
};

const configText = (config: unknown): string => {
  if (typeof config === 'string') return config;
  try {
    return toYaml(config, { lineWidth: 0 });
  } catch {
    return previewValue(config, 20_000);
  }
};

const logsList = (logs: Record<string, string>): string => {
  const entries = Object.entries(logs);
  if (entries.length === 0) return '<p>No node logs were kept.</p>';
  const items = entries.map(([node, path]) => {
    const href = relativeHref(path);
    return href === undefined
      ? `<li>${h(node)}: <span class="mono">${h(path)}</span></li>`
      : `<li><a href="${h(href)}">${h(node)}</a> <span class="mono">${h(path)}</span></li>`;
  });
  return `<ul class="logs">${items.join('')}</ul>`;
};

/** A relative path as a link target; undefined for anything with a scheme (javascript:, http:) or absolute. */
const relativeHref = (path: string): string | undefined => {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/') || path.startsWith('\\')) return undefined;
  return path.split('/').map(encodeURIComponent).join('/');
};

export const formatDuration = (ms: number): string => {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
};
