import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRunReport } from '../../src/report/write.ts';
import { haveChromium, launchBrowser } from '../fixtures/browser.ts';
import { generateSetRun, HOSTILE, resultsFor } from '../fixtures/set-run.ts';

/**
 * The report in a real browser (Debian's chromium, driven by playwright-core):
 * it renders, its plots have points and shaded fault windows, hostile values
 * stay text, no script from the data runs, and it makes no network request.
 * Code that runs in the page is passed as strings: the repo's TypeScript lib
 * has no DOM types, and these few lines do not need them.
 */

describe.skipIf(!haveChromium)('run report in chromium', () => {
  let work: string;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  let reportUrl: string;
  let junitXml: string;
  const requests: string[] = [];
  const blocked: string[] = [];
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'faultline-report-browser-'));
    profile = await mkdtemp(join(tmpdir(), 'faultline-chromium-profile-'));
    const history = generateSetRun({ workers: 6, opsPerWorker: 50 });
    const results = resultsFor(history);
    results.claims[1]!.detail = `node said ${HOSTILE}`;
    await mkdir(join(work, 'logs'));
    await writeFile(join(work, 'logs', 'n1.log'), 'n1 started\n');
    const written = await writeRunReport(work, {
      results,
      history,
      config: { workload: { name: 'set', note: HOSTILE } },
      logs: { n1: 'logs/n1.log' },
    });
    reportUrl = pathToFileURL(written.html).href;
    junitXml = await readFile(written.junit, 'utf8');

    context = await launchBrowser(profile, { width: 1200, height: 900 });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(reportUrl, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('shows the verdict first, big and coloured', async () => {
    const verdict = page.locator('#verdict');
    await expect(verdict.locator('.word').textContent()).resolves.toBe('FAIL');
    expect(await verdict.isVisible()).toBe(true);
    const box = await verdict.boundingBox();
    expect(box!.y).toBeLessThan(200);
    const bg = await page.evaluate('getComputedStyle(document.getElementById("verdict")).backgroundColor');
    expect(bg).toBe('rgb(214, 69, 69)');
  });

  it('draws latency points and shaded, labelled fault windows', async () => {
    expect(await page.locator('svg.latency circle.pt').count()).toBeGreaterThan(200);
    const faults = page.locator('svg.latency g.fault rect');
    expect(await faults.count()).toBe(2);
    for (const rect of await faults.all()) {
      const b = await rect.boundingBox();
      expect(b!.width).toBeGreaterThan(20);
      expect(b!.height).toBeGreaterThan(100);
    }
    const labels = await page.locator('svg.latency g.fault text').allTextContents();
    expect(labels[0]).toContain('partition: isolate n1');
    expect(labels[1]).toBe('kill n1');
    expect(await page.locator('svg.throughput g.fault rect').count()).toBe(2);
    expect(await page.locator('svg.throughput rect.ok').count()).toBeGreaterThan(10);
    expect(await page.locator('svg.timeline rect.op').count()).toBeGreaterThan(200);
  });

  it('shows hostile values as text and runs no script from the data', async () => {
    const detail = await page.locator('table.claims tr.claim').nth(1).locator('td').nth(3).textContent();
    expect(detail).toBe(`node said ${HOSTILE}`);
    expect(await page.locator('ul.malformed li').first().textContent()).toContain('<img src=x onerror=');
    expect(await page.locator('pre.config').textContent()).toContain(HOSTILE);
    expect(await page.evaluate('document.querySelectorAll("img").length')).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    const results = (await page.evaluate('JSON.parse(document.getElementById("faultline-results").textContent)')) as {
      claims: { detail: string }[];
    };
    expect(results.claims[1]!.detail).toBe(`node said ${HOSTILE}`);
  });

  it('makes no network request', async () => {
    await page.mouse.move(10, 10);
    expect(blocked).toEqual([]);
    expect(requests).toEqual([reportUrl]);
  });

  it('shows a tooltip with the operation on hover', async () => {
    const point = page.locator('svg.latency circle.pt.fail').first();
    await point.scrollIntoViewIfNeeded();
    await point.hover({ force: true });
    const tip = page.locator('.tip');
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    expect(await tip.textContent()).toMatch(/^add fail [\d.]+ ms at [\d.]+ s, process \d+/);
  });

  it('writes JUnit that a browser XML parser accepts', async () => {
    const parsed = await page.evaluate(`(() => {
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
