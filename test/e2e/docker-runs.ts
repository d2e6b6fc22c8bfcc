import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseJsonlHistory } from '../../src/history/jsonl.ts';
import { expectNothingLeft, faultline, readResults, runDirIn, tempReports } from './helpers.ts';

/** What the docker e2e tests compare of a run: its verdicts, claims, faults and throughput. */
export interface Outcome {
  exitCode: number | undefined;
  output: string;
  valid: unknown;
  claims: Record<string, unknown>;
  ops: number;
  faults: string[];
  backend: string;
}

export const runOn = async (
  backend: string,
  cluster: string,
  workload: string,
  nemesis: string,
  opts: { seed: number; timeLimit: string; quiesce?: string },
): Promise<Outcome> => {
  const reports = tempReports();
  const r = await faultline([
    'run',
    '--backend',
    backend,
    '--cluster',
    cluster,
    '--workload',
    workload,
    '--nemesis',
    nemesis,
    '--time-limit',
    opts.timeLimit,
    '--seed',
    String(opts.seed),
    ...(opts.quiesce ? ['--quiesce', opts.quiesce] : []),
    '--reports-dir',
    reports,
  ]);
  const dir = runDirIn(reports, `${cluster}-${workload}-${nemesis}`);
  const results = readResults(dir);
  await expectNothingLeft(results.runId);
  expect(existsSync(join(dir, 'logs', 'n1.log')), 'node logs kept in the run folder').toBe(true);
  const { ops } = parseJsonlHistory(readFileSync(join(dir, 'history.jsonl'), 'utf8'));
  return {
    exitCode: r.exitCode,
    output: r.all ?? '',
    valid: results.valid,
    claims: Object.fromEntries(results.claims.map((c) => [c.name, c.held])),
    ops: ops.filter((o) => o.type === 'ok').length,
    faults: [...new Set(ops.filter((o) => o.process === 'nemesis' && o.type === 'info').map((o) => o.f))],
    backend: results.backend,
  };
};
