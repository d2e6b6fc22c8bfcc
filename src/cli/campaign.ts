import type { Command } from 'commander';
import { configError } from '../base/errors.ts';
import { printable } from '../base/terminal.ts';
import {
  campaignExitCode,
  mergeCampaignDirs,
  planCampaign,
  summariseCampaign,
  writeCampaign,
} from '../jobs/campaign.ts';
import { jobExitCode } from '../jobs/execute.ts';
import { parseCount, parseSeed, parseShard } from '../jobs/options.ts';
import type { CampaignResults } from '../report/job-results.ts';
import { replayLines, reportError, runJob } from './job-run.ts';

interface CampaignFlags {
  shard?: string;
  seed?: string;
  id?: string;
  reportsDir?: string;
  parallel?: string;
}

/** `faultline campaign FILE [--shard i/n] [--seed S]` and `faultline campaign merge DIR...`. */
export const registerCampaign = (program: Command, done: (code: number) => void): void => {
  const campaign = program
    .command('campaign')
    .description('run a campaign file: a matrix of clusters × workloads × nemeses, shardable over machines')
    .argument('<file>', 'campaign YAML file (see docs/nightly.md)')
    .option('--shard <i/n>', 'run only shard i of n (1-based); merge the shards with `campaign merge`')
    .option('--seed <n>', "campaign seed the runs' seeds derive from (default: the file's)")
    .option('--id <id>', 'campaign id, the folder under campaigns/<name>/ (shards of one campaign must agree)')
    .option('--reports-dir <dir>', 'where run folders and campaigns/ are written (default ./reports)')
    .option('--parallel <n>', 'runs at once (default 1)')
    .action(async (file: string, opts: CampaignFlags) => {
      done(await campaignCommand(file, opts));
    });
  campaign
    .command('merge')
    .description("join the shards' results into one campaign.json, campaign.html and junit.xml")
    .argument('<dirs...>', "the shards' reports folders (or their campaigns/<name>/<id>/ folders)")
    .option('--reports-dir <dir>', 'reports folder to merge into; run folders are copied there (default ./reports)')
    .action(async (dirs: string[], opts: { reportsDir?: string }) => {
      // The parent's --reports-dir takes the flag when commander sees it first.
      done(await mergeCommand(dirs, { reportsDir: opts.reportsDir ?? campaign.opts<CampaignFlags>().reportsDir }));
    });
};

const campaignCommand = async (file: string, opts: CampaignFlags): Promise<number> => {
  let plan: Awaited<ReturnType<typeof planCampaign>>;
  let parallel: number;
  try {
    const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
    const seed = opts.seed === undefined ? undefined : parseSeed(opts.seed, '--seed');
    parallel = opts.parallel === undefined ? 1 : parseCount(opts.parallel, '--parallel', 64);
    plan = await planCampaign(file, {
      ...(shard ? { shard } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(opts.id !== undefined ? { id: checkId(opts.id) } : {}),
      ...(opts.reportsDir !== undefined ? { reportsDir: opts.reportsDir } : {}),
    });
  } catch (e) {
    return reportError(e);
  }
  const shardText = plan.shard ? `, shard ${plan.shard.index}/${plan.shard.count}` : '';
  console.error(
    `faultline campaign ${plan.name} ${plan.id}: ${plan.runs.length} of ${plan.matrixSize} runs${shardText}, seed ${plan.seed}`,
  );
  const job = await runJob(`campaign ${plan.name}`, plan.runs, {
    parallel,
    ...(plan.budgetMs !== null ? { budgetMs: plan.budgetMs } : {}),
  });
  const exitCode = jobExitCode(job.records);
  const results = summariseCampaign(plan, job.records, job, exitCode);
  const dir = await writeCampaign(plan.reportsDir, results);
  console.log(summaryText(results).join('\n'));
  console.log(
    plan.shard
      ? `  shard results: ${dir}/shard-${plan.shard.index}-of-${plan.shard.count}.json (join the shards with: faultline campaign merge DIR...)`
      : `  page: ${dir}/campaign.html\n  junit: ${dir}/junit.xml`,
  );
  console.log(replayLines(job.records).join('\n'));
  return exitCode;
};

const mergeCommand = async (dirs: string[], opts: { reportsDir?: string }): Promise<number> => {
  try {
    const { results, dir } = await mergeCampaignDirs(dirs, opts.reportsDir ?? 'reports');
    console.log(summaryText(results).join('\n'));
    console.log(`  page: ${dir}/campaign.html\n  junit: ${dir}/junit.xml`);
    const failing = results.runs.filter((r) => r.valid !== true);
    if (failing.length > 0) {
      console.log(`\n${failing.length} run${failing.length === 1 ? '' : 's'} did not pass; replay with:`);
      for (const r of failing) console.log(`  ${printable(r.replay)}`);
    }
    return campaignExitCode(results.runs);
  } catch (e) {
    return reportError(e);
  }
};

const checkId = (id: string): string => {
  if (!/^[A-Za-z0-9._-]+$/.test(id) || id === '.' || id === '..')
    throw configError(`expected letters, digits, ".", "_" or "-"; got ${JSON.stringify(id)}`, { path: '--id' });
  return id;
};

export const summaryText = (c: CampaignResults): string[] => {
  const count = (v: boolean | 'unknown') => c.runs.filter((r) => r.valid === v).length;
  const verdict = c.valid === true ? 'PASS' : c.valid === false ? 'FAIL' : 'UNKNOWN';
  const out = [
    '',
    `${verdict}: campaign ${c.name} ${c.id}, ${c.runs.length} runs: ${count(true)} pass, ${count(false)} fail, ${count('unknown')} unknown`,
  ];
  for (const t of c.tests) {
    const v = t.valid === true ? 'pass' : t.valid === false ? 'FAIL' : 'unknown';
    out.push(`  ${v.padEnd(7)} ${t.test}: ${t.pass}/${t.runs} passed`);
  }
  // A merged campaign comes from shard files: untrusted, like any results.json read back.
  return out.map(printable);
};
