import { escapeXml as x } from './escape.ts';
import type { CampaignResults, CampaignRun } from './job-results.ts';

/**
 * A campaign's junit.xml: one <testsuite> per test (cluster × workload ×
 * nemesis), one <testcase> per run × claim — failure when violated, error
 * when undecided, skipped when no checker of the run measured it. A run
 * that could not run, or was skipped, is one test case of its own (error or
 * skipped). Each failing case carries the command that replays its run.
 */
export const renderCampaignJunit = (c: CampaignResults): string => {
  const byTest = new Map<string, CampaignRun[]>();
  for (const r of c.runs) byTest.set(r.test, [...(byTest.get(r.test) ?? []), r]);
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const suites: string[] = [];
  for (const [test, runs] of byTest) {
    const tally = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    const cases: string[] = [];
    const testcase = (classname: string, name: string, time: number, body = '') => {
      tally.tests++;
      cases.push(
        `    <testcase classname="${x(classname)}" name="${x(name)}" time="${(time / 1000).toFixed(3)}">${body ? `\n      ${body}\n    ` : ''}</testcase>`,
      );
    };
    for (const r of runs) {
      const classname = `faultline.${test}.seed-${r.seed}`;
      const replay = `<system-out>${x(`replay: ${r.replay}`)}</system-out>`;
      if (r.status === 'error') {
        tally.errors++;
        testcase(
          classname,
          'run',
          r.durationMs ?? 0,
          `<error message="${x(r.error ?? 'error')}" type="harness"/>${replay}`,
        );
        continue;
      }
      if (r.status === 'skipped') {
        tally.skipped++;
        testcase(classname, 'run', 0, `<skipped message="${x(r.error ?? 'skipped')}"/>`);
        continue;
      }
      const share = r.claims.length > 0 ? (r.durationMs ?? 0) / r.claims.length : 0;
      for (const claim of r.claims) {
        const expected = `expected ${JSON.stringify(claim.expected) ?? 'undefined'}`;
        let body = '';
        if (claim.held === false) {
          tally.failures++;
          body = `<failure message="${x(claim.detail)}" type="violated">${x(`${claim.name} violated (${expected}): ${claim.detail}`)}</failure>${replay}`;
        } else if (claim.held === 'unknown') {
          tally.errors++;
          body = `<error message="${x(claim.detail)}" type="unknown">${x(`${claim.name} undecided (${expected}): ${claim.detail}`)}</error>${replay}`;
        } else if (claim.held === 'untested') {
          tally.skipped++;
          body = `<skipped message="${x(`untested: ${claim.detail}`)}"/>`;
        }
        testcase(classname, claim.name, share, body);
      }
      if (r.claims.length === 0) testcase(classname, 'run', r.durationMs ?? 0, verdictBody(r, tally, replay));
    }
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += tally[k];
    const attrs = `tests="${tally.tests}" failures="${tally.failures}" errors="${tally.errors}" skipped="${tally.skipped}"`;
    suites.push(
      [
        `  <testsuite name="${x(`faultline.${test}`)}" ${attrs} timestamp="${x(c.startedAt)}">`,
        `    <properties>\n${[
          ['campaign', `${c.name}/${c.id}`],
          ['cluster', runs[0]!.cluster],
          ['workload', runs[0]!.workload],
          ['nemesis', runs[0]!.nemesis],
        ]
          .map(([k, v]) => `      <property name="${x(k!)}" value="${x(v!)}"/>`)
          .join('\n')}\n    </properties>`,
        ...cases,
        '  </testsuite>',
      ].join('\n'),
    );
  }
  const attrs = `tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}" time="${(c.durationMs / 1000).toFixed(3)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${x(`faultline campaign ${c.name}`)}" ${attrs}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
};

/** A run whose preset declares no claim: its verdict is the case. */
const verdictBody = (r: CampaignRun, tally: { failures: number; errors: number }, replay: string): string => {
  if (r.valid === true) return '';
  if (r.valid === false) {
    tally.failures++;
    return `<failure message="a checker found a violation" type="invalid"/>${replay}`;
  }
  tally.errors++;
  return `<error message="undecided" type="unknown"/>${replay}`;
};
