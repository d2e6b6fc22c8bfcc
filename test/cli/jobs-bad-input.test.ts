import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { faultline } from '../e2e/helpers.ts';

/**
 * Bad input to compare, campaign and claims exits 3 with a message naming
 * the problem — the flag, or the campaign file and line — before anything
 * starts: no run folder, no reports folder at all. The cases run the CLI's
 * main() in this process (a process per case costs seconds of start-up);
 * two of them run as a user would, through bin/faultline.mjs.
 */

/** main() with its stdout and stderr captured. */
const runMain = async (args: string[]): Promise<{ exitCode: number; all: string }> => {
  let all = '';
  const capture = (...xs: unknown[]) => {
    all += `${xs.map(String).join(' ')}\n`;
  };
  const spies = [
    vi.spyOn(console, 'error').mockImplementation(capture),
    vi.spyOn(console, 'log').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      all += String(s);
      return true;
    }),
  ];
  try {
    return { exitCode: await main(['node', 'faultline', ...args]), all };
  } finally {
    for (const s of spies) s.mockRestore();
  }
};
describe('multi-run commands refuse bad input before anything starts', () => {
  let work: string;
  const reports = () => join(work, 'reports');

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'faultline-jobs-bad-input-'));
    await writeFile(
      join(work, 'malformed.yaml'),
      'name: nightly\nclusters: [single-leader-sync]\nworkloads: [set]\nnemeses: [none\ntimeLimit: 5s\n',
    );
    await writeFile(
      join(work, 'unknown.yaml'),
      'name: nightly\nclusters:\n  - single-leader-sync\n  - single-leader-typo\nworkloads: [set]\nnemeses: [none]\n',
    );
    await writeFile(
      join(work, 'bad-value.yaml'),
      'name: nightly\nclusters: [single-leader-sync]\nworkloads: [set]\nnemeses: [none]\nruns: 0\n',
    );
    await writeFile(
      join(work, 'ok.yaml'),
      'name: nightly\nclusters: [single-leader-sync]\nworkloads: [set]\nnemeses: [none]\nruns: 2\ntimeLimit: 2s\n',
    );
    await writeFile(join(work, 'doc.md'), '# a doc without the claims table markers\n');
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const at = (f: string) => join(work, f);
  const cases: [string, () => string[], RegExp][] = [
    [
      'an unknown cluster in the compare list',
      () => ['compare', '--cluster', 'single-leader-sync,single-leader-nope', '--workload', 'set', '--runs', '2'],
      /--cluster: unknown cluster preset "single-leader-nope"/,
    ],
    [
      '--runs 0',
      () => ['compare', '--cluster', 'single-leader-sync,single-leader-async', '--runs', '0'],
      /--runs: expected an integer from 1 to 1000; got 0/,
    ],
    [
      'a compare of one cluster',
      () => ['compare', '--cluster', 'single-leader-sync', '--runs', '2'],
      /--cluster: give at least two clusters/,
    ],
    ['a malformed campaign file', () => ['campaign', at('malformed.yaml')], /malformed\.yaml:\d+: malformed YAML/],
    [
      'an unknown preset in a campaign file',
      () => ['campaign', at('unknown.yaml')],
      /unknown\.yaml:4: clusters\[1\]: unknown cluster preset "single-leader-typo"/,
    ],
    ['a bad value in a campaign file', () => ['campaign', at('bad-value.yaml')], /bad-value\.yaml:5: runs: /],
    ['a missing campaign file', () => ['campaign', at('missing.yaml')], /cannot read .*missing\.yaml: ENOENT/],
    [
      'a shard like 3/2',
      () => ['campaign', at('ok.yaml'), '--shard', '3/2'],
      /--shard: expected i\/n with 1 ≤ i ≤ n, e\.g\. 1\/4; got "3\/2"/,
    ],
    ['a shard 0/2', () => ['campaign', at('ok.yaml'), '--shard', '0/2'], /--shard: expected i\/n/],
    [
      'more shards than runs',
      () => ['campaign', at('ok.yaml'), '--shard', '1/3'],
      /--shard: 3 shards for a matrix of 2 runs/,
    ],
    ['merging nothing', () => ['campaign', 'merge', work], /no shard files found/],
    [
      'an unknown preset for claims',
      () => ['claims', '--cluster', 'single-leader-sync,nope'],
      /--cluster: unknown cluster preset "nope"/,
    ],
    ['claims --seeds 0', () => ['claims', '--seeds', '0'], /--seeds: expected an integer from 1 to 100; got 0/],
    [
      'claims of a system with no preset',
      () => ['claims', '--system', 'nope'],
      /--system: no cluster preset of system "nope"/,
    ],
    [
      'a Markdown file without markers',
      () => ['claims', '--markdown', at('doc.md')],
      /--markdown: .*doc\.md has no claims table markers/,
    ],
  ];

  it.each(cases)('%s', async (_name, args, message) => {
    const r = await runMain([...args(), '--reports-dir', reports()]);
    expect(r.exitCode, r.all).toBe(3);
    expect(r.all).toMatch(message);
    expect(r.all).not.toMatch(/^run \d+\//m);
    expect(existsSync(reports()), 'nothing written').toBe(false);
  });

  it.concurrent.each([cases[0]!, cases[7]!])('through bin/faultline.mjs: %s', async (_name, args, message) => {
    const r = await faultline([...args(), '--reports-dir', reports()], { cwd: work });
    expect(r.exitCode, r.all).toBe(3);
    expect(r.all).toMatch(message);
    expect(existsSync(reports()), 'nothing written').toBe(false);
  });
});
