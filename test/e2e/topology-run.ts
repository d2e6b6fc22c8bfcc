import { expectNothingLeft, faultline, readResults, runDirIn, tempReports } from './helpers.ts';

/** One seeded run of a topology test, with its results, checkers and claims at hand; nothing may be left. */
export const run = async (cluster: string, workload: string, nemesis: string, extra: string[] = []) => {
  const reports = tempReports();
  const args = [
    'run',
    '--cluster',
    cluster,
    '--workload',
    workload,
    '--nemesis',
    nemesis,
    '--seed',
    '4',
    '--reports-dir',
    reports,
  ];
  const r = await faultline([...args, '--time-limit', '12s', ...extra]);
  const dir = runDirIn(reports, `${cluster}-${workload}-${nemesis}`);
  const results = readResults(dir);
  await expectNothingLeft(results.runId);
  const checker = <T>(name: string) => (results.checkers as Record<string, unknown>)[name] as T;
  const claim = (name: string) => results.claims.find((c) => c.name === name);
  return { exitCode: r.exitCode, output: r.all, results, checker, claim, dir };
};
