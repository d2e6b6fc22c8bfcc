import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeXml, jsonForScript } from '../../src/report/escape.ts';
import { MAX_ELEMENTS_SHOWN, renderRunReport } from '../../src/report/html.ts';
import type { TimeViewMeta } from '../../src/report/timeview.ts';
import { HistoryBuilder } from '../fixtures/history-builder.ts';
import { generateSetRun, HOSTILE, resultsFor } from '../fixtures/set-run.ts';

const count = (haystack: string, needle: string | RegExp): number =>
  (
    haystack.match(
      needle instanceof RegExp ? needle : new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'),
    ) ?? []
  ).length;

/** The time view's data as the page decodes it. */
const timeView = (html: string) => {
  const script = (id: string) => {
    const m = html.match(new RegExp(`<script type="[^"]+" id="${id}">([^<]*)</script>`));
    if (!m) throw new Error(`no #${id}`);
    return m[1]!;
  };
  const meta = JSON.parse(script('tv-meta')) as TimeViewMeta;
  const cols = gunzipSync(Buffer.from(script('tv-columns'), 'base64'));
  const n = meta.count;
  const buf = cols.buffer.slice(cols.byteOffset, cols.byteOffset + cols.byteLength);
  const lat = new Float32Array(buf, 4 * n, n);
  const proc = meta.procBytes === 4 ? new Uint32Array(buf, 16 * n, n) : new Uint16Array(buf, 16 * n, n);
  const metaCol = new Uint8Array(buf, (16 + meta.procBytes + 4) * n, n);
  const values = gunzipSync(Buffer.from(script('tv-values'), 'base64'))
    .toString('utf8')
    .split('\n');
  return { meta, lat, proc, outcome: Array.from(metaCol, (m) => m & 3), values };
};

const hostileReport = () => {
  const history = generateSetRun();
  const results = resultsFor(history, { test: `set ${HOSTILE}` });
  results.claims[0]!.detail = `detail ${HOSTILE} \u2028 \u2029 end`;
  const html = renderRunReport({
    results,
    history,
    config: { note: HOSTILE, nested: { list: [HOSTILE] } },
    logs: { n1: 'logs/n1.log', [`n2${HOSTILE}`]: 'logs/n 2.log', n3: 'javascript:alert(1)' },
  });
  return { history, results, html };
};

describe('escaping helpers', () => {
  it('escapes HTML markup and quotes', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('produces JSON that cannot end a script element and parses back unchanged', () => {
    const value = { s: `</script><!-- & \u2028\u2029`, n: [1, null] };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('replaces characters XML 1.0 cannot hold and escapes markup', () => {
    expect(escapeXml('a\u0000b\u001bc\ud800d\uffffe<&>"\'')).toBe(
      'a\ufffdb\ufffdc\ufffdd\ufffde&lt;&amp;&gt;&quot;&#39;',
    );
    expect(escapeXml('ok \u{1f600} \t\n')).toBe('ok \u{1f600} \t\n');
  });
});

describe('renderRunReport', () => {
  it('renders hostile values from the run as text, never as markup', () => {
    const { html } = hostileReport();
    // The only script elements are the report's own: the results JSON, the time view's data (meta,
    // columns, values), the table script and the time view script.
    const scripts = [...html.matchAll(/<script( [^>]*)?>/gi)].map((m) => m[1] ?? '');
    expect(scripts).toEqual([
      ' type="application/json" id="tv-meta"',
      ' type="application/octet-stream" id="tv-columns"',
      ' type="application/octet-stream" id="tv-values"',
      ' type="application/json" id="faultline-results"',
      '',
      '',
    ]);
    expect(count(html, /<\/script/gi)).toBe(6);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror="');
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
    // A log path with a scheme is shown, not linked; a relative one is linked, percent-encoded.
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('<a href="logs/n%202.log">');
  });

  it('embeds results as JSON that parses back to the results (the linearizable failure left to results.json)', () => {
    const { html, results } = hostileReport();
    const m = html.match(/<script type="application\/json" id="faultline-results">([^<]*)<\/script>/);
    expect(m).not.toBeNull();
    expect(m![1]).not.toMatch(/[\u2028\u2029]/);
    expect(JSON.parse(m![1]!)).toEqual(JSON.parse(JSON.stringify(results)));
  });

  it('puts the verdict first, then claims, replay, counts, attribution, set elements, the time view, nemesis, config, logs', () => {
    const { html } = hostileReport();
    const order = [
      'class="verdict fail"',
      'id="claims"',
      'id="replay"',
      'id="counts"',
      'id="attribution"',
      'id="set"',
      'id="time"',
      'id="availability"',
      'id="nemesis"',
      'id="config"',
      'id="logs"',
    ].map((s) => html.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain('>FAIL<');
    expect(html).toContain('violated: lost-writes');
  });

  it('is self-contained: no external resource of any kind', () => {
    const { html } = hostileReport();
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).toContain("default-src 'none'");
  });

  it('carries every operation to the time view, with its outcome, latency, value and the fault windows', () => {
    const { html, history } = hostileReport();
    const tv = timeView(html);
    const clientInvokes = history.filter((o) => o.type === 'invoke' && o.process !== 'nemesis').length;
    expect(tv.meta.count).toBe(clientInvokes);
    expect(tv.outcome.filter((o) => o === 1).length).toBe(history.filter((o) => o.type === 'fail').length);
    expect(tv.meta.windows.map((w) => w.f)).toEqual(['partition', 'kill']);
    expect(tv.meta.windows[1]).toMatchObject({ label: 'kill n1', startMs: 13000, endMs: 15000 });
    expect(Array.from(tv.lat).every((l) => Number.isNaN(l) || l >= 0)).toBe(true);
    // The hostile read value travels as data (set as text by the page), one line per operation.
    expect(tv.values).toHaveLength(clientInvokes);
    expect(tv.values.some((v) => v.includes('<img src=x onerror='))).toBe(true);
    expect(html).not.toContain('<img src=x');
  });

  it('attributes each lost write to its fault window and the node that acknowledged it, linked to the operation', () => {
    const { html, results, history } = hostileReport();
    const lost = (results.checkers.set as { lostElements: number[] }).lostElements[0]!;
    const table = html.slice(
      html.indexOf('data-kind="lost write"'),
      html.indexOf('</table>', html.indexOf('data-kind="lost write"')),
    );
    const add = history.find((o) => o.f === 'add' && o.type === 'ok' && o.value === lost)!;
    expect(table).toContain(`data-op="${add.index}"`);
    expect(table).toContain('before kill n1');
    expect(table).toContain(`<td>${add.node}</td>`);
  });

  it('shows the interrupted flag and the unknown verdict', () => {
    const history = generateSetRun();
    const results = resultsFor(history, { valid: 'unknown', interrupted: true });
    const html = renderRunReport({ results, history, config: 'raw: yaml', logs: {} });
    expect(html).toContain('class="verdict unknown"');
    expect(html).toContain('INTERRUPTED');
    expect(html).toContain('<pre class="config">raw: yaml</pre>');
  });

  it('lists harness incidents when the results carry them', () => {
    const history = generateSetRun();
    const results = { ...resultsFor(history), incidents: [`n2 would not restart ${HOSTILE}`] };
    const html = renderRunReport({ results, history, config: {}, logs: {} });
    expect(html).toContain('Harness incidents during the run');
    expect(html).toContain('<li>n2 would not restart &lt;/script&gt;');
  });

  it('tells the time view the concurrency, so it draws one row per worker', () => {
    const history = generateSetRun({ workers: 5 });
    const results = resultsFor(history);
    expect(timeView(renderRunReport({ results, history, config: {}, logs: {} })).meta.concurrency).toBeNull();
    const tv = timeView(renderRunReport({ results, history, config: { concurrency: 5 }, logs: {} }));
    expect(tv.meta.concurrency).toBe(5);
    expect(new Set(Array.from(tv.proc)).size).toBeGreaterThan(5);
  });

  it('caps long element lists with "and N more"', () => {
    const b = new HistoryBuilder();
    for (let i = 0; i < 600; i++) b.add(0, i);
    b.read(1, 'n1', [0]);
    const history = b.ops;
    const results = resultsFor(history);
    const html = renderRunReport({ results, history, config: {}, logs: {} });
    expect(html).toContain('Lost elements (599)');
    expect(html).toContain(`and ${599 - MAX_ELEMENTS_SHOWN} more`);
  });

  it('keeps a large history compact: every operation, shorter value previews', () => {
    const b = new HistoryBuilder();
    for (let i = 0; i < 12_000; i++) {
      b.op(i % 10, 'invoke', 'read', null).op(i % 10, i % 50 === 0 ? 'info' : 'ok', 'read', [i, i + 1], { node: 'n1' });
    }
    const history = b.ops;
    const html = renderRunReport({ results: resultsFor(history), history, config: {}, logs: {} });
    const tv = timeView(html);
    expect(tv.meta.count).toBe(12_000);
    expect(tv.outcome.filter((o) => o === 2)).toHaveLength(240);
    expect(tv.values[5]).toBe('[5,6]');
    expect(html.length).toBeLessThan(1_000_000);
  });

  it('renders an empty history without crashing', () => {
    const results = resultsFor([]);
    const html = renderRunReport({
      results,
      history: [],
      config: {},
      logs: {},
      extraSections: [{ title: 'Extra <b>', html: '<p id="x">hi</p>' }],
    });
    expect(html).toContain('No client operations');
    expect(html).toContain('No nemesis events');
    expect(html).toContain('<p id="x">hi</p>');
    expect(html).toContain('Extra &lt;b&gt;');
  });
});
