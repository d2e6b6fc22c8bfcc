/**
 * Figures for reports/index.html over generated reports folders of growing
 * size (runs = tests × nights, one campaign per night): the first write
 * (every results.json read), a rewrite with nothing changed (the cache), and
 * a rewrite after one new run — what happens after every run of a campaign.
 * Also the bootstrap interval's cost. Run: npx tsx bench/runs-index.ts
 * Each figure is the minimum of 3 runs, except the first write.
 */
import { cp, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapMeanCi } from '../src/jobs/stats.ts';
import { writeRunsIndex } from '../src/report/runs-index.ts';
import { generateReportsFolder, testName } from '../test/fixtures/reports-folder.ts';

const time = async (f: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};
const best = async (f: () => Promise<unknown>, n = 3): Promise<number> => {
  let min = Infinity;
  for (let i = 0; i < n; i++) min = Math.min(min, await time(f));
  return min;
};

console.log('runs   tests  nights  first write  rewrite (cached)  after 1 new run  index.html');
for (const [tests, nights] of [
  [20, 25],
  [50, 40],
  [100, 50],
] as const) {
  const root = await mkdtemp(join(tmpdir(), 'faultline-bench-index-'));
  try {
    const { runs } = await generateReportsFolder(root, { tests, nights });
    const first = await time(() => writeRunsIndex(root));
    const cached = await best(() => writeRunsIndex(root));
    const test = testName(0);
    const [model] = await readdir(join(root, test));
    let extra = 0;
    const oneMore = await best(async () => {
      // One more run of a test, as after each run of a campaign.
      await cp(join(root, test, model!), join(root, test, `zz-extra-${extra++}`), { recursive: true });
      await writeRunsIndex(root);
    });
    const size = (await stat(join(root, 'index.html'))).size;
    console.log(
      `${String(runs).padStart(5)}  ${String(tests).padStart(5)}  ${String(nights).padStart(6)}  ${first.toFixed(0).padStart(9)} ms  ${cached.toFixed(0).padStart(13)} ms  ${oneMore.toFixed(0).padStart(12)} ms  ${(size / 1024).toFixed(0).padStart(7)} KB`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

console.log('\nbootstrap 95% interval of a mean, 10 000 resamples');
for (const n of [5, 10, 50, 200]) {
  const xs = Array.from({ length: n }, (_, i) => (i * 37) % 23);
  const ms = await best(async () => bootstrapMeanCi(xs, { seed: 1 }), 5);
  console.log(`  ${String(n).padStart(4)} runs: ${ms.toFixed(1)} ms`);
}
