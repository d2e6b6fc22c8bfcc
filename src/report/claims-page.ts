import { columnTitle } from './claims-markdown.ts';
import { escapeHtml as h } from './escape.ts';
import type { CellStatus, ClaimCell, ClaimsMatrix } from './job-results.ts';
import { pct, renderPage, runReportHref, verdictBadge, verdictBox } from './page.ts';

/**
 * claims.html: the textbook's table of topologies, measured. One row per
 * cluster preset, one column per claim; each cell says whether the claim
 * held, was violated, or is allowed by the topology and measured, with its
 * figure, and links to the run that shows it best.
 */
const BADGE: Record<CellStatus, [string, string]> = {
  held: ['held', 'held'],
  violated: ['violated', 'VIOLATED'],
  allowed: ['allowed', 'allowed'],
  unknown: ['unknown', 'unknown'],
  untested: ['untested', 'untested'],
  'not-claimed': ['not-claimed', 'not claimed'],
};

export const renderClaimsPage = (m: ClaimsMatrix, options: { reportsRoot: string }): string => {
  const claims = m.columns.filter((c) => c !== 'availability');
  const violated = m.rows.flatMap((r) =>
    r.cells.filter((c) => c.status === 'violated').map((c) => `${r.cluster} ${c.claim}`),
  );
  const why =
    violated.length > 0 ? `violated: ${violated.join(', ')}` : `${m.rows.length} presets kept every claim they make`;
  const cell = (c: ClaimCell): string => {
    const [cls, word] = BADGE[c.status];
    const tip = c.runs
      .map((r) => `${r.workload} × ${r.nemesis} seed ${r.seed}: ${r.detail || String(r.held)}`)
      .join('\n');
    const figure = c.figure ? `<span class="figure">${h(c.figure)}</span>` : '';
    const link = c.shownBy ? ` <a href="${h(runReportHref(options.reportsRoot, c.shownBy))}">run</a>` : '';
    return `<td class="cell ${cls}" data-claim="${h(c.claim)}" data-status="${c.status}" title="${h(tip)}"><span class="badge ${cls}">${word}</span>${link}${figure}</td>`;
  };
  const rows = m.rows.map(
    (r) =>
      `<tr class="preset" data-cluster="${h(r.cluster)}"><td><b>${h(r.cluster)}</b><br><span class="ci">${h(r.description)}</span></td>${claims
        .map((c) => cell(r.cells.find((x) => x.claim === c)!))
        .join(
          '',
        )}<td class="num">${pct(r.availability.inside, 0)} <span class="ci">in faults</span><br>${pct(r.availability.outside, 0)} <span class="ci">outside</span></td></tr>`,
  );
  const table = `<table class="matrix wide"><thead><tr><th>preset</th>${claims.map((c) => `<th>${h(columnTitle(c))}</th>`).join('')}<th class="num">${h(columnTitle('availability'))}</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const runs = m.rows
    .map((r) => {
      const items = r.runs.map((x) => {
        const link = x.dir ? `<a href="${h(runReportHref(options.reportsRoot, x.dir))}">report</a>` : h(x.error ?? '');
        return `<tr><td>${h(x.workload)} × ${h(x.nemesis)}</td><td class="num">${x.seed}</td><td>${verdictBadge(x.valid)}</td><td>${link}</td></tr>`;
      });
      return `<details><summary><b>${h(r.cluster)}</b>: ${r.runs.length} runs</summary><table><thead><tr><th>workload × nemesis</th><th class="num">seed</th><th>verdict</th><th></th></tr></thead><tbody>${items.join('')}</tbody></table></details>`;
    })
    .join('');
  const body = [
    verdictBox(m.valid, why, m.interrupted),
    `<section id="matrix"><h2>Claims, measured</h2>${table}<p class="caption"><b>held</b>: the preset claims it and no run broke it; <b>VIOLATED</b>: a run broke it (the link opens that run); <b>allowed</b>: the topology does not claim it, and the figure is what the runs measured; <b>untested</b>: claimed, but no run could judge it here. Figures are sums over the runs that measured the claim.</p></section>`,
    `<section id="runs"><h2>Runs</h2>${runs}</section>`,
  ].join('\n');
  return renderPage({
    title: `claims · ${m.rows.length} presets · faultline`,
    heading: 'faultline claims',
    meta: [
      ['presets', String(m.rows.length)],
      ['seeds per probe', String(m.seeds.length)],
      ['time limit', `${m.timeLimitMs / 1000} s`],
      ['backend', m.backend],
      ['started', m.startedAt],
    ],
    body,
    data: m,
    home: `${options.reportsRoot}/index.html`,
  });
};
