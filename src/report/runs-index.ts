import { randomBytes } from 'node:crypto';
import { access, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inlineStyle, readAsset } from './assets.ts';
import { escapeHtml as h } from './escape.ts';

/**
 * reports/index.html: every run under `reports/<test>/<timestamp>/`, newest
 * first. A folder without a readable results.json (a run still going, a
 * crashed one, stray files) is skipped, never an error.
 */

export interface RunIndexEntry {
  test: string;
  /** The run folder's name. */
  timestamp: string;
  /** Path of the run folder relative to the reports root, with "/" separators. */
  dir: string;
  startedAt: string;
  valid: true | false | 'unknown';
  interrupted: boolean;
  seed: number | undefined;
  cluster: string;
  workload: string;
  nemesis: string;
  lost: number | undefined;
  acked: number | undefined;
  hasReport: boolean;
}

/** Reads every run's results.json under reportsRoot. */
export const listRuns = async (reportsRoot: string): Promise<RunIndexEntry[]> => {
  const entries: RunIndexEntry[] = [];
  for (const test of await subdirs(reportsRoot)) {
    for (const timestamp of await subdirs(join(reportsRoot, test))) {
      const dir = join(reportsRoot, test, timestamp);
      const results = await readResults(join(dir, 'results.json'));
      if (results === undefined) continue;
      const set = asRecord(asRecord(results.checkers)?.set);
      entries.push({
        test: str(results.test) ?? test,
        timestamp,
        dir: `${test}/${timestamp}`,
        startedAt: str(results.startedAt) ?? timestamp,
        valid: results.valid as RunIndexEntry['valid'],
        interrupted: results.interrupted === true,
        seed: typeof results.seed === 'number' ? results.seed : undefined,
        cluster: str(results.cluster) ?? '',
        workload: str(results.workload) ?? '',
        nemesis: str(results.nemesis) ?? '',
        lost: typeof set?.lost === 'number' ? set.lost : undefined,
        acked: typeof set?.acked === 'number' ? set.acked : undefined,
        hasReport: await exists(join(dir, 'report.html')),
      });
    }
  }
  return entries.sort((a, b) => sortKey(b) - sortKey(a) || b.dir.localeCompare(a.dir));
};

/** Marks an index.html as faultline's: only such a file is ever replaced. */
export const INDEX_MARK = 'faultline runs index';

/** Whether `file` is missing or an index that faultline wrote (and may therefore replace). */
export const isOwnIndex = async (file: string): Promise<boolean> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return !(await exists(file)); // missing: ours to create; unreadable: not ours
  }
  return text.includes(`<meta name="generator" content="${INDEX_MARK}">`);
};

/**
 * Scans reportsRoot and writes reportsRoot/index.html (atomically: a reader
 * never sees half a file) — unless an index.html is there that faultline did
 * not write (a run folder copied next to a user's own page): that is left
 * alone and `false` returned.
 */
export const writeRunsIndex = async (reportsRoot: string): Promise<boolean> => {
  const target = join(reportsRoot, 'index.html');
  if (!(await isOwnIndex(target))) return false;
  const html = renderRunsIndex(await listRuns(reportsRoot));
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, html);
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
  return true;
};

export const renderRunsIndex = (runs: readonly RunIndexEntry[]): string => {
  const count = (v: RunIndexEntry['valid']) => runs.filter((r) => r.valid === v).length;
  const rows = runs.map((r) => {
    const word = r.valid === true ? 'PASS' : r.valid === false ? 'FAIL' : 'UNKNOWN';
    const cls = r.valid === true ? 'held' : r.valid === false ? 'violated' : 'unknown';
    const href = `${r.dir.split('/').map(encodeURIComponent).join('/')}/report.html`;
    const link = r.hasReport ? `<a href="${h(href)}">report</a>` : '<span class="more">no report yet</span>';
    const lost = r.lost === undefined ? '–' : `${r.lost}${r.acked === undefined ? '' : ` / ${r.acked}`}`;
    return (
      `<tr class="run"><td class="mono">${h(r.startedAt)}</td><td><b>${h(r.test)}</b></td>` +
      `<td>${h(r.cluster)} / ${h(r.workload)} / ${h(r.nemesis)}</td><td class="num">${r.seed ?? '–'}</td>` +
      `<td><span class="badge ${cls}">${word}</span>${r.interrupted ? ' <span class="more">interrupted</span>' : ''}</td>` +
      `<td class="num">${lost}</td><td>${link}</td></tr>`
    );
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="generator" content="${INDEX_MARK}">`,
    '<title>faultline runs</title>',
    `<style>${inlineStyle(readAsset('report.css'))}</style>`,
    '</head><body>',
    '<h1>faultline runs</h1>',
    `<p class="meta">${runs.length} runs: ${count(true)} pass, ${count(false)} fail, ${count('unknown')} unknown</p>`,
    runs.length === 0
      ? '<p>No finished runs yet.</p>'
      : '<table class="runs"><thead><tr><th>started</th><th>test</th><th>cluster / workload / nemesis</th><th class="num">seed</th><th>verdict</th><th class="num">lost / acked</th><th></th></tr></thead>' +
        `<tbody>${rows.join('')}</tbody></table>`,
    '</body></html>',
    '',
  ].join('\n');
};

const subdirs = async (dir: string): Promise<string[]> => {
  try {
    const items = await readdir(dir, { withFileTypes: true });
    return items.filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
};

/** results.json as an object with a valid verdict, or undefined for anything unreadable. */
const readResults = async (file: string): Promise<Record<string, unknown> | undefined> => {
  try {
    const v = asRecord(JSON.parse(await readFile(file, 'utf8')));
    if (v === undefined || !(v.valid === true || v.valid === false || v.valid === 'unknown')) return undefined;
    return v;
  } catch {
    return undefined;
  }
};

const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const sortKey = (r: RunIndexEntry): number => {
  const t = Date.parse(r.startedAt);
  return Number.isNaN(t) ? 0 : t;
};

const exists = async (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );
