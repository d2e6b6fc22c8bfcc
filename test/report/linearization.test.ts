import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, DescribedOperation } from '../../src/checker/linearizable/types.ts';
import { MAX_ILLEGAL_OPS } from '../../src/report/linearization/data.ts';
import {
  buildVizData,
  renderLinearizationHtml,
  renderLinearizationSection,
  type VizData,
} from '../../src/report/linearization/index.ts';
import { haveChromium, launchBrowser } from '../fixtures/browser.ts';

const EVIL = '</script><img src=x onerror="window.__pwned=1">';

const op = (id: number, clientId: number, call: number, ret: number, description: string): DescribedOperation => ({
  id,
  clientId,
  input: null,
  call,
  output: undefined,
  return: ret,
  description,
});

/**
 * A hand-made result: partition 0 (key "y") is fine; partition 1 (key "x") is
 * illegal: write(1) then a read of a hostile value that no write produced.
 */
const result = (): CheckResult => ({
  result: 'illegal',
  model: 'kv',
  opCount: 7,
  elapsedMs: 1,
  failingPartition: 1,
  partitions: [
    {
      index: 0,
      key: 'y',
      result: 'ok',
      opCount: 2,
      operations: [op(10, 0, 1_000_000, 2_000_000, 'write("y", 5)'), op(11, 1, 3_000_000, 4_000_000, 'read("y") → 5')],
      initialState: 'nil',
      linearizations: [
        {
          steps: [
            { id: 10, stateBefore: 'nil', stateAfter: '5' },
            { id: 11, stateBefore: '5', stateAfter: '5' },
          ],
        },
      ],
      longestFor: { 10: 0, 11: 0 },
    },
    {
      index: 1,
      key: 'x',
      result: 'illegal',
      opCount: 5,
      operations: [
        op(0, 0, 0, 10_000_000, 'write("x", 1)'),
        op(2, 1, 20_000_000, 30_000_000, `read("x") → ${EVIL}`),
        op(4, 2, 5_000_000, 40_000_000, 'read("x") → 1'),
        op(6, 3, 50_000_000, Number.POSITIVE_INFINITY, 'write("x", 2) → ?'),
        op(8, 0, 10_000_000, 12_000_000, 'write("x", 3)'),
      ],
      initialState: 'nil',
      linearizations: [
        {
          steps: [
            { id: 0, stateBefore: 'nil', stateAfter: '1' },
            { id: 4, stateBefore: '1', stateAfter: EVIL },
          ],
        },
        { steps: [{ id: 8, stateBefore: 'nil', stateAfter: '3' }] },
      ],
      longestFor: { 0: 0, 4: 0, 8: 1 },
      stuck: [
        { id: 2, why: 'illegal' },
        { id: 8, why: 'dead-end' },
      ],
    },
    { index: 2, key: 'z', result: 'unknown', opCount: 3 },
  ],
});

describe('buildVizData', () => {
  it('draws the illegal partition first, skips partitions without operations, warps time into slots', () => {
    const data = buildVizData({ result: result() });
    expect(data.partitions.map((p) => p.key)).toEqual(['x', 'y']);
    expect(data.omitted).toBe(1);
    const x = data.partitions[0]!;
    // Distinct finite instants: 0, 5, 10, 12, 20, 30, 40, 50 (ms) → 8 slots; ops in call order.
    expect(x.slots).toBe(8);
    expect(x.ops.map((o) => [o.id, o.start, o.end])).toEqual([
      [0, 0, 2],
      [4, 1, 6],
      [8, 2, 3],
      [2, 4, 5],
      [6, 7, 8],
    ]);
    expect(x.ops[4]!.ret).toBeNull();
    expect(x.ops[0]!.call).toBe('0.000 ms');
    expect(x.ops[0]!.ret).toBe('10.000 ms');
    expect(x.clients).toEqual([0, 1, 2, 3]);
    // Steps, longestFor and stuck refer to positions in `ops`.
    expect(x.linearizations[0]).toEqual([
      { op: 0, before: 'nil', after: '1' },
      { op: 1, before: '1', after: EVIL },
    ]);
    expect(x.longestFor).toEqual([0, 0, 1, -1, -1]);
    expect(x.stuck).toEqual([
      { op: 3, why: 'illegal' },
      { op: 2, why: 'dead-end' },
    ]);
  });

  it('places the run’s fault windows on the warped time axis, between the instants around them', () => {
    const ms = 1_000_000;
    const faults = [
      { f: 'partition', start: 11 * ms, end: 25 * ms, value: { description: `isolate n1 ${EVIL}` } },
      { f: 'kill', start: 45 * ms, end: Number.POSITIVE_INFINITY, value: { targets: ['n1'] } },
      { f: 'pause', start: 100 * ms, end: 200 * ms, value: null },
    ];
    const x = buildVizData({ result: result(), faults }).partitions[0]!;
    // Instants 0, 5, 10, 12, 20, 30, 40, 50 ms: 11 ms lies between slots 2 and 3, 25 ms between 4 and 5.
    expect(x.faults).toEqual([
      { f: 'partition', label: `partition: isolate n1 ${EVIL}`, from: 2.5, to: 4.5, before: false, after: false },
      { f: 'kill', label: 'kill n1', from: 6.5, to: 8.5, before: false, after: true },
    ]);
    expect(buildVizData({ result: result(), faults, timeUnit: 'ordinal' }).partitions[0]!.faults).toEqual([]);
  });

  it('narrows an illegal partition too long to draw to the operations around where linearization stops', () => {
    const r = result();
    const x = r.partitions[1]!;
    // 3,000 more operations before the failure, each a write of its own.
    const extra = Array.from({ length: 3000 }, (_, i) => op(100 + i, 4, -3001 + i, -3000.5 + i, `write("x", ${i})`));
    r.partitions[1] = { ...x, opCount: x.opCount + 3000, operations: [...extra, ...x.operations!] };
    const viz = buildVizData({ result: r }).partitions[0]!;
    expect(viz.ops.length).toBeLessThanOrEqual(MAX_ILLEGAL_OPS + 1);
    // The window ends with the last operations, where the stuck ones are.
    expect(viz.window!.of).toBe(3005);
    expect(viz.window!.last - viz.window!.first).toBe(MAX_ILLEGAL_OPS);
    expect(viz.window!.last).toBe(3005);
    // The stuck operations are kept, and the steps still point into the drawn operations.
    expect(viz.stuck).toHaveLength(2);
    for (const s of viz.linearizations[0]!) expect(viz.ops[s.op]).toBeDefined();
  });

  it('shows ordinal times raw and leaves out passing partitions over the op budget', () => {
    const data = buildVizData({ result: result(), timeUnit: 'ordinal', maxOps: 1 });
    expect(data.partitions.map((p) => p.key)).toEqual(['x']);
    expect(data.omitted).toBe(2);
    expect(data.partitions[0]!.ops[0]!.ret).toBe('10000000');
  });
});

/** The JSON data embedded in a rendered page. */
const embeddedData = (html: string): VizData => {
  const m = /<script type="application\/json" class="fl-lin-data">([^<]*)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!) as VizData;
};

describe('renderLinearizationHtml', () => {
  const html = renderLinearizationHtml({ result: result(), title: `History ${EVIL}` });

  it('embeds the data as JSON that parses back to exactly the built data', () => {
    expect(embeddedData(html)).toEqual(buildVizData({ result: result(), title: `History ${EVIL}` }));
  });

  it('never lets a value become markup', () => {
    expect(html).not.toContain('<img');
    expect(html).not.toContain(EVIL);
    // The hostile text is there, escaped: as \u003c in the JSON and as &lt; in the summary and title.
    expect(html).toContain('\\u003c/script\\u003e\\u003cimg src=x onerror=\\"window.__pwned=1\\"\\u003e');
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
    expect(html.match(/<\/script>/g)).toHaveLength(2); // the data and the drawing code, nothing else
  });

  it('is self-contained: no external scripts, styles, fonts or images', () => {
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link/);
    expect(html).not.toMatch(/url\(/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain('<style>');
    expect(html).toContain('Operations that could not come next');
  });

  it('lists the operations where linearization fails in the static summary', () => {
    expect(html).toContain('Partition 1 (key &quot;x&quot;): 5 operations; the longest linearization covers 2 of them');
    expect(html).toContain('process 1: <code>read(&quot;x&quot;) → &lt;/script&gt;');
    expect(html).toContain(
      'process 0: <code>write(&quot;x&quot;, 3)</code> — accepted, but nothing linearizes after it',
    );
  });
});

describe.skipIf(!haveChromium)('the page in a real browser (chromium)', () => {
  let dir: string;
  let context: BrowserContext;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-viz-'));
    context = await launchBrowser(join(dir, 'profile'), { width: 1200, height: 800 });
  });
  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const open = async (name: string, html: string) => {
    const file = join(dir, name);
    writeFileSync(file, html);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    return { page, errors, requests };
  };

  it('draws bars, the linearization path and the stuck ops; hover shows the states', async () => {
    const { page, errors, requests } = await open('one.html', renderLinearizationHtml({ result: result() }));
    expect(errors).toEqual([]);
    expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
    // Illegal partition x: 5 bars, 2 linearization points (the last one marked), 2 stuck ops.
    expect(await page.locator('g[data-op] rect.fl-lin-op').count()).toBe(5);
    expect(await page.locator('circle.fl-lin-point').count()).toBe(2);
    expect(await page.locator('circle.fl-lin-last').count()).toBe(1);
    expect(await page.locator('rect.fl-lin-stuck').count()).toBe(2);
    expect(await page.locator('rect.fl-lin-open').count()).toBe(1);
    expect(await page.locator('.fl-lin-row-label').allTextContents()).toEqual([
      'process 0',
      'process 1',
      'process 2',
      'process 3',
    ]);

    await page.locator('circle.fl-lin-point').nth(1).hover();
    const tip = page.locator('.fl-lin-tip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    const text = await tip.textContent();
    expect(text).toContain('read("x") → 1');
    expect(text).toContain('linearized at step 2 of 2');
    expect(text).toContain('state before: 1');
    expect(text).toContain(`state after: ${EVIL}`); // shown as text...
    expect(await page.locator('img').count()).toBe(0); // ...never as markup
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');

    // Hovering the illegal read says why it could not come next, and in which state.
    await page.locator('g[data-op="3"] rect').hover();
    await expect.poll(() => tip.textContent()).toContain('could not come next: the model rejects it in this state');
    expect(await tip.textContent()).toContain(`state: ${EVIL}`);
    await page.close();
  });

  it('switches linearization on click and partition with the selector', async () => {
    const { page, errors } = await open('two.html', renderLinearizationHtml({ result: result() }));
    // write("x", 3) is in the second kept linearization only: clicking it shows that one.
    await page.locator('g[data-op="2"] rect').click();
    expect(await page.locator('select.fl-lin-linearization').inputValue()).toBe('1');
    expect(await page.locator('circle.fl-lin-point').count()).toBe(1);
    expect(await page.locator('rect.fl-lin-stuck').count()).toBe(0);

    await page.locator('select.fl-lin-partition').selectOption('1');
    expect(await page.locator('g[data-op] rect').count()).toBe(2);
    expect(await page.locator('circle.fl-lin-point').count()).toBe(2);
    expect(await page.locator('circle.fl-lin-last').count()).toBe(0); // a full linearization: nothing failed
    expect(errors).toEqual([]);
    await page.close();
  });

  it('marks fault windows on the timeline, their labels as text', async () => {
    const faults = [{ f: 'partition', start: 11_000_000, end: 25_000_000, value: { description: EVIL } }];
    const { page, errors } = await open('faults.html', renderLinearizationHtml({ result: result(), faults }));
    expect(errors).toEqual([]);
    expect(await page.locator('g.fl-lin-fault').count()).toBe(1);
    expect(await page.locator('g.fl-lin-fault line.fl-lin-fault-edge').count()).toBe(2);
    expect(await page.locator('g.fl-lin-fault text').textContent()).toBe(`partition: ${EVIL}`);
    expect(await page.evaluate('document.querySelectorAll("img").length')).toBe(0);
  });

  it('draws two embedded sections on one page independently', async () => {
    const section = renderLinearizationSection({ result: result() });
    const html = `<!doctype html><html><head><meta charset="utf-8"></head><body>${section}${section}</body></html>`;
    const { page, errors } = await open('embed.html', html);
    expect(errors).toEqual([]);
    expect(await page.locator('section.fl-lin svg').count()).toBe(2);
    expect(await page.locator('circle.fl-lin-point').count()).toBe(4);
    await page.close();
  });

  it('draws a partition of hundreds of operations', async () => {
    const n = 600;
    const operations = Array.from({ length: n }, (_, i) =>
      op(i, i % 12, i * 1000, i % 50 === 7 ? Number.POSITIVE_INFINITY : i * 1000 + 5500, `write(${i})`),
    );
    const steps = operations
      .slice(0, 400)
      .map((o) => ({ id: o.id, stateBefore: String(o.id - 1), stateAfter: String(o.id) }));
    const big: CheckResult = {
      result: 'illegal',
      model: 'register',
      opCount: n,
      elapsedMs: 1,
      failingPartition: 0,
      partitions: [
        {
          index: 0,
          result: 'illegal',
          opCount: n,
          operations,
          initialState: 'nil',
          linearizations: [{ steps }],
          longestFor: Object.fromEntries(steps.map((s) => [s.id, 0])),
          stuck: [{ id: 400, why: 'illegal' }],
        },
      ],
    };
    const { page, errors } = await open('big.html', renderLinearizationHtml({ result: big }));
    expect(errors).toEqual([]);
    expect(await page.locator('g[data-op] rect').count()).toBe(n);
    expect(await page.locator('circle.fl-lin-point').count()).toBe(400);
    // Linearization points go left to right.
    const xs = await page
      .locator('circle.fl-lin-point')
      .evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('cx'))));
    expect(xs.every((x, i) => i === 0 || x > xs[i - 1]!)).toBe(true);
    // The drawing is wider than the view: it opens scrolled to where the linearization stops.
    const scroll = page.locator('.fl-lin-scroll');
    const [scrollLeft, clientWidth] = await scroll.evaluate((e) => [e.scrollLeft, e.clientWidth]);
    expect(scrollLeft).toBeGreaterThan(0);
    expect(Math.abs(xs[xs.length - 1]! - scrollLeft - clientWidth! / 2)).toBeLessThan(2);
    await page.close();
  });
});
