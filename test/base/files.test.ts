import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultlineError } from '../../src/base/errors.ts';
import { checkWritableDir, makeDirExclusive, writeFileAtomic } from '../../src/base/files.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'faultline-files-'));
  dirs.push(d);
  return d;
};

describe('writeFileAtomic', () => {
  it('replaces a file whole and leaves no temp file', async () => {
    const d = temp();
    const f = join(d, 'results.json');
    writeFileSync(f, 'old');
    await writeFileAtomic(f, 'new contents');
    expect(readFileSync(f, 'utf8')).toBe('new contents');
    expect(readdirSync(d)).toEqual(['results.json']);
  });

  it('a write that fails leaves the old file as it was, and no temp file', async () => {
    const d = temp();
    const f = join(d, 'report.html');
    writeFileSync(f, 'old');
    // A folder where the temp file would be renamed to: the rename fails after the temp file was written.
    const blocked = join(d, 'blocked');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'x'), 'x');
    await expect(writeFileAtomic(blocked, 'data')).rejects.toThrow();
    expect(readFileSync(f, 'utf8')).toBe('old');
    expect(readdirSync(d).sort()).toEqual(['blocked', 'report.html']);
  });

  it('a process that exits mid-write (a second Ctrl-C) leaves no temp file', async () => {
    const d = temp();
    // The child starts a large write and exits as soon as its temp file exists, before the rename.
    const script = `
      import { readdirSync } from 'node:fs';
      import { writeFileAtomic } from ${JSON.stringify(join(process.cwd(), 'src/base/files.ts'))};
      void writeFileAtomic(${JSON.stringify(join(d, 'results.json'))}, Buffer.alloc(400e6, 97));
      const poll = setInterval(() => {
        if (readdirSync(${JSON.stringify(d)}).some((n) => n.endsWith('.tmp'))) process.exit(130);
      }, 0);
      setTimeout(() => { clearInterval(poll); process.exit(0); }, 10000);
    `;
    const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(130);
    expect(readdirSync(d).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('makeDirExclusive', () => {
  it('creates a run folder with its parents, and refuses one that exists', async () => {
    const d = temp();
    const run = join(d, 'reports', 'test', 'run-1');
    await makeDirExclusive(run);
    expect(existsSync(run)).toBe(true);
    const e = await makeDirExclusive(run).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaultlineError);
    expect((e as FaultlineError).message).toMatch(/already exists; faultline never writes into an existing run folder/);
  });
});

describe('checkWritableDir', () => {
  it('accepts a folder to be made under a writable one, without making it', () => {
    const d = temp();
    checkWritableDir(join(d, 'a', 'b'), 'reports dir');
    expect(existsSync(join(d, 'a'))).toBe(false);
  });

  it('refuses a path under a file, under /proc, /sys or /dev', () => {
    const d = temp();
    writeFileSync(join(d, 'f'), '');
    expect(() => checkWritableDir(join(d, 'f', 'x'), 'reports dir')).toThrow(/is a file, not a folder/);
    for (const p of ['/proc/1/x', '/sys/kernel/x', '/dev/shm/x']) {
      expect(() => checkWritableDir(p, 'reports dir')).toThrow(/a kernel filesystem/);
    }
  });
});
