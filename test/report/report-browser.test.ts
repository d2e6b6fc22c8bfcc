import { mkdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/base/ts-node.ts';
import { renderRunReport } from '../../src/report/html.ts';
import { writeRunReport } from '../../src/report/write.ts';
import { bigRegisterHistory } from '../fixtures/big-history.ts';
import { haveChromium, launchBrowser } from '../fixtures/browser.ts';
import { analysedResults } from '../fixtures/report-for.ts';
import { generateSetRun, HOSTILE, resultsFor } from '../fixtures/set-run.ts';

/**
 * The report in a real browser (Debian's chromium, driven by playwright-core):
 * it renders, the time view draws and answers zoom, hover, filters and links
 * driven by the test, hostile values stay text, no script from the data runs,
 * and it makes no network request. Screenshots are kept in test-output/
 * (git-ignored). Code that runs in the page is passed as strings: the repo's
 * TypeScript lib has no DOM types.
 */
const SHOTS = packagePath('test-output/screenshots');

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
  blocked: string[];
  dialogs: string[];
}

describe.skipIf(!haveChromium)('run report in chromium', () => {
  let work: string;
  let context: BrowserContext;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'faultline-report-browser-'));
    mkdirSync(SHOTS, { recursive: true });
    context = await launchBrowser(join(work, 'profile'), { width: 1200, height: 900 });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      return route.abort();
    });
  });

  afterAll(async () => {
    await context?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Opens a report file, collecting console errors, page errors, requests and dialogs. */
  const open = async (file: string): Promise<Opened> => {
    const page = await context.newPage();
    const o: Opened = { page, errors: [], requests: [], blocked: [], dialogs: [] };
    page.on('console', (m) => {
      if (m.type() === 'error') o.errors.push(m.text());
    });
    page.on('pageerror', (e) => o.errors.push(String(e)));
    page.on('request', (r) => {
      o.requests.push(r.url());
      if (!r.url().startsWith('file:')) o.blocked.push(r.url());
    });
    page.on('dialog', (d) => {
      o.dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.evaluate('window.faultlineTimeView.ready');
    return o;
  };

  describe('a set run with faults and hostile values', () => {
    let o: Opened;
    let junitXml: string;
    let hostileRead: number;
    beforeAll(async () => {
      const dir = join(work, 'set');
      await mkdir(join(dir, 'logs'), { recursive: true });
      await writeFile(join(dir, 'logs', 'n1.log'), 'n1 started\n');
      const history = generateSetRun({ workers: 6, opsPerWorker: 50 });
      hostileRead = history.find((op) => op.type === 'ok' && JSON.stringify(op.value).includes('onerror'))!.index;
      const results = resultsFor(history);
      results.claims[1]!.detail = `node said ${HOSTILE}`;
      const written = await writeRunReport(dir, {
        results,
        history,
        config: { concurrency: 6, workload: { name: 'set', note: HOSTILE } },
        logs: { n1: 'logs/n1.log' },
      });
      junitXml = await readFile(written.junit, 'utf8');
      o = await open(written.html);
    });

    it('shows the verdict first, big and coloured', async () => {
      const verdict = o.page.locator('#verdict');
      await expect(verdict.locator('.word').textContent()).resolves.toBe('FAIL');
      expect((await verdict.boundingBox())!.y).toBeLessThan(200);
      const bg = await o.page.evaluate('getComputedStyle(document.getElementById("verdict")).backgroundColor');
      expect(bg).toBe('rgb(214, 69, 69)');
    });

    it('draws the three time panels with fault windows, without errors', async () => {
      expect(o.errors).toEqual([]);
      expect(await o.page.locator('#tv canvas').count()).toBe(3);
      // Each canvas has ink: some pixel is neither white nor transparent.
      const inked = await o.page.evaluate(`[...document.querySelectorAll('#tv canvas')].map((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let colored = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 200 || d[i + 2] < 200)) colored++;
        return colored;
      })`);
      for (const n of inked as number[]) expect(n).toBeGreaterThan(200);
      const windows = await o.page.locator('.tv-faults button').allTextContents();
      expect(windows).toEqual([`${`partition: isolate n1 ${HOSTILE}`.slice(0, 79)}…`, 'kill n1']);
      await o.page.locator('#time').screenshot({ path: join(SHOTS, 'set-run-time-view.png') });
    });

    it('zooms into a fault window, by drag, and back', async () => {
      const { page } = o;
      const whole = (await page.evaluate('window.faultlineTimeView.visible()')) as number;
      await page.locator('.tv-faults button', { hasText: 'kill n1' }).click();
      const state = (await page.evaluate('({...window.faultlineTimeView.state})')) as { x0: number; x1: number };
      expect(state.x0).toBeGreaterThan(12_000);
      expect(state.x1).toBeLessThan(16_000);
      expect(await page.locator('.tv-range').textContent()).toMatch(/^showing 1[23]\.\d{3} s – 1[56]\.\d{3} s$/);
      expect((await page.evaluate('window.faultlineTimeView.visible()')) as number).toBeLessThan(whole);

      // Drag across the latency panel: the range narrows to what was selected.
      await page.locator('.tv-reset').click();
      const box = (await page.locator('canvas[data-panel="latency"]').boundingBox())!;
      const y = box.y + box.height / 2;
      await page.mouse.move(box.x + 200, y);
      await page.mouse.down();
      await page.mouse.move(box.x + 300, y, { steps: 5 });
      await page.mouse.up();
      const dragged = (await page.evaluate('({...window.faultlineTimeView.state})')) as { x0: number; x1: number };
      const end = (await page.evaluate('JSON.parse(document.getElementById("tv-meta").textContent).endMs')) as number;
      const plotW = box.width - 64 - 16;
      expect(dragged.x0).toBeCloseTo(((200 - 64) / plotW) * end, -2);
      expect(dragged.x1).toBeCloseTo(((300 - 64) / plotW) * end, -2);
      await page.locator('#time').screenshot({ path: join(SHOTS, 'set-run-zoomed.png') });
      await page.mouse.dblclick(box.x + 400, y);
      expect(await page.evaluate('window.faultlineTimeView.state.x0')).toBe(0);
    });

    it('filters by outcome, worker and function', async () => {
      const { page } = o;
      const visible = () => page.evaluate('window.faultlineTimeView.visible()') as Promise<number>;
      const all = await visible();
      await page.locator('input[data-outcome="ok"]').uncheck();
      const notOk = await visible();
      expect(notOk).toBeGreaterThan(0);
      expect(notOk).toBeLessThan(all / 2);
      await page.locator('input[data-outcome="ok"]').check();
      await page.locator('select[data-filter="proc"]').selectOption('0');
      expect(await visible()).toBeLessThan(all / 3);
      await page.locator('select[data-filter="proc"]').selectOption('');
      await page.locator('select[data-filter="f"]').selectOption({ label: 'read' });
      const reads = await visible();
      expect(reads).toBeGreaterThan(0);
      expect(reads).toBeLessThan(all);
      await page.locator('select[data-filter="f"]').selectOption({ label: 'all' });
      expect(await visible()).toBe(all);
    });

    it('follows an attribution link to the operation, and hovering it shows it whole, hostile text as text', async () => {
      const { page } = o;
      const link = page.locator('table[data-kind="lost write"] a[data-op]').first();
      const index = Number(await link.getAttribute('data-op'));
      await page.evaluate("document.querySelectorAll('details.attribution').forEach((d) => { d.open = true; })");
      await link.click();
      expect(await page.evaluate('window.faultlineTimeView.state.highlight')).toBeGreaterThanOrEqual(0);
      expect(await page.locator('.tv-pinned').textContent()).toContain(`operation ${index}`);
      const at = (await page.evaluate(`window.faultlineTimeView.pointOf(${index})`)) as { x: number; y: number };
      await page.mouse.move(at.x, at.y);
      const tip = page.locator('.tv-tip');
      await tip.waitFor({ state: 'visible', timeout: 5000 });
      const text = await tip.textContent();
      expect(text).toMatch(/^add ok/);
      expect(text).toContain(`→ ${index}`);
      await page.screenshot({ path: join(SHOTS, 'set-run-hover.png') });
    });

    it('hovering the read that returned a hostile value shows it whole, as text', async () => {
      const { page } = o;
      expect(await page.evaluate(`window.faultlineTimeView.focusOp(${hostileRead})`)).toBe(true);
      const at = (await page.evaluate(`window.faultlineTimeView.pointOf(${hostileRead})`)) as { x: number; y: number };
      await page.mouse.move(at.x, at.y);
      const tip = page.locator('.tv-tip');
      await tip.waitFor({ state: 'visible', timeout: 5000 });
      expect(await tip.textContent()).toContain(`value ${JSON.stringify([HOSTILE])}`);
      expect(await page.locator('.tv-pinned').textContent()).toContain('<img src=x onerror=');
      expect(await page.evaluate('document.querySelectorAll("img").length')).toBe(0);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
    });

    it('sorts an attribution table by a column', async () => {
      const { page } = o;
      await page.evaluate("document.querySelectorAll('details.attribution').forEach((d) => { d.open = true; })");
      const table = page.locator('table[data-kind="lost write"]');
      expect(await table.locator('tbody tr').count()).toBeGreaterThan(0);
      await table.locator('th[data-sort="opIndex"]').click();
      await table.locator('th[data-sort="opIndex"]').click();
      expect(await table.locator('th[data-sort="opIndex"]').getAttribute('data-dir')).toBe('desc');
    });

    it('shows hostile values as text and runs no script from the data', async () => {
      const { page } = o;
      const detail = await page.locator('table.claims tr.claim').nth(1).locator('td').nth(3).textContent();
      expect(detail).toBe(`node said ${HOSTILE}`);
      expect(await page.locator('ul.malformed li').first().textContent()).toContain('<img src=x onerror=');
      expect(await page.locator('pre.config').textContent()).toContain(HOSTILE);
      expect(await page.evaluate('document.querySelectorAll("img").length')).toBe(0);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      expect(o.dialogs).toEqual([]);
      expect(o.errors).toEqual([]);
    });

    it('makes no network request', () => {
      expect(o.blocked).toEqual([]);
      expect(o.requests.every((u) => u.startsWith('file:'))).toBe(true);
    });

    it('writes JUnit that a browser XML parser accepts', async () => {
      const parsed = await o.page.evaluate(`(() => {
        const doc = new DOMParser().parseFromString(${JSON.stringify(junitXml)}, 'application/xml');
        return {
          errors: doc.getElementsByTagName('parsererror').length,
          testcases: doc.getElementsByTagName('testcase').length,
          failures: doc.getElementsByTagName('failure').length,
        };
      })()`);
      expect(parsed).toEqual({ errors: 0, testcases: 5, failures: 2 });
    });
  });

  it('draws 100,000 operations with staleness charts and the bound, session attribution, no console error', async () => {
    const history = bigRegisterHistory({ ops: 100_000, seed: 5 });
    const results = await analysedResults(history, ['staleness', 'session', 'perf'], {
      staleReads: { maxMs: 20, quantile: 0.99, visibility: { afterMs: 100, atLeast: 0.99 } },
      readYourWrites: true,
    });
    // A hostile value on an error string and in a claim detail.
    results.claims[0]!.detail += ` ${HOSTILE}`;
    const file = join(work, 'big.html');
    await writeFile(file, renderRunReport({ results, history, config: { concurrency: 10 }, logs: {} }));
    const o = await open(file);
    const firstDrawMs = (await o.page.evaluate('window.faultlineTimeView.firstDrawMs')) as number;
    console.log(
      `100,000 operations: first draw of the time view ${Math.round(firstDrawMs)} ms after the script started`,
    );
    expect(o.errors).toEqual([]);
    expect(await o.page.evaluate('window.faultlineTimeView.visible()')).toBe(100_000);
    // uPlot drew both staleness charts, the bound among their series.
    expect(await o.page.locator('#staleness-distribution canvas').count()).toBe(1);
    expect(await o.page.locator('#staleness-visibility canvas').count()).toBe(1);
    expect(await o.page.locator('#staleness .u-legend').allTextContents()).toEqual([
      expect.stringContaining('bound: p99 ≤ 20 ms'),
      expect.stringContaining('bound: ≥ 0.99 after 100 ms'),
    ]);
    expect(await o.page.locator('tr.bound').count()).toBe(2);
    expect(await o.page.locator('table[data-kind="read-your-writes"] tbody tr').count()).toBeGreaterThan(0);
    expect(await o.page.evaluate('document.querySelectorAll("img").length')).toBe(0);
    await o.page.locator('#staleness').screenshot({ path: join(SHOTS, 'big-staleness.png') });
    await o.page.locator('#time').screenshot({ path: join(SHOTS, 'big-time-view.png') });
    // Zoom in to one window: still drawn, fewer operations.
    await o.page.locator('.tv-faults button').first().click();
    expect((await o.page.evaluate('window.faultlineTimeView.visible()')) as number).toBeLessThan(100_000);
    await o.page.close();
  }, 120_000);
});
