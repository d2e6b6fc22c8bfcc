import type { Command } from 'commander';
import { type CompareOptions, planCompare, summariseCompare, writeCompare } from '../jobs/compare.ts';
import { jobExitCode } from '../jobs/execute.ts';
import { parseCount } from '../jobs/options.ts';
import type { CompareResults } from '../report/job-results.ts';
import { fmt, pct } from '../report/page.ts';
import { replayLines, reportError, runJob } from './job-run.ts';

/** `faultline compare --cluster a,b --workload W --nemesis N --runs 10`. */
export const registerCompare = (program: Command, done: (code: number) => void): void => {
  program
    .command('compare')
    .description('run the same seeds (same operations, same faults) on several clusters and compare what each loses')
    .requiredOption('--cluster <presets>', 'two or more cluster presets, comma-separated')
    .option('--workload <preset>', 'workload preset (default register; set measures lost writes)')
    .option('--nemesis <preset>', 'nemesis preset (default leader-kill)')
    .option('--runs <n>', 'runs per cluster, one per seed (default 10)')
    .option('--seed <n>', 'seed the run seeds derive from (default random, printed)')
    .option('--backend <name>', 'where nodes run: local (default)')
    .option('-t, --time-limit <duration>', 'length of each run phase (default 30s)')
    .option('--nodes <n>', "number of nodes (default: each preset's)")
    .option('--concurrency <n>', 'client workers per run')
    .option('--rate <ops/s>', 'total operations per second per run')
    .option('--op-timeout <duration>', 'per-operation timeout')
    .option('--quiesce <duration>', 'quiet time after healing, before final reads')
    .option('--reports-dir <dir>', 'where run folders and compare/<id>/ are written (default ./reports)')
    .option('--parallel <n>', 'runs at once (default 1)')
    .option('--check-timeout <duration>', 'budget for the linearizability search of each run')
    .action(async (opts: CompareOptions & { parallel?: string }) => {
      done(await compareCommand(opts));
    });
};

const compareCommand = async (opts: CompareOptions & { parallel?: string }): Promise<number> => {
  const { parallel: parallelFlag, ...options } = opts;
  let plan: Awaited<ReturnType<typeof planCompare>>;
  let parallel: number;
  try {
    plan = await planCompare(options);
    parallel = parallelFlag === undefined ? 1 : parseCount(parallelFlag, '--parallel', 64);
  } catch (e) {
    return reportError(e);
  }
  console.error(
    `faultline compare ${plan.id}: ${plan.clusters.join(' vs ')} × ${plan.workload} × ${plan.nemesis}, ${plan.seeds.length} seeds from seed ${plan.seed}`,
  );
  const job = await runJob('compare', plan.runs, { parallel });
  const results = await summariseCompare(plan, job.records, job);
  const dir = await writeCompare(plan, results);
  console.log(summaryText(results).join('\n'));
  console.log(`  page: ${dir}/compare.html`);
  console.log(replayLines(job.records).join('\n'));
  return jobExitCode(job.records);
};

/** The compare in a few lines: per cluster its verdict and figures, then the paired differences. */
export const summaryText = (r: CompareResults): string[] => {
  const ci = (c: [number, number] | null, f: (x: number) => string = (x) => fmt(x)) =>
    c ? ` [${f(c[0])}, ${f(c[1])}]` : '';
  const out = [
    '',
    `compare: ${r.workload} × ${r.nemesis}, ${r.seeds.length} runs per cluster, 95% bootstrap intervals`,
  ];
  for (const c of r.clusters) {
    const verdict = c.valid === true ? 'PASS' : c.valid === false ? 'FAIL' : 'UNKNOWN';
    const figures: string[] = [];
    if (c.runs.some((x) => x.lost !== null)) {
      figures.push(`lost ${c.lost.total} of ${c.lost.acked} acknowledged`);
      figures.push(`${fmt(c.lost.mean)} per run${ci(c.lost.ci95)}`);
      figures.push(`share ${pct(c.lost.meanShare, 2)}${ci(c.lost.shareCi95, (x) => pct(x, 2))}`);
      for (const k of c.perFault) figures.push(`${fmt(k.perFault.mean)} per ${k.f}${ci(k.perFault.ci95)}`);
    }
    if (c.runs.some((x) => x.staleReads !== null))
      figures.push(`stale reads ${fmt(c.staleReads.mean)} per run${ci(c.staleReads.ci95)}`);
    if (c.linearizable.unchecked < c.runs.length)
      figures.push(`linearizable ${c.linearizable.valid}/${c.runs.length - c.linearizable.unchecked}`);
    figures.push(`${fmt(c.throughput.mean, 0)} ok ops/s`);
    out.push(`  ${verdict.padEnd(7)} ${c.cluster}: ${figures.join(', ')}`);
  }
  for (const d of r.differences.filter((x) => x.metric === 'lost' || x.metric === 'staleReads'))
    out.push(`  ${d.cluster} − ${d.baseline}: ${d.metric} ${fmt(d.mean)} per run${ci(d.ci95)} over ${d.n} pairs`);
  return out;
};
