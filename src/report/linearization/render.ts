import { readFileSync } from 'node:fs';
import { escapeHtml, jsonForScript } from '../escape.ts';
import { buildVizData, type LinearizationVizInput, type VizData } from './data.ts';

/**
 * The failure visualization as HTML: one section (embeddable in the run
 * report) or a whole self-contained page. The drawing code and styles are
 * the asset files next to this one (viz.js, viz.css), inlined at render time
 * as porcupine embeds its assets, so the page needs no network. The data goes
 * in as JSON in a `<script type="application/json">`; the page script reads
 * it and sets every value as text, never as markup.
 */

const assets = new Map<string, string>();
const asset = (name: 'viz.css' | 'viz.js'): string => {
  let text = assets.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
    assets.set(name, text);
  }
  return text;
};

const VERDICT: Record<VizData['result'], string> = {
  ok: 'linearizable',
  illegal: 'not linearizable',
  unknown: 'unknown',
};

const MAX_LISTED = 20;

/** Long states (a whole key-value map) are cut in the summary; the drawing shows them in full on hover. */
const clip = (s: string, max = 300): string => (s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`);

/** A static, escaped summary: readable without script, and what text-only tools see. */
const summaryHtml = (data: VizData): string => {
  const lines: string[] = [];
  const reason = data.reason ? ` (${data.reason})` : '';
  lines.push(
    `<p class="fl-lin-verdict fl-lin-${data.result}">${escapeHtml(VERDICT[data.result])}${escapeHtml(reason)} · model ${escapeHtml(data.model)}</p>`,
  );
  const failing = data.partitions.find((p) => p.result === 'illegal');
  if (failing) {
    const lin = failing.linearizations[0] ?? [];
    const where = failing.key === null ? '' : ` (key ${escapeHtml(JSON.stringify(failing.key))})`;
    const impossible = failing.precheck === null ? undefined : failing.ops[failing.stuck[0]?.op ?? -1];
    if (impossible) {
      lines.push(
        `<p>Partition ${failing.index}${where}: ${failing.opCount} operations; one of them no reachable state accepts (found by the model's pre-check, without a search): process ${impossible.client}: <code>${escapeHtml(clip(impossible.desc))}</code> — ${escapeHtml(clip(failing.precheck!))}</p>`,
      );
      return lines.join('\n');
    }
    const state = clip(lin.length > 0 ? lin[lin.length - 1]!.after : failing.initialState);
    lines.push(
      `<p>Partition ${failing.index}${where}: ${failing.opCount} operations; ${failing.window ? `the drawing shows the ${failing.window.last - failing.window.first} around where the longest linearization stops, in state` : `the longest linearization covers ${lin.length} of them and stops in state`} <code>${escapeHtml(state)}</code>. Operations that could not come next:</p>`,
    );
    lines.push('<ul class="fl-lin-stuck-list">');
    for (const s of failing.stuck.slice(0, MAX_LISTED)) {
      const op = failing.ops[s.op]!;
      const why = s.why === 'illegal' ? 'the model rejects it there' : 'accepted, but nothing linearizes after it';
      lines.push(`<li>process ${op.client}: <code>${escapeHtml(clip(op.desc))}</code> — ${why}</li>`);
    }
    if (failing.stuck.length > MAX_LISTED) lines.push(`<li>and ${failing.stuck.length - MAX_LISTED} more</li>`);
    lines.push('</ul>');
  }
  return lines.join('\n');
};

let sectionCounter = 0;

/** An HTML fragment (one `<section>`, with its style and script) for embedding in another page. */
export const renderLinearizationSection = (input: LinearizationVizInput): string => {
  const data = buildVizData(input);
  const id = `fl-lin-${++sectionCounter}`;
  return [
    `<section class="fl-lin" id="${id}">`,
    `<style>${asset('viz.css').replace(/<\/(style)/gi, '<\\/$1')}</style>`,
    input.heading === false ? '' : `<h2 class="fl-lin-title">${escapeHtml(data.title)}</h2>`,
    `<div class="fl-lin-summary">${summaryHtml(data)}</div>`,
    `<script type="application/json" class="fl-lin-data">${jsonForScript(data)}</script>`,
    '<div class="fl-lin-root"><noscript>The drawing needs JavaScript.</noscript></div>',
    `<script>${asset('viz.js').replace(/<\/(script)/gi, '<\\/$1')}</script>`,
    '</section>',
  ].join('\n');
};

/** A whole self-contained HTML page (no network, no external fonts or scripts). */
export const renderLinearizationHtml = (input: LinearizationVizInput): string => {
  const title = input.title ?? `Linearizability: ${input.result.model}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '</head>',
    '<body class="fl-lin-page">',
    renderLinearizationSection(input),
    '</body>',
    '</html>',
    '',
  ].join('\n');
};
