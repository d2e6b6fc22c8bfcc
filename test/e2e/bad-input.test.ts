import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { faultline, tempReports } from './helpers.ts';

const yamlFile = (name: string, text: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-e2e-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

/** Bad input: a message naming the problem and where, exit 3, nothing started (not even a run folder). */
describe('bad input', () => {
  const expectRejected = async (args: string[], message: RegExp) => {
    const reports = tempReports();
    rmSync(reports, { recursive: true });
    const r = await faultline(['run', ...args, '--reports-dir', reports]);
    expect(r.exitCode, r.all).toBe(3);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/phase: setup/);
    expect(existsSync(reports)).toBe(false);
  };

  it('an unknown preset name', async () => {
    await expectRejected(
      ['--cluster', 'single-leader-eventual'],
      /--cluster: unknown cluster preset "single-leader-eventual"\nHint: known cluster presets: .*single-leader-async/,
    );
  });

  it('malformed YAML, with its file and line', async () => {
    const file = yamlFile('nemesis.yaml', 'name: broken\nfaults:\n  - kind: kill\n    target: [n1\n');
    await expectRejected(['--nemesis', file], new RegExp(`${file}:\\d+: malformed YAML`));
  });

  it('a grudge naming nodes the cluster does not have', async () => {
    const file = yamlFile(
      'five.yaml',
      'name: five\nfaults:\n  - kind: partition\n    grudge: {n1: [n2, n3, n4, n5]}\n',
    );
    await expectRejected(
      ['--nemesis', file],
      /five\.yaml:\d+: faults\[0\]\.grudge\.n1: grudge names node n4, but the cluster has 3 nodes/,
    );
  });

  it('a negative time limit', async () => {
    await expectRejected(['--time-limit', '-5'], /--time-limit: expected a non-negative duration/);
  });

  it('an unknown option value in a cluster preset, named by key path', async () => {
    const file = yamlFile('c.yaml', 'name: c\nsystem: replica\nnodes: 3\noptions:\n  replication: syncc\n');
    await expectRejected(['--cluster', file], /c\.yaml.*options\.replication.*syncc/);
  });

  it('an unknown flag', async () => {
    const r = await faultline(['run', '--time-limt', '5']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain("unknown option '--time-limt'");
  });
});
