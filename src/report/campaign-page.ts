import { escapeHtml as h } from './escape.ts';
import type { CampaignResults, CampaignRun } from './job-results.ts';
import { fmt, renderPage, runReportHref, verdictBadge, verdictBox } from './page.ts';

/**
 * campaign.html: one night. The verdict, then the runs that did not pass
 * with the claims they broke and the commands that replay them, then the
 * matrix: one row per test (cluster × workload × nemesis), one cell per
 * repetition, each linking to its run's report.
 */
export const renderCampaignPage = (c: CampaignResults, options: { reportsRoot: string }): string => {
  const fails = c.runs.filter((r) => r.valid === false).length;
  const unknown = c.runs.filter((r) => r.valid === 'unknown').length;
  const why =
    fails > 0
      ? `${fails} of ${c.runs.length} runs violated a claim`
      : unknown > 0
        ? `${unknown} of ${c.runs.length} runs undecided, skipped or broken`
        : `all ${c.runs.length} runs kept their claims`;
  const body = [
    verdictBox(c.valid, why, c.interrupted),
    failingSection(c, options),
    `<section id="matrix"><h2>Matrix</h2>${matrixTable(c, options)}</section>`,
  ].join('\n');
  return renderPage({
    title: `${c.valid === true ? 'PASS' : c.valid === false ? 'FAIL' : 'UNKNOWN'} · campaign ${c.name} · faultline`,
    heading: `faultline campaign · ${c.name}`,
    meta: [
      ['id', c.id],
      ['seed', String(c.seed)],
      ['runs', `${c.runs.length} of ${c.matrixSize}`],
      ...(c.shard ? ([['shard', `${c.shard.index} of ${c.shard.count}`]] as [string, string][]) : []),
      ...(c.shards > 1 ? ([['merged from', `${c.shards} shards`]] as [string, string][]) : []),
      ['started', c.startedAt],
      ['took', `${Math.round(c.durationMs / 1000)} s`],
      ['file', c.file],
    ],
    body,
    data: c,
    home: `${options.reportsRoot}/index.html`,
  });
};

const failingSection = (c: CampaignResults, options: { reportsRoot: string }): string => {
  const failing = c.runs.filter((r) => r.valid !== true);
  if (failing.length === 0) return '';
  const rows = failing.map((r) => {
    const broken = r.claims.filter((x) => x.held === false || x.held === 'unknown');
    const what =
      r.status !== 'done'
        ? h(r.error ?? r.status)
        : broken.map((x) => `<b>${h(x.name)}</b>: ${h(x.detail)}`).join('<br>') || 'a checker found a problem';
    const link = r.dir ? `<a href="${h(runReportHref(options.reportsRoot, r.dir))}">report</a>` : '';
    return `<tr class="failing"><td>${verdictBadge(r.valid)}</td><td><b>${h(r.test)}</b><br><span class="ci">seed ${r.seed}</span></td><td>${what}</td><td>${link}</td></tr><tr><td></td><td colspan="3"><pre class="replay">${h(r.replay)}</pre></td></tr>`;
  });
  return `<section id="failing" class="replays"><h2>Runs that did not pass</h2><table class="wide"><tbody>${rows.join('')}</tbody></table></section>`;
};

const matrixTable = (c: CampaignResults, options: { reportsRoot: string }): string => {
  const byTest = new Map<string, CampaignRun[]>();
  for (const r of c.runs) byTest.set(r.test, [...(byTest.get(r.test) ?? []), r]);
  const width = Math.max(...[...byTest.values()].map((rs) => rs.length));
  const rows = c.tests.map((t) => {
    const runs = byTest.get(t.test) ?? [];
    const cells = runs.map((r) => {
      const figure = r.lost !== null ? `${r.lost} lost` : r.staleReads !== null ? `${r.staleReads} stale` : '';
      const badge = verdictBadge(r.valid);
      const inner = `${badge}<span class="figure">${h(figure)}${r.status !== 'done' ? ` ${h(r.status)}` : ''}</span>`;
      const tip = `seed ${r.seed}${r.throughput !== null ? `, ${fmt(r.throughput)} ok ops/s` : ''}`;
      return `<td title="${h(tip)}">${r.dir ? `<a href="${h(runReportHref(options.reportsRoot, r.dir))}">${inner}</a>` : inner}</td>`;
    });
    while (cells.length < width) cells.push('<td></td>');
    return `<tr class="test" data-valid="${String(t.valid)}"><td><b>${h(t.test)}</b><br><span class="ci">${h(t.cluster)} × ${h(t.workload)} × ${h(t.nemesis)}</span></td><td>${verdictBadge(t.valid)}</td><td class="num">${t.pass}/${t.runs}</td>${cells.join('')}</tr>`;
  });
  const head = `<tr><th>test</th><th>verdict</th><th class="num">passed</th>${Array.from({ length: width }, (_, i) => `<th>run ${i + 1}</th>`).join('')}</tr>`;
  return `<table class="matrix wide"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
};
