import { niceTicks, px, svgOpen } from './chart-svg.ts';
import { escapeHtml as h } from './escape.ts';
import type { CompareCluster, CompareResults, CompareRun, Interval } from './job-results.ts';
import { fmt, pct, renderPage, runReportHref, verdictBadge, verdictBox, withInterval } from './page.ts';

/**
 * compare.html: which cluster loses what under the same faults. First the
 * verdict, then a chart of lost writes per run and per cluster (each run a
 * dot, runs of the same seed joined across clusters, the mean with its 95%
 * interval), the table of figures, the paired differences, and every run
 * with a link to its report. Drawn from compare.json alone.
 */
export interface ComparePageOptions {
  /** The reports root relative to the page's folder, e.g. "../..". */
  reportsRoot: string;
}

export const renderComparePage = (r: CompareResults, options: ComparePageOptions): string => {
  const metric = chartMetric(r);
  const why = r.clusters
    .map((c) => `${c.cluster}: ${c.lost.mean === null ? verdictText(c) : `${fmt(c.lost.mean)} lost per run`}`)
    .join(' · ');
  const body = [
    verdictBox(r.valid, why, r.interrupted),
    '<section id="chart">',
    `<h2>${h(metric.title)}</h2>`,
    dotPlot(r, metric, options),
    `<p class="caption">Each dot is one run (hover for its seed; click for its report); grey lines join the runs of one seed, which saw the same operation mix and fault schedule. Bars: mean per run with its ${h(ciText(r))}.</p>`,
    '</section>',
    `<section id="figures"><h2>Per cluster</h2>${figuresTable(r)}</section>`,
    differencesSection(r),
    `<section id="runs"><h2>Runs</h2>${runsTable(r, options)}</section>`,
    replaysSection(r),
  ].join('\n');
  return renderPage({
    title: `compare · ${r.clusters.map((c) => c.cluster).join(' vs ')} · faultline`,
    heading: `faultline compare · ${r.clusters.map((c) => c.cluster).join(' vs ')}`,
    meta: [
      ['workload', r.workload],
      ['nemesis', r.nemesis],
      ['runs per cluster', String(r.seeds.length)],
      ['time limit', `${r.timeLimitMs / 1000} s`],
      ['seed', String(r.seed)],
      ['backend', r.backend],
      ['started', r.startedAt],
    ],
    body,
    data: r,
    home: `${options.reportsRoot}/index.html`,
  });
};

const verdictText = (c: CompareCluster): string =>
  c.valid === true ? 'claims held' : c.valid === false ? 'a claim was violated' : 'undecided';

const ciText = (r: CompareResults): string =>
  `${Math.round(r.ci.level * 100)}% interval (${r.ci.method.replace(/-/g, ' ')}, ${r.ci.resamples} resamples)`;

interface Metric {
  title: string;
  axis: string;
  of: (run: CompareRun) => number | null;
  mean: (c: CompareCluster) => number | null;
  ci: (c: CompareCluster) => Interval;
}

/** Lost writes when the workload measures them, else stale reads, else throughput. */
const chartMetric = (r: CompareResults): Metric => {
  if (r.clusters.some((c) => c.runs.some((x) => x.lost !== null)))
    return {
      title: 'Acknowledged writes lost, per run',
      axis: 'lost writes',
      of: (x) => x.lost,
      mean: (c) => c.lost.mean,
      ci: (c) => c.lost.ci95,
    };
  if (r.clusters.some((c) => c.runs.some((x) => x.staleReads !== null)))
    return {
      title: 'Stale reads, per run',
      axis: 'stale reads',
      of: (x) => x.staleReads,
      mean: (c) => c.staleReads.mean,
      ci: (c) => c.staleReads.ci95,
    };
  return {
    title: 'Throughput, per run',
    axis: 'ok ops/s',
    of: (x) => x.throughput,
    mean: (c) => c.throughput.mean,
    ci: (c) => c.throughput.ci95,
  };
};

const dotPlot = (r: CompareResults, m: Metric, options: ComparePageOptions): string => {
  const f = { width: 960, height: 330, left: 64, right: 16, top: 26, bottom: 40 };
  const values = r.clusters.flatMap((c) => [
    ...c.runs.map(m.of).filter((v): v is number => v !== null),
    ...(m.ci(c) ?? []),
  ]);
  const max = Math.max(1, ...values);
  const ticks = niceTicks(max, 6);
  // niceTicks stops at the last tick ≤ max: one more step so the largest value stays inside the plot.
  if (ticks.at(-1)! < max) ticks.push(Number((ticks.at(-1)! + (ticks[1] ?? max) - ticks[0]!).toPrecision(12)));
  const top = ticks.at(-1)!;
  const y = (v: number) => f.height - f.bottom - (v / top) * (f.height - f.top - f.bottom);
  const band = (f.width - f.left - f.right) / Math.max(1, r.clusters.length);
  const cx = (i: number) => f.left + band * (i + 0.5);
  const spread = Math.min(band * 0.5, 240);
  const n = r.seeds.length;
  const dx = (k: number) => (n <= 1 ? 0 : (k / (n - 1) - 0.5) * spread);
  const parts: string[] = [svgOpen(f, 'compare-chart', m.title)];
  for (const t of ticks) {
    parts.push(`<line class="grid" x1="${f.left}" x2="${f.width - f.right}" y1="${px(y(t))}" y2="${px(y(t))}"/>`);
    parts.push(`<text class="tl" x="${f.left - 6}" y="${px(y(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  parts.push(`<line class="axis" x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.height - f.bottom}"/>`);
  parts.push(`<text class="al" x="${f.left}" y="${f.top - 10}">${h(m.axis)}</text>`);
  // Runs of one seed, joined across clusters.
  for (let k = 0; k < n; k++) {
    const pts = r.clusters
      .map((c, i) => {
        const v = c.runs[k] ? m.of(c.runs[k]!) : null;
        return v === null ? null : `${px(cx(i) + dx(k))},${px(y(v))}`;
      })
      .filter((p): p is string => p !== null);
    if (pts.length > 1) parts.push(`<polyline class="pair" fill="none" points="${pts.join(' ')}"/>`);
  }
  r.clusters.forEach((c, i) => {
    const x0 = cx(i);
    parts.push(
      `<text class="tl" x="${px(x0)}" y="${f.height - f.bottom + 18}" text-anchor="middle">${h(c.cluster)}</text>`,
    );
    c.runs.forEach((run, k) => {
      const v = m.of(run);
      if (v === null) return;
      const tip = `${c.cluster}, seed ${run.seed}: ${v} ${m.axis}${run.acked !== null ? ` of ${run.acked} acknowledged` : ''}`;
      const dot = `<circle class="run-dot c${i % 6}" cx="${px(x0 + dx(k))}" cy="${px(y(v))}" r="5"><title>${h(tip)}</title></circle>`;
      parts.push(run.dir ? `<a href="${h(runReportHref(options.reportsRoot, run.dir))}">${dot}</a>` : dot);
    });
    const mean = m.mean(c);
    const ci = m.ci(c);
    if (ci) {
      const xw = px(x0 + spread / 2 + 14);
      parts.push(
        `<line class="whisker" x1="${xw}" x2="${xw}" y1="${px(y(ci[0]))}" y2="${px(y(ci[1]))}"><title>${h(`95% interval [${fmt(ci[0])}, ${fmt(ci[1])}]`)}</title></line>`,
      );
      for (const e of ci)
        parts.push(
          `<line class="whisker" x1="${px(Number(xw) - 5)}" x2="${px(Number(xw) + 5)}" y1="${px(y(e))}" y2="${px(y(e))}"/>`,
        );
    }
    if (mean !== null)
      parts.push(
        `<line class="mean" x1="${px(x0 - spread / 2 - 8)}" x2="${px(x0 + spread / 2 + 20)}" y1="${px(y(mean))}" y2="${px(y(mean))}"><title>${h(`mean ${fmt(mean)} per run`)}</title></line>`,
      );
  });
  parts.push('</svg>');
  return parts.join('');
};

const figuresTable = (r: CompareResults): string => {
  const kinds = [...new Set(r.clusters.flatMap((c) => c.perFault.map((p) => p.f)))];
  const head = [
    'cluster',
    'verdict',
    'lost / acked',
    'lost per run',
    'share lost',
    ...kinds.map((k) => `lost per ${k}`),
    'stale reads per run',
    'worst staleness',
    'linearizable',
    'ok in faults',
    'ok outside',
    'ok ops/s',
    'p50 / p99 ms',
  ];
  const rows = r.clusters.map((c) => {
    const perKind = kinds.map((k) => {
      const p = c.perFault.find((x) => x.f === k);
      return p ? `${withInterval(p.perFault.mean, p.perFault.ci95)} <span class="ci">(${p.faults} faults)</span>` : '–';
    });
    const lin = c.linearizable;
    const linText =
      lin.unchecked === c.runs.length
        ? 'not checked'
        : `${lin.valid} yes, ${lin.invalid} no${lin.unknown > 0 ? `, ${lin.unknown} unknown` : ''}`;
    const cells = [
      `<b class="nowrap">${h(c.cluster)}</b>`,
      verdictBadge(c.valid),
      c.runs.some((x) => x.lost !== null) ? `${c.lost.total} / ${c.lost.acked}` : '–',
      withInterval(c.lost.mean, c.lost.ci95),
      withInterval(c.lost.meanShare, c.lost.shareCi95, (x) => pct(x, 2)),
      ...perKind,
      withInterval(c.staleReads.mean, c.staleReads.ci95),
      c.staleReads.maxStaleMs === null ? '–' : `${fmt(c.staleReads.maxStaleMs, 0)} ms`,
      h(linText),
      withInterval(c.availability.inside.mean, c.availability.inside.ci95, (x) => pct(x)),
      withInterval(c.availability.outside.mean, c.availability.outside.ci95, (x) => pct(x)),
      withInterval(c.throughput.mean, c.throughput.ci95),
      `${fmt(c.latencyMs.p50.mean)} / ${fmt(c.latencyMs.p99.mean)}`,
    ];
    return `<tr class="cluster" data-cluster="${h(c.cluster)}">${cells.map((x, i) => `<td${i > 1 ? ' class="num"' : ''}>${x}</td>`).join('')}</tr>`;
  });
  return (
    `<table class="figures wide"><thead><tr>${head.map((x, i) => `<th${i > 1 ? ' class="num"' : ''}>${h(x)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>` +
    `<p class="caption">Means over runs with their ${h(ciText(r))}. A lost write is an acknowledged add missing from every node's final read; it is counted against the fault in place when it was acknowledged, or the next one. "ok in faults": share of completed operations that succeeded while a fault was in place.</p>`
  );
};

const METRIC_LABEL: Record<string, string> = {
  lost: 'lost writes per run',
  share: 'share of acknowledged writes lost',
  staleReads: 'stale reads per run',
  throughput: 'ok ops/s',
};

const differencesSection = (r: CompareResults): string => {
  if (r.differences.length === 0) return '';
  const rows = r.differences.map((d) => {
    const format = d.metric === 'share' ? (x: number | null) => pct(x, 2) : (x: number | null) => fmt(x);
    const sign = d.ci95 && (d.ci95[0] > 0 || d.ci95[1] < 0) ? 'yes' : 'no';
    return `<tr><td>${h(d.cluster)} − ${h(d.baseline)}</td><td>${h(METRIC_LABEL[d.metric] ?? d.metric)}</td><td class="num">${d.n}</td><td class="num">${withInterval(d.mean, d.ci95, format)}</td><td>${sign}</td></tr>`;
  });
  return (
    '<section id="differences"><h2>Paired differences</h2>' +
    `<table class="differences"><thead><tr><th>difference</th><th>of</th><th class="num">pairs</th><th class="num">mean [95% interval]</th><th>interval excludes 0</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    '<p class="caption">Each pair is two runs with the same seed; the interval is over the per-seed differences.</p></section>'
  );
};

const runsTable = (r: CompareResults, options: ComparePageOptions): string => {
  const head = `<tr><th>seed</th>${r.clusters.map((c) => `<th>${h(c.cluster)}</th>`).join('')}</tr>`;
  const rows = r.seeds.map((seed, k) => {
    const cells = r.clusters.map((c) => {
      const run = c.runs[k];
      if (!run) return '<td>–</td>';
      const figure =
        run.lost !== null
          ? `${run.lost} of ${run.acked} lost`
          : run.staleReads !== null
            ? `${run.staleReads} stale reads`
            : '';
      const error = run.error ? ` <span class="more">${h(run.error)}</span>` : '';
      const link = run.dir ? ` <a href="${h(runReportHref(options.reportsRoot, run.dir))}">report</a>` : '';
      return `<td>${verdictBadge(run.valid)} ${h(figure)}${error}${link}</td>`;
    });
    return `<tr class="run"><td class="num">${seed}</td>${cells.join('')}</tr>`;
  });
  return `<table class="runs"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
};

const replaysSection = (r: CompareResults): string => {
  const failing = r.clusters.flatMap((c) => c.runs.filter((x) => x.valid !== true));
  if (failing.length === 0) return '';
  return `<section id="replays" class="replays"><h2>Runs that did not pass</h2>${failing
    .map((x) => `<pre class="replay">${h(x.replay)}</pre>`)
    .join('')}</section>`;
};
