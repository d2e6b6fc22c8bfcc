import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeXml, jsonForScript } from '../../src/report/escape.ts';
import { MAX_ELEMENTS_SHOWN, renderRunReport } from '../../src/report/html.ts';
import { MAX_LATENCY_POINTS } from '../../src/report/plots.ts';
import { MAX_TIMELINE_BARS } from '../../src/report/timeline.ts';
import { HistoryBuilder } from '../fixtures/history-builder.ts';
import { generateSetRun, HOSTILE, resultsFor } from '../fixtures/set-run.ts';

const count = (haystack: string, needle: string | RegExp): number =>
  (
    haystack.match(
      needle instanceof RegExp ? needle : new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'),
    ) ?? []
  ).length;

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
    // The only script elements are the report's own: the results JSON and the tooltip script.
    expect(count(html, /<script/gi)).toBe(2);
    expect(count(html, /<\/script/gi)).toBe(2);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror="');
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
    // A log path with a scheme is shown, not linked; a relative one is linked, percent-encoded.
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('<a href="logs/n%202.log">');
  });

  it('embeds results as JSON that parses back to the results', () => {
    const { html, results } = hostileReport();
    const m = html.match(/<script type="application\/json" id="faultline-results">([^<]*)<\/script>/);
    expect(m).not.toBeNull();
    expect(m![1]).not.toMatch(/[\u2028\u2029]/);
    expect(JSON.parse(m![1]!)).toEqual(JSON.parse(JSON.stringify(results)));
  });

  it('puts the verdict first, then claims, replay, counts, set elements, plots, timeline, nemesis, config, logs', () => {
    const { html } = hostileReport();
    const order = [
      'class="verdict fail"',
      'id="claims"',
      'id="replay"',
      'id="counts"',
      'id="set"',
      'id="latency"',
      'id="throughput"',
      'id="timeline"',
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

  it('draws a point per completed op and shades each fault window in the latency plot', () => {
    const { html, history } = hostileReport();
    const latency = html.slice(
      html.indexOf('<svg class="plot latency"'),
      html.indexOf('</svg>', html.indexOf('<svg class="plot latency"')),
    );
    const completed = history.filter((o) => o.type !== 'invoke' && o.process !== 'nemesis').length;
    expect(count(latency, '<circle class="pt')).toBe(completed);
    expect(count(latency, '<circle class="pt fail"')).toBe(history.filter((o) => o.type === 'fail').length);
    expect(count(latency, '<g class="fault fault-partition"')).toBe(1);
    expect(count(latency, '<g class="fault fault-kill"')).toBe(1);
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

  it('draws one timeline row per process, or per worker when the config gives the concurrency', () => {
    const history = generateSetRun({ workers: 5 });
    const results = resultsFor(history);
    const timeline = (html: string) =>
      html.slice(html.indexOf('<svg class="plot timeline"'), html.indexOf('id="nemesis"'));
    const perProcess = timeline(renderRunReport({ results, history, config: {}, logs: {} }));
    const processes = new Set(history.filter((o) => o.process !== 'nemesis').map((o) => o.process)).size;
    expect(processes).toBeGreaterThan(5);
    expect(count(perProcess, /text-anchor="end">p\d+</g)).toBe(processes);
    const perWorker = timeline(renderRunReport({ results, history, config: { concurrency: 5 }, logs: {} }));
    expect(count(perWorker, /text-anchor="end">w\d+</g)).toBe(5);
    expect(perWorker).toContain('one row per worker: process mod 5');
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

  it('samples the latency plot and aggregates the timeline for large histories, and says so', () => {
    const b = new HistoryBuilder();
    for (let i = 0; i < 12_000; i++) {
      b.op(i % 10, 'invoke', 'read', null).op(i % 10, i % 50 === 0 ? 'info' : 'ok', 'read', [], { node: 'n1' });
    }
    const history = b.ops;
    const html = renderRunReport({ results: resultsFor(history), history, config: {}, logs: {} });
    expect(count(html, '<circle class="pt')).toBe(MAX_LATENCY_POINTS);
    expect(count(html, '<circle class="pt info"')).toBe(240); // every info op kept
    expect(html).toContain('sampled evenly from 12000');
    expect(count(html, '<rect class="op agg')).toBeLessThan(MAX_TIMELINE_BARS);
    expect(html).toContain('aggregated per pixel');
    expect(html.length).toBeLessThan(4_000_000);
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
