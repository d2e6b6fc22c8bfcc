import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  type ClaimsOptions,
  checkMarkdownTarget,
  claimsCommand,
  planClaims,
  summariseClaims,
  writeClaims,
} from '../jobs/claims-matrix.ts';
import { jobExitCode } from '../jobs/execute.ts';
import { parseCount, splitList } from '../jobs/options.ts';
import { columnTitle } from '../report/claims-markdown.ts';
import type { ClaimsMatrix } from '../report/job-results.ts';
import { replayLines, reportError, runJob } from './job-run.ts';

type ClaimsFlags = ClaimsOptions & { parallel?: string; markdown?: string };

/** `faultline claims [--cluster a,b] [--system replica] [--markdown FILE]`. */
export const registerClaims = (program: Command, done: (code: number) => void): void => {
  program
    .command('claims')
    .description('run every cluster preset against the claims it declares and write the claims matrix')
    .option('--cluster <presets>', 'only these presets, comma-separated (default: every preset this machine can run)')
    .option('--system <name>', 'only presets of this system, e.g. replica')
    .option('--seeds <n>', 'runs per preset, workload and nemesis (default 3)')
    .option('--seed <n>', 'seed the run seeds derive from (default 1, so the matrix reproduces)')
    .option('--backend <name>', 'where nodes run: local (default)')
    .option('-t, --time-limit <duration>', 'length of each run phase (default 30s)')
    .option('--concurrency <n>', 'client workers per run')
    .option('--rate <ops/s>', 'total operations per second per run')
    .option('--op-timeout <duration>', 'per-operation timeout')
    .option('--quiesce <duration>', 'quiet time after healing, before final reads')
    .option('--reports-dir <dir>', 'where run folders and claims/<id>/ are written (default ./reports)')
    .option(
      '--markdown <file>',
      'also write the table into FILE, between its claims-table markers (e.g. docs/topologies.md)',
    )
    .option('--parallel <n>', 'runs at once (default 1)')
    .option('--check-timeout <duration>', 'budget for the linearizability search of each run')
    .action(async (opts: ClaimsFlags) => {
      done(await claimsCommandLine(opts));
    });
};

const claimsCommandLine = async (opts: ClaimsFlags): Promise<number> => {
  const { parallel: parallelFlag, markdown, ...options } = opts;
  let plan: Awaited<ReturnType<typeof planClaims>>;
  let parallel: number;
  try {
    parallel = parallelFlag === undefined ? 1 : parseCount(parallelFlag, '--parallel', 64);
    if (markdown !== undefined) await checkMarkdownTarget(resolve(markdown));
    plan = await planClaims(options);
  } catch (e) {
    return reportError(e);
  }
  for (const s of plan.skipped) console.error(`skipping ${s.cluster}: ${s.reason}`);
  for (const p of plan.presets)
    for (const u of p.unavailable)
      console.error(
        `${p.cluster}: cannot run ${u.probe.workload} × ${u.probe.nemesis} here (${u.reason}); its claims stay untested`,
      );
  console.error(
    `faultline claims ${plan.id}: ${plan.presets.length} presets, ${plan.runs.length} runs (${plan.seeds.length} seed${plan.seeds.length === 1 ? '' : 's'} per workload and nemesis)`,
  );
  const job = await runJob('claims', plan.runs, { parallel });
  const matrix = summariseClaims(plan, job.records, job);
  const command = claimsCommand({
    ...(options.system ? { system: options.system } : {}),
    cluster: splitList(options.cluster),
    seeds: plan.seeds.length,
    timeLimitMs: plan.timeLimitMs,
    seed: plan.seed,
  });
  const dir = await writeClaims(plan, matrix, { ...(markdown ? { markdown: resolve(markdown) } : {}), command });
  console.log(summaryText(matrix).join('\n'));
  console.log(`  page: ${dir}/claims.html`);
  if (markdown) console.log(`  table written into ${markdown}`);
  console.log(replayLines(job.records).join('\n'));
  return jobExitCode(job.records);
};

export const summaryText = (m: ClaimsMatrix): string[] => {
  const out = [''];
  for (const r of m.rows) {
    const cells = r.cells
      .filter((c) => c.status !== 'not-claimed')
      .map(
        (c) =>
          `${columnTitle(c.claim)} ${c.status === 'violated' ? 'VIOLATED' : c.status}${c.figure ? ` (${c.figure})` : ''}`,
      );
    out.push(
      `  ${r.valid === true ? 'PASS' : r.valid === false ? 'FAIL' : 'UNKNOWN'}  ${r.cluster}: ${cells.join('; ')}`,
    );
  }
  return out;
};
