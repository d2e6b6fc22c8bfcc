import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/base/ts-node.ts';

/**
 * bin/faultline.mjs is shell and JavaScript at once: as a command, /bin/sh
 * reads its second line and starts node with the CLI's heap flags; as
 * `node bin/faultline.mjs`, node reads that line as a comment.
 */
const BIN = packagePath('bin/faultline.mjs');

describe('bin/faultline.mjs', () => {
  it('run as a command, sh starts node with a 64 MB young generation', () => {
    const traced = spawnSync('sh', ['-x', BIN, '--help'], { encoding: 'utf8' });
    expect(traced.status, traced.stderr).toBe(0);
    expect(traced.stderr).toContain(`exec node --max-semi-space-size=64 ${BIN} --help`);
    const direct = spawnSync(BIN, ['--help'], { encoding: 'utf8' });
    expect(direct.status, direct.stderr).toBe(0);
    expect(direct.stdout).toMatch(/^Usage: faultline/);
    // Nothing from the shell line on stderr (a formatter once turned `':' //` into `':'; //`, which sh ran as a command).
    expect(direct.stderr).toBe('');
  });

  it('run by node, the shell line is inert', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: faultline/);
  });
});
