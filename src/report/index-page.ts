import { readAsset } from './assets.ts';
import { px } from './chart-svg.ts';
import { escapeHtml as h } from './escape.ts';
import { fmt, renderPage, verdictBadge, verdictClass, verdictWord } from './page.ts';
import type { RunIndexEntry } from './runs-index.ts';
import type { JobPage, TestTrend, TrendPoint } from './trends.ts';

/**
 * The morning view (reports/index.html) and the per-test run lists
 * (reports/<test>/index.html). First the claims that held before and fail
 * now; then every test — its latest verdict and its trend over the last
 * nights (verdicts, lost writes, stale reads, throughput) — with filters by
 * cluster, workload, nemesis and verdict; then the latest campaigns,
 * compares and claims matrices; then the most recent runs.
 */
/** Marks a page as faultline's runs index: only such a file is ever replaced (see isOwnIndex). */
export const INDEX_MARK = 'faultline runs index';
export const TREND_POINTS = 30;
export const RECENT_RUNS = 200;
const RECENT_JOBS = 20;

export interface RunsIndexInput {
  entries: readonly RunIndexEntry[];
  trends: readonly TestTrend[];
  jobs: readonly JobPage[];
}

/** A test's page of all its runs, relative to the reports root. */
export const testPagePath = (test: string): string => `tests/${test}.html`;

const href = (dir: string, file: string): string => `${dir.split('/').map(encodeURIComponent).join('/')}/${file}`;

export const renderRunsIndex = ({ entries, trends, jobs }: RunsIndexInput): string => {
  const count = (v: RunIndexEntry['valid']) => entries.filter((r) => r.valid === v).length;
  const latest = (v: RunIndexEntry['valid']) => trends.filter((t) => t.latest.valid === v).length;
  const body =
    entries.length === 0 && jobs.length === 0
      ? '<p>No finished runs yet.</p>'
      : [
          regressionsBox(trends),
          filters(trends),
          `<section id="tests"><h2>Tests</h2>${testsTable(trends)}</section>`,
          jobsSection(jobs),
          `<section id="recent"><h2>Recent runs</h2>${recentRuns(entries)}</section>`,
        ].join('\n');
  return renderPage({
    title: `${trends.some((t) => t.regressions.length > 0) ? 'REGRESSION · ' : ''}faultline runs`,
    heading: 'faultline runs',
    body:
      `<p class="meta" id="summary">${entries.length} runs: ${count(true)} pass, ${count(false)} fail, ${count('unknown')} unknown · ` +
      `${trends.length} tests, latest: ${latest(true)} pass, ${latest(false)} fail, ${latest('unknown')} unknown</p>\n${body}`,
    script: readAsset('index.js'),
    generator: INDEX_MARK,
  });
};

const regressionsBox = (trends: readonly TestTrend[]): string => {
  const items = trends.flatMap((t) =>
    t.regressions.map(
      (r) =>
        `<li class="regression" data-test="${h(t.dir)}" data-claim="${h(r.claim)}"><b>${h(t.test)}</b>: <b>${h(r.claim)}</b> held at ${h(r.since.label)} (${h(day(r.since.startedAt))}), fails at ${h(r.now.label)} (${h(day(r.now.startedAt))})` +
        `${r.detail ? ` — ${h(r.detail)}` : ''} · <a href="${h(href(r.now.dir, 'report.html'))}">report</a>` +
        `${r.now.campaignHref ? ` · <a href="${h(r.now.campaignHref)}">campaign</a>` : ''}</li>`,
    ),
  );
  if (items.length === 0) return '';
  return `<section class="regressions" id="regressions"><h2>Held before, failing now (${items.length})</h2><ul>${items.join('')}</ul></section>`;
};

const filters = (trends: readonly TestTrend[]): string => {
  const select = (name: string, label: string, values: string[]) =>
    `<label>${h(label)}<select name="${name}"><option value="">all</option>${[...new Set(values)]
      .sort()
      .map((v) => `<option value="${h(v)}">${h(v)}</option>`)
      .join('')}</select></label>`;
  return (
    '<div class="filters" id="filters">' +
    select(
      'cluster',
      'cluster',
      trends.map((t) => t.cluster),
    ) +
    select(
      'workload',
      'workload',
      trends.map((t) => t.workload),
    ) +
    select(
      'nemesis',
      'nemesis',
      trends.map((t) => t.nemesis),
    ) +
    '<label>verdict<select name="verdict"><option value="">all</option><option value="fail">FAIL</option><option value="unknown">UNKNOWN</option><option value="pass">PASS</option><option value="regression">held before, failing now</option></select></label>' +
    '<label>test<input name="q" type="search" placeholder="name contains"></label>' +
    '<span class="ci" id="shown"></span></div>'
  );
};

const rowData = (t: { cluster: string; workload: string; nemesis: string }, valid: RunIndexEntry['valid']) =>
  `data-cluster="${h(t.cluster)}" data-workload="${h(t.workload)}" data-nemesis="${h(t.nemesis)}" data-verdict="${verdictClass(valid)}"`;

const testsTable = (trends: readonly TestTrend[]): string => {
  if (trends.length === 0) return '<p>No finished runs yet.</p>';
  const rows = trends.map((t) => {
    const pts = t.points.slice(-TREND_POINTS);
    const last = pts.at(-1)!;
    const lostText = last.lost === null ? '–' : `${last.lost}${last.acked === null ? '' : ` / ${last.acked}`}`;
    return (
      `<tr class="test" ${rowData(t, t.latest.valid)} data-regression="${t.regressions.length > 0}" data-name="${h(t.test.toLowerCase())}">` +
      `<td><b>${h(t.test)}</b><br><span class="ci">${h(t.cluster)} × ${h(t.workload)} × ${h(t.nemesis)}</span></td>` +
      `<td>${verdictBadge(t.latest.valid)}${t.regressions.length > 0 ? ' <span class="badge violated">NEW</span>' : ''}<br><span class="ci">${h(day(t.latest.startedAt))}</span>${t.latest.hasReport ? ` <a href="${h(href(t.latest.dir, 'report.html'))}">report</a>` : ''}</td>` +
      `<td>${verdictStrip(pts)}</td>` +
      `<td class="num nowrap">${lineSpark(pts, (p) => p.lost, 'lost writes')} ${h(lostText)}</td>` +
      `<td class="num nowrap">${lineSpark(pts, (p) => p.staleReads, 'stale reads')} ${fmt(last.staleReads)}</td>` +
      `<td class="num nowrap">${lineSpark(pts, (p) => p.throughput, 'ok ops/s')} ${fmt(last.throughput, 0)}</td>` +
      `<td class="num"><a href="${h(`tests/${encodeURIComponent(t.dir)}.html`)}">${t.runs}</a></td></tr>`
    );
  });
  return (
    '<table class="tests wide"><thead><tr><th>test</th><th>latest</th><th>verdicts</th><th class="num">lost writes (latest: lost / acked)</th><th class="num">stale reads</th><th class="num">ok ops/s</th><th class="num">runs</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>` +
    `<p class="caption">Trends show up to the last ${TREND_POINTS} nights, oldest left: a night is one campaign, or one run outside campaigns. Figures are summed over a night's runs (throughput averaged).</p>`
  );
};

const pointTip = (p: TrendPoint): string => {
  const failing = Object.entries(p.claims)
    .filter(([, v]) => v === false)
    .map(([k]) => k);
  return [
    `${p.label} · ${p.startedAt}`,
    `${verdictWord(p.valid)}, ${p.runs} run${p.runs === 1 ? '' : 's'}`,
    ...(failing.length > 0 ? [`violated: ${failing.join(', ')}`] : []),
    ...(p.lost !== null ? [`lost writes ${p.lost}${p.acked !== null ? ` of ${p.acked}` : ''}`] : []),
    ...(p.staleReads !== null ? [`stale reads ${p.staleReads}`] : []),
    ...(p.throughput !== null ? [`${fmt(p.throughput, 0)} ok ops/s`] : []),
  ].join('\n');
};

/** One square per night, coloured by verdict, each linking to that night's latest run. */
const verdictStrip = (pts: readonly TrendPoint[]): string => {
  const w = 9;
  const squares = pts.map(
    (p, i) =>
      `<a href="${h(href(p.dir, 'report.html'))}"><rect class="${verdictClass(p.valid)}" x="${i * w}" y="2" width="${w - 2}" height="14"><title>${h(pointTip(p))}</title></rect></a>`,
  );
  return `<svg class="spark verdicts" width="${Math.max(1, pts.length) * w}" height="18" viewBox="0 0 ${Math.max(1, pts.length) * w} 18" role="img" aria-label="verdicts per night" xmlns="http://www.w3.org/2000/svg">${squares.join('')}</svg>`;
};

/** A small line of one figure per night; nights that did not measure it leave a gap. */
const lineSpark = (pts: readonly TrendPoint[], of: (p: TrendPoint) => number | null, label: string): string => {
  const values = pts.map(of);
  if (values.every((v) => v === null)) return '';
  const width = 110;
  const height = 22;
  const max = Math.max(1e-9, ...values.filter((v): v is number => v !== null));
  const x = (i: number) => (pts.length <= 1 ? width / 2 : 2 + (i / (pts.length - 1)) * (width - 4));
  const y = (v: number) => height - 3 - (v / max) * (height - 6);
  const segments: string[][] = [[]];
  values.forEach((v, i) => {
    if (v === null) segments.push([]);
    else segments.at(-1)!.push(`${px(x(i))},${px(y(v))}`);
  });
  const lines = segments
    .filter((s) => s.length > 1)
    .map((s) => `<polyline class="line" points="${s.join(' ')}"/>`)
    .join('');
  const dots = values
    .map((v, i) =>
      v === null
        ? ''
        : `<circle class="dot" cx="${px(x(i))}" cy="${px(y(v))}" r="${i === values.length - 1 ? 2.5 : 1.5}"><title>${h(`${pts[i]!.label}: ${fmt(v)} ${label}`)}</title></circle>`,
    )
    .join('');
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${h(label)} per night" xmlns="http://www.w3.org/2000/svg">${lines}${dots}</svg>`;
};

const jobsSection = (jobs: readonly JobPage[]): string => {
  const kinds: [JobPage['kind'], string][] = [
    ['campaign', 'Campaigns'],
    ['compare', 'Compares'],
    ['claims', 'Claims matrices'],
  ];
  const parts = kinds.flatMap(([kind, title]) => {
    const list = jobs
      .filter((j) => j.kind === kind)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
      .slice(0, RECENT_JOBS);
    if (list.length === 0) return [];
    const items = list.map(
      (j) =>
        `<li>${verdictBadge(j.valid)} ${j.href ? `<a href="${h(j.href.split('/').map(encodeURIComponent).join('/'))}">${h(j.title)}</a>` : `${h(j.title)} <span class="more">(shard; not merged yet)</span>`} <span class="ci">${h(j.startedAt)}</span></li>`,
    );
    return [`<h3>${h(title)}</h3><ul class="jobs ${kind}">${items.join('')}</ul>`];
  });
  return parts.length === 0 ? '' : `<section id="jobs"><h2>Jobs</h2>${parts.join('')}</section>`;
};

const runRow = (r: RunIndexEntry, base = ''): string => {
  const link = r.hasReport
    ? `<a href="${h(base + href(r.dir, 'report.html'))}">report</a>`
    : '<span class="more">no report yet</span>';
  const lost = r.lost === undefined ? '–' : `${r.lost}${r.acked === undefined ? '' : ` / ${r.acked}`}`;
  const failing = r.claims.filter((c) => c.held === false).map((c) => c.name);
  return (
    `<tr class="run" ${rowData(r, r.valid)} data-name="${h(r.test.toLowerCase())}"><td class="mono">${h(r.startedAt)}</td><td><b>${h(r.test)}</b></td>` +
    `<td>${h(r.cluster)} / ${h(r.workload)} / ${h(r.nemesis)}</td><td class="num">${r.seed ?? '–'}</td>` +
    `<td>${verdictBadge(r.valid)}${r.interrupted ? ' <span class="more">interrupted</span>' : ''}${failing.length > 0 ? ` <span class="ci">${h(failing.join(', '))}</span>` : ''}</td>` +
    `<td class="num">${lost}</td><td>${link}</td></tr>`
  );
};

const RUNS_HEAD =
  '<thead><tr><th>started</th><th>test</th><th>cluster / workload / nemesis</th><th class="num">seed</th><th>verdict</th><th class="num">lost / acked</th><th></th></tr></thead>';

const recentRuns = (entries: readonly RunIndexEntry[]): string => {
  const shown = entries.slice(0, RECENT_RUNS);
  const more =
    entries.length > shown.length
      ? `<p class="caption">The latest ${shown.length} of ${entries.length} runs; each test's page lists all of its runs.</p>`
      : '';
  return `<table class="runs wide">${RUNS_HEAD}<tbody>${shown.map((r) => runRow(r)).join('')}</tbody></table>${more}`;
};

/** reports/tests/<test>.html: every run of one test, newest first. */
export const renderTestPage = (t: TestTrend, runs: readonly RunIndexEntry[]): string =>
  renderPage({
    title: `${t.test} · faultline runs`,
    heading: `faultline · ${t.test}`,
    meta: [
      ['cluster', t.cluster],
      ['workload', t.workload],
      ['nemesis', t.nemesis],
      ['runs', String(runs.length)],
    ],
    generator: INDEX_MARK,
    home: '../index.html',
    body: `<table class="runs wide">${RUNS_HEAD}<tbody>${runs.map((r) => runRow(r, '../')).join('')}</tbody></table>`,
  });

const day = (iso: string): string => iso.slice(0, 16).replace('T', ' ');
