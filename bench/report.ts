/**
 * npx tsx bench/report.ts — the report and checkers at a million operations.
 *
 * For synthetic 1,000,000-operation histories (test/fixtures/big-history.ts:
 * a register run with a lagging follower, the same run without the lag (a
 * linearizable history, so the check searches every partition to the end
 * instead of stopping at the first illegal one), and a set run with final
 * reads),
 * prints side by side:
 *   - the time for all checkers of the register workload (linearizable,
 *     staleness, perf) and of the set workload (set, perf), plus the
 *     session and split-brain checkers on the register history;
 *   - the time to render report.html and its size;
 *   - the time until chromium shows the page with the time view drawn
 *     (navigation start → first draw of the time axis), and the first
 *     draw itself.
 * Targets (issue 10): checkers under 5 s, report under 30 MB, first draw in
 * chromium under 5 s.
 *
 * Options: --sizes 100000,1000000 (operations), --browser (default on; --no-browser skips chromium).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { CheckerResult } from '../src/checker/checker.ts';
import { type CheckerName, type CheckerResults, runCheckers } from '../src/checker/index.ts';
import type { Op } from '../src/history/op.ts';
import { renderRunReport } from '../src/report/html.ts';
import type { RunResults } from '../src/report/results.ts';
import { evaluateClaims, runVerdict } from '../src/run/claims.ts';
import type { Claims } from '../src/run/config.ts';
import { bigRegisterHistory, bigSetHistory } from '../test/fixtures/big-history.ts';
import { CHROMIUM, launchBrowser } from '../test/fixtures/browser.ts';

// The checkers run in the CLI's process, which bin/faultline.mjs's second line starts with node
// flags (a larger young generation: at a million operations scavenges otherwise take a third
// of the time). Measure under the same flags: run again with them when this process lacks them.
const cliFlags = (
  /exec node ((?:--\S+ )*)"\$0"/.exec(
    readFileSync(fileURLToPath(new URL('../bin/faultline.mjs', import.meta.url)), 'utf8'),
  )?.[1] ?? ''
)
  .split(' ')
  .filter((f) => f.startsWith('--'));
// --expose-gc: the generator's garbage (a few GB for a million operations) is collected before
// the checkers are timed, as a run's would have been over its minutes; it is not theirs to pay.
const benchFlags = [...cliFlags, '--expose-gc'];
if (benchFlags.some((f) => !process.execArgv.includes(f))) {
  const again = spawnSync(process.execPath, [...benchFlags, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(again.status ?? 1);
}
console.log(`node flags as the CLI's: ${cliFlags.join(' ') || '(none)'}`);

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    'no-browser': { type: 'boolean', default: false },
  },
});
const sizes = args.sizes.split(',').map(Number);
const nodes = ['n1', 'n2', 'n3'];

/** CPU time of this process, ms: on a shared machine it moves far less with the load than wall time. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Times checkers as a run does (`runCheckers`: linearizability on a worker
 * thread while the calling thread runs the others). Wall and CPU time of the
 * whole, and each checker's time from its start until its result was in.
 */
const timeCheckers = async (history: readonly Op[], names: readonly CheckerName[]) => {
  const ms: Record<string, number> = {};
  const t0 = performance.now();
  const c0 = cpuMs();
  const results = await runCheckers(names, history, { nodes, timeoutMs: 120_000 }, (name, took) => {
    ms[name] = took;
  });
  return { results, ms, wallMs: performance.now() - t0, cpuMs: cpuMs() - c0 };
};

const resultsOf = (checkers: CheckerResults, claims: Claims, workload: string): RunResults => {
  const judged = evaluateClaims(claims, checkers);
  return {
    valid: runVerdict(judged),
    test: `bench-${workload}`,
    runId: 'bench',
    seed: 1,
    startedAt: new Date(0).toISOString(),
    durationMs: 1,
    interrupted: false,
    cluster: 'single-leader-async',
    workload,
    nemesis: 'mixed',
    backend: 'local',
    nodes,
    claims: judged,
    checkers,
    replay: 'npx faultline run',
  };
};

const drawInChromium = async (file: string, profile: string): Promise<{ loadMs: number; drawMs: number } | null> => {
  if (args['no-browser'] || !existsSync(CHROMIUM)) return null;
  const context = await launchBrowser(profile, { width: 1200, height: 900 });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 120_000 });
    await page.evaluate('window.faultlineTimeView.ready');
    if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
    const { since, draw } = (await page.evaluate(
      '({ since: window.faultlineTimeView.sinceNavigationMs, draw: window.faultlineTimeView.firstDrawMs })',
    )) as { since: number; draw: number };
    return { loadMs: since, drawMs: draw };
  } finally {
    await context.close();
  }
};

const work = mkdtempSync(join(tmpdir(), 'faultline-bench-report-'));
const rows: string[][] = [];
const fmt = (ms: number) => (ms / 1000).toFixed(2);
try {
  for (const n of sizes) {
    for (const variant of ['register', 'register, no lag', 'set'] as const) {
      const workload = variant === 'set' ? 'set' : 'register';
      // 'register' fails linearizability on every key (a lagging follower), so its check ends at the
      // first illegal partition; 'register, no lag' is linearizable: every partition searched to the end.
      const history =
        variant === 'set'
          ? bigSetHistory({ ops: n, readShare: 0.0002 })
          : bigRegisterHistory({ ops: n, followerLagMs: variant === 'register' ? 50 : 0 });
      // The workload's checkers, timed together as a run runs them; then the session and split-brain
      // checkers on the same history, for their figures.
      const names: CheckerName[] = workload === 'register' ? ['linearizable', 'staleness', 'perf'] : ['set', 'perf'];
      const more: CheckerName[] = workload === 'register' ? ['session', 'split-brain'] : [];
      (globalThis as { gc?: () => void }).gc?.();
      const timed = await timeCheckers(history, names);
      const extra = await timeCheckers(history, more);
      const results = { ...timed.results, ...extra.results } as CheckerResults;
      const ms = { ...timed.ms, ...extra.ms };
      const checkersMs = timed.wallMs;
      const checkersCpu = timed.cpuMs;
      const claims: Claims =
        workload === 'register'
          ? { linearizable: false, staleReads: { maxMs: 20, quantile: 0.99 }, readYourWrites: false }
          : { lostWrites: 'allowed', convergence: true };
      const t0 = performance.now();
      const c0 = cpuMs();
      const html = renderRunReport({
        results: resultsOf(results, claims, workload),
        history,
        config: { concurrency: 10 },
        logs: {},
      });
      const renderMs = performance.now() - t0;
      const renderCpu = cpuMs() - c0;
      const slug = `${variant.replace(/\W+/g, '-')}-${n}`;
      const file = join(work, `${slug}.html`);
      writeFileSync(file, html);
      const draw = await drawInChromium(file, join(work, `profile-${slug}`));
      const lin = results.linearizable as { valid?: unknown } | undefined;
      rows.push([
        String(n),
        variant,
        `${fmt(checkersMs)} (cpu ${fmt(checkersCpu)})`,
        [...names, ...more].map((c) => `${c} ${fmt(ms[c]!)}`).join(', ') +
          (lin ? ` (linearizable: ${String(lin.valid)})` : ''),
        `${fmt(renderMs)} (cpu ${fmt(renderCpu)})`,
        (Buffer.byteLength(html) / 1e6).toFixed(1),
        draw ? fmt(draw.loadMs) : '-',
        draw ? fmt(draw.drawMs) : '-',
      ]);
      console.log(rows.at(-1)!.join(' | '));
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log();
console.log(
  'ops | workload | its checkers s (cpu) | each checker s | render s (cpu) | report MB | chromium: to first draw s | of which drawing s',
);
console.log(
  `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores: wall times grow with it, cpu times far less`,
);
for (const r of rows) console.log(r.join(' | '));
console.log('targets: checkers < 5 s, report < 30 MB, first draw < 5 s (at 1,000,000 operations)');
