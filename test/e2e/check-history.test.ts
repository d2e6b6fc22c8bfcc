import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, corpusPresent } from '../corpus.ts';
import { faultline, tempReports } from './helpers.ts';

const corpus = CORPUS_DIR;
const present = corpusPresent;

/** `faultline check --history` through the real command line, on histories recorded by other tools. */
describe.skipIf(!present)('faultline check --history', () => {
  it('exits 0 on a linearizable Knossos history', async () => {
    const r = await faultline([
      'check',
      '--history',
      join(corpus, 'knossos/cas-register/good/memstress3-0.edn'),
      '--model',
      'cas-register',
      '--initial',
      '0',
    ]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/linearizable/i);
  });

  it('exits 1 on a non-linearizable etcd log, says where, and draws it with --html', async () => {
    const html = join(tempReports(), 'etcd.html');
    const r = await faultline([
      'check',
      '--history',
      join(corpus, 'porcupine/etcd/etcd_000.log'),
      '--model',
      'cas-register',
      '--initial',
      'nil',
      '--html',
      html,
    ]);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toMatch(/not linearizable/i);
    expect(readFileSync(html, 'utf8')).toContain('class="fl-lin"');
  });

  it('exits 3 naming an unknown model', async () => {
    const r = await faultline([
      'check',
      '--history',
      join(corpus, 'porcupine/etcd/etcd_000.log'),
      '--model',
      'cas-regsiter',
    ]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/cas-regsiter/);
  });
});
