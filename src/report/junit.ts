import type { CheckerResult } from '../checker/checker.ts';
import { escapeXml as x } from './escape.ts';
import type { ClaimResult, RunResults } from './results.ts';

/**
 * junit.xml for CI dashboards: one <testsuite> per run, one <testcase> per
 * claim (failure when violated, error when undecided, skipped when no checker
 * of the run measured it) and one per checker (failure when invalid, error
 * when unknown). An interrupted run adds an error test case, so a CI that only
 * reads JUnit still sees that the history is a prefix.
 */
export const renderJunit = (results: RunResults): string => {
  const suite = `faultline.${results.test}`;
  const cases: string[] = [];
  const tally = { tests: 0, failures: 0, errors: 0, skipped: 0 };

  const testcase = (classname: string, name: string, body = ''): void => {
    tally.tests++;
    cases.push(
      `    <testcase classname="${x(classname)}" name="${x(name)}" time="0">${body ? `\n      ${body}\n    ` : ''}</testcase>`,
    );
  };

  for (const c of results.claims) testcase(`${suite}.claims`, c.name, claimBody(c, tally));
  for (const [name, r] of Object.entries(results.checkers)) testcase(`${suite}.checkers`, name, checkerBody(r, tally));
  if (results.interrupted) {
    tally.errors++;
    testcase(
      `${suite}.run`,
      'run completed',
      `<error message="the run was interrupted; the history is a prefix" type="interrupted"/>`,
    );
  }

  const properties = [
    ['runId', results.runId],
    ['seed', String(results.seed)],
    ['cluster', results.cluster],
    ['workload', results.workload],
    ['nemesis', results.nemesis],
    ['backend', results.backend],
    ['nodes', results.nodes.join(',')],
    ['valid', String(results.valid)],
    ['interrupted', String(results.interrupted)],
  ]
    .map(([k, v]) => `      <property name="${x(k!)}" value="${x(v!)}"/>`)
    .join('\n');
  const time = (results.durationMs / 1000).toFixed(3);
  const attrs = `tests="${tally.tests}" failures="${tally.failures}" errors="${tally.errors}" skipped="${tally.skipped}" time="${time}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="faultline" ${attrs}>`,
    `  <testsuite name="${x(suite)}" ${attrs} timestamp="${x(results.startedAt)}">`,
    `    <properties>\n${properties}\n    </properties>`,
    ...cases,
    `    <system-out>${x(`replay: ${results.replay}`)}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
};

type Tally = { failures: number; errors: number; skipped: number };

const claimBody = (c: ClaimResult, tally: Tally): string => {
  const expected = `expected ${JSON.stringify(c.expected) ?? 'undefined'}`;
  if (c.held === true) return '';
  if (c.held === false) {
    tally.failures++;
    return `<failure message="${x(c.detail)}" type="violated">${x(`${c.name} violated (${expected}): ${c.detail}`)}</failure>`;
  }
  if (c.held === 'unknown') {
    tally.errors++;
    return `<error message="${x(c.detail)}" type="unknown">${x(`${c.name} could not be decided (${expected}): ${c.detail}`)}</error>`;
  }
  tally.skipped++;
  return `<skipped message="${x(`untested: ${c.detail}`)}"/>`;
};

const checkerBody = (r: CheckerResult, tally: Tally): string => {
  const summary = typeof r.summary === 'string' ? r.summary : '';
  if (r.valid === true) return '';
  if (r.valid === false) {
    tally.failures++;
    return `<failure message="${x(summary || 'invalid')}" type="invalid">${x(summary)}</failure>`;
  }
  tally.errors++;
  return `<error message="${x(summary || 'unknown')}" type="unknown">${x(summary)}</error>`;
};
