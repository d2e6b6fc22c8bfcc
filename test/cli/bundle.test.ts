import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/base/ts-node.ts';
import { CORPUS_DIR, corpusPresent } from '../corpus.ts';

/**
 * bin/bundle.mjs: the prebuilt `check --history` behind the CLI's fast path.
 * A bundle must never be used once a source that went into it changed.
 */

interface BundleModule {
  bundleDir(root?: string): Promise<string | undefined>;
}
const { bundleDir } = (await import(packagePath('bin/bundle.mjs'))) as BundleModule;

const root = mkdtempSync(join(tmpdir(), 'faultline-bundle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
cpSync(packagePath('src'), join(root, 'src'), { recursive: true });

describe('the check --history bundle', () => {
  const source = join(root, 'src', 'cli', 'check-history.ts');
  const original = readFileSync(source, 'utf8');

  it('is built once, then reused while its sources are unchanged', async () => {
    const first = await bundleDir(root);
    expect(first).toBeDefined();
    const built = statSync(join(first!, 'check-history.mjs')).mtimeMs;
    expect(readFileSync(join(first!, 'lin-worker.mjs'), 'utf8')).toContain('parentPort');
    const again = await bundleDir(root);
    expect(again).toBe(first);
    expect(statSync(join(again!, 'check-history.mjs')).mtimeMs).toBe(built);
  });

  it('is rebuilt when a source changes, even with its old size and time', async () => {
    const before = (await bundleDir(root))!;
    const stat = statSync(source);
    // Same length, different content, mtime put back: only the content tells.
    const changed = original.replace('stopped at its memory budget', 'stopped at its memory BUDGET');
    expect(changed.length).toBe(original.length);
    writeFileSync(source, changed);
    utimesSync(source, stat.atime, stat.mtime);
    const after = (await bundleDir(root))!;
    expect(after).not.toBe(before);
    expect(readFileSync(join(after, 'check-history.mjs'), 'utf8')).toContain('stopped at its memory BUDGET');
    // Back to the original: the bundle of the original sources again.
    writeFileSync(source, original);
    expect(await bundleDir(root)).toBe(before);
  });

  it('carries the files modules read beside themselves, and is rebuilt when one changes', async () => {
    const before = (await bundleDir(root))!;
    const css = join(root, 'src', 'report', 'linearization', 'viz.css');
    const original = readFileSync(css, 'utf8');
    expect(readFileSync(join(before, 'viz.css'), 'utf8')).toBe(original);
    writeFileSync(css, `${original}\n/* changed */\n`);
    try {
      const after = (await bundleDir(root))!;
      expect(after).not.toBe(before);
      expect(readFileSync(join(after, 'viz.css'), 'utf8')).toContain('/* changed */');
    } finally {
      writeFileSync(css, original);
    }
  });

  it('is not used when a source no longer builds (the caller falls back to the sources)', async () => {
    writeFileSync(source, `${original}\nexport const broken = ;\n`);
    try {
      expect(await bundleDir(root)).toBeUndefined();
    } finally {
      writeFileSync(source, original);
    }
  });
});

describe.skipIf(!corpusPresent)('faultline check --history through the real bin', () => {
  const bin = packagePath('bin/faultline.mjs');
  const history = join(CORPUS_DIR, 'porcupine/etcd/etcd_000.log');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  const stable = (text: string) => text.replace(/checked in [\d.]+m?s/, 'checked in …');

  it('prints the same from the bundle as from the sources', () => {
    const args = ['check', '--history', history, '--model', 'cas-register', '--initial', 'nil'];
    const fast = run(args);
    const slow = run(args, { FAULTLINE_NO_BUNDLE: '1' });
    expect(fast.status).toBe(1);
    expect(slow.status).toBe(1);
    expect(stable(fast.stdout)).toBe(stable(slow.stdout));
    expect(fast.stdout).toContain('operations that could not be linearized next');
  });

  it('leaves what it does not take to the full CLI, with its messages', () => {
    const bad = run(['check', '--history', history, '--bogus']);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain("unknown option '--bogus'");
    const help = run(['check', '--history', history, '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--history <file>');
  });
});
