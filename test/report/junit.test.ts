import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../src/report/junit.ts';
import { generateSetRun, HOSTILE, resultsFor } from '../fixtures/set-run.ts';
import { checkWellFormedXml } from './xml-check.ts';

const results = () => {
  const r = resultsFor(generateSetRun());
  r.claims.push({
    name: 'linearizable-reads',
    expected: true,
    held: 'unknown',
    detail: 'checker timed out after 30 s',
  });
  return r;
};

const testcase = (xml: string, name: string): string => {
  const start = xml.indexOf(`name="${name}"`);
  expect(start).toBeGreaterThan(0);
  return xml.slice(xml.lastIndexOf('<testcase', start), xml.indexOf('</testcase>', start));
};

describe('renderJunit', () => {
  it('writes one suite with one testcase per claim and per checker, with totals', () => {
    const xml = renderJunit(results());
    const names = checkWellFormedXml(xml);
    expect(names.filter((n) => n === 'testsuites')).toHaveLength(1);
    expect(names.filter((n) => n === 'testsuite')).toHaveLength(1);
    expect(names.filter((n) => n === 'testcase')).toHaveLength(4 + 2);
    expect(xml).toContain(
      '<testsuite name="faultline.set-async-leader-kill" tests="6" failures="2" errors="1" skipped="1"',
    );
    expect(xml).toContain('<property name="seed" value="7"/>');
    expect(xml).toContain('replay: faultline run --cluster single-leader-sync');
  });

  it('marks a violated claim as failure, an undecided one as error, an untested one as skipped', () => {
    const xml = renderJunit(results());
    expect(testcase(xml, 'lost-writes')).toMatch(/<failure message="1 of \d+ acknowledged adds lost" type="violated">/);
    expect(testcase(xml, 'converges')).not.toMatch(/<(failure|error|skipped)/);
    expect(testcase(xml, 'linearizable')).toContain(
      '<skipped message="untested: no linearizable checker in this run"/>',
    );
    expect(testcase(xml, 'linearizable-reads')).toContain(
      '<error message="checker timed out after 30 s" type="unknown">',
    );
    expect(testcase(xml, 'set')).toContain('<failure message="1 of');
    expect(testcase(xml, 'perf')).not.toMatch(/<(failure|error|skipped)/);
  });

  it('adds an error testcase when the run was interrupted', () => {
    const r = results();
    r.interrupted = true;
    const xml = renderJunit(r);
    expect(testcase(xml, 'run completed')).toContain('type="interrupted"');
    expect(xml).toContain('errors="2"');
  });

  it('escapes hostile text and drops characters XML cannot hold', () => {
    const r = results();
    r.test = `t${HOSTILE}`;
    r.claims[0]!.detail = `lost \u0000\u001b ${HOSTILE} & more`;
    r.claims[0]!.name = `c"${HOSTILE}`;
    const xml = renderJunit(r);
    expect(() => checkWellFormedXml(xml)).not.toThrow();
    expect(xml).not.toContain('<img');
    expect(xml).not.toContain('<script');
    expect(xml).toContain('lost \ufffd\ufffd &lt;/script&gt;');
  });
});
