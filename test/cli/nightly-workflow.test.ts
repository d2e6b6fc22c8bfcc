import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packagePath } from '../../src/base/ts-node.ts';
import { BIN, tempReports } from '../e2e/helpers.ts';

/**
 * A dry run of the GitHub Actions workflow in docs/nightly.md: the workflow
 * is parsed from the doc, checked for what a nightly needs (a schedule,
 * sharded jobs, reports kept as artifacts, JUnit published, a failing claim
 * failing the job), and every faultline command of it is run as the jobs
 * would run them — each shard in its own folder, the artifacts passed by
 * copying — against a tiny campaign of the same name, one cluster of which
 * breaks a claim.
 */
interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string;
  if?: string;
  strategy?: { matrix: { shard: number[] }; 'fail-fast'?: boolean };
  steps: Step[];
}
interface Workflow {
  on: { schedule: { cron: string }[] };
  jobs: { shard: Job; report: Job };
}

const workflowFromDoc = (): Workflow => {
  const doc = readFileSync(packagePath('docs/nightly.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const text = blocks.find((b) => b.includes('\njobs:'));
  if (!text) throw new Error('no workflow in docs/nightly.md');
  return parse(text) as Workflow;
};

const TINY = `name: nightly
timeLimit: 3s
quiesce: 1s
rate: 200
runs: 2
clusters: [single-leader-sync, ./strict-async.yaml]
workloads: [register]
nemeses: [none]
`;
const STRICT_ASYNC = `name: strict-async
system: replica
nodes: 3
options: { topology: single-leader, replication: async, replicationDelayMs: 1000, reads: any }
claims: { staleReads: none }
`;

// Followers a second behind: nearly every follower read after a write is stale, so the claim fails for sure.
/** A step's shell command as the runner would run it here: GitHub expressions filled in, our CLI for npx. */
const command = (run: string, vars: Record<string, string>, campaign: string): string =>
  run
    .replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => {
      const v = vars[name];
      if (v === undefined) throw new Error(`no value for \${{ ${name} }}`);
      return v;
    })
    .replace(/npx faultline/g, `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`)
    .replace('campaigns/nightly.yaml', campaign);

const bash = (cmd: string, cwd: string) =>
  execa('bash', ['-c', cmd], { cwd, reject: false, all: true, env: { FORCE_COLOR: '0' } });

describe('the nightly workflow in docs/nightly.md', () => {
  it('is scheduled, sharded, keeps its reports, publishes JUnit and fails on a failing claim', () => {
    const w = workflowFromDoc();
    expect(w.on.schedule[0]!.cron).toMatch(/^\S+ \S+ \* \* \*$/);
    const { shard, report } = w.jobs;
    expect(shard.strategy!.matrix.shard.length).toBeGreaterThan(1);
    expect(shard.strategy!['fail-fast']).toBe(false);
    const upload = shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload).toMatchObject({ if: 'always()', with: { path: 'reports/' } });
    expect(report).toMatchObject({ needs: 'shard', if: 'always()' });
    expect(report.steps.some((s) => s.uses?.startsWith('actions/download-artifact'))).toBe(true);
    expect(report.steps.some((s) => s.run?.includes('faultline campaign merge'))).toBe(true);
    const junit = report.steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report'));
    expect(junit).toMatchObject({ if: 'always()', with: { fail_on_failure: true } });
    expect(report.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))).toMatchObject({ if: 'always()' });
    expect(report.steps.some((s) => s.uses?.startsWith('actions/cache/restore'))).toBe(true);
  });

  it('runs its faultline commands: shards, artifacts, merge, prune; the JUnit file is where it publishes it', async () => {
    const w = workflowFromDoc();
    const work = tempReports();
    const campaign = join(work, 'tiny.yaml');
    await writeFile(campaign, TINY);
    await writeFile(join(work, 'strict-async.yaml'), STRICT_ASYNC);
    const shards = w.jobs.shard.strategy!.matrix.shard;
    const github = { 'github.run_number': '3', 'github.run_id': 'dry-run' };
    const ours = (job: Job) => job.steps.filter((s) => s.run?.includes('faultline') || s.run?.startsWith('find '));

    // The shard jobs, each on its own "machine" (one after the other: this machine has two cores).
    const results: { i: number; cwd: string; codes: number[]; logs: string[] }[] = [];
    for (const i of shards) {
      const cwd = join(work, `machine-${i}`);
      await mkdir(cwd, { recursive: true });
      const codes: number[] = [];
      const logs: string[] = [];
      for (const step of ours(w.jobs.shard)) {
        const r = await bash(command(step.run!, { ...github, 'matrix.shard': String(i) }, campaign), cwd);
        codes.push(r.exitCode ?? -1);
        logs.push(r.all);
        expect(r.all).toMatch(new RegExp(`shard ${i}/${shards.length}`));
      }
      results.push({ i, cwd, codes, logs });
    }
    // strict-async breaks its claim; its runs land on some shards, which exit 1; the others pass.
    const codes = results.flatMap((r) => r.codes);
    expect(codes.every((c) => c === 0 || c === 1)).toBe(true);
    expect(codes, results.flatMap((r) => r.logs).join('\n')).toContain(1);

    // The report job: the artifacts arrive under shards/<name>/, then its own steps run.
    const cwd = join(work, 'report-job');
    for (const r of results) {
      const upload = w.jobs.shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
      const name = command(String(upload.with!.name), { ...github, 'matrix.shard': String(r.i) }, campaign);
      await cp(join(r.cwd, String(upload.with!.path)), join(cwd, 'shards', name), { recursive: true });
    }
    const steps = ours(w.jobs.report);
    const outcome = new Map<string, number>();
    for (const step of steps) {
      const r = await bash(command(step.run!, github, campaign), cwd);
      outcome.set(step.run!, r.exitCode ?? -1);
      if (step.run!.includes('merge')) expect(r.all).toMatch(/FAIL {4}strict-async-register-none: [01]\/2 passed/);
    }
    const merge = [...outcome].find(([run]) => run.includes('merge'))!;
    expect(merge[1], 'a failing claim fails the report job').toBe(1);
    for (const [run, code] of outcome) if (!run.includes('merge')) expect(code, run).toBe(0);

    const junit = w.jobs.report.steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report'))!;
    const junitFile = join(cwd, command(String(junit.with!.report_paths), github, campaign));
    expect(existsSync(junitFile), junitFile).toBe(true);
    const xml = readFileSync(junitFile, 'utf8');
    const merged = JSON.parse(readFileSync(join(junitFile, '..', 'campaign.json'), 'utf8')) as {
      runs: { valid: unknown; claims: unknown[] }[];
    };
    // A test case per run × claim.
    expect(xml.match(/<testcase /g)).toHaveLength(merged.runs.reduce((n, r) => n + r.claims.length, 0));
    const failed = merged.runs.filter((r) => r.valid === false).length;
    expect(failed).toBeGreaterThanOrEqual(1);
    expect(xml.match(/<failure /g)).toHaveLength(failed);
    expect(readFileSync(join(cwd, 'reports', 'index.html'), 'utf8')).toContain('strict-async-register-none');
  }, 600_000);
});
