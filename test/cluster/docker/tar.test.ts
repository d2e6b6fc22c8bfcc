import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { tarOf } from '../../../src/cluster/docker/tar.ts';

describe('tar of the base image root', () => {
  test('tar lists directories with their modes and symlinks with their targets', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-test-tar-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'root.tar');
    writeFileSync(
      file,
      tarOf([
        { type: 'dir', name: 'tmp', mode: 0o1777 },
        { type: 'symlink', name: 'bin', target: 'usr/bin' },
      ]),
    );
    const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
    expect(listing).toMatch(/^drwxrwxrwt .* tmp\/$/m);
    expect(listing).toMatch(/^lrwxrwxrwx .* bin -> usr\/bin$/m);
  });
});
