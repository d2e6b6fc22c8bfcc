import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { connectEngine } from '../../../src/cluster/docker/engine.ts';
import { clockOffsetOf, createToySystem, httpGet } from '../../fixtures/toy-system.ts';
import { binaryMissing, dockerMissing, rootMissing, skipWithout } from '../../support/environment.ts';
import { upDocker } from '../connectivity.ts';

/**
 * A cluster preset's `image:` — an image already on the machine — runs the
 * system's binaries from that image, not from the host. The test builds a
 * tiny one locally (nothing is pulled): node, a /bin/sh and their
 * libraries, and nothing else, so the host's /usr is not there to fall
 * back on.
 */
const buildTinyNodeImage = async (): Promise<string> => {
  const stage = mkdtempSync(path.join(os.tmpdir(), 'faultline-test-image-'));
  onTestFinished(() => rmSync(stage, { recursive: true, force: true }));
  const put = (from: string, to: string) => {
    mkdirSync(path.join(stage, path.dirname(to)), { recursive: true });
    copyFileSync(realpathSync(from), path.join(stage, to));
    chmodSync(path.join(stage, to), 0o755);
  };
  put(process.execPath, process.execPath);
  put('/bin/sh', '/bin/sh');
  const libs = new Set<string>();
  for (const bin of [process.execPath, '/bin/sh']) {
    for (const line of execFileSync('ldd', [bin], { encoding: 'utf8' }).split('\n')) {
      const m = /(\/\S+) \(0x/.exec(line.replace(/^.*=> /, ''));
      if (m) libs.add(m[1]!);
    }
  }
  for (const lib of libs) put(lib, lib);
  mkdirSync(path.join(stage, 'tmp'), { mode: 0o1777 });
  chmodSync(path.join(stage, 'tmp'), 0o1777);
  const tar = path.join(stage, '..', `${path.basename(stage)}.tar`);
  onTestFinished(() => rmSync(tar, { force: true }));
  execFileSync('tar', ['-C', stage, '-cf', tar, '.']);
  const engine = await connectEngine();
  const name = `faultline-test/tiny-node:${path.basename(stage).slice(-6).toLowerCase()}`;
  const [repo, tag] = name.split(':');
  const progress = await engine.importImage(tar, { repo, tag });
  await new Promise<void>((resolve, reject) =>
    engine.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())),
  );
  onTestFinished(() =>
    engine
      .getImage(name)
      .remove({ force: true })
      .then(() => {}),
  );
  return name;
};

describe.skipIf(
  skipWithout('docker', dockerMissing()) ||
    skipWithout('root', rootMissing()) ||
    skipWithout('faketime', binaryMissing('faketime', 'faketime')),
)('docker backend with a user image', () => {
  test("runs the system's binaries from the image (no host /usr mounted), with clock faults through libfaketime", async () => {
    const image = await buildTinyNodeImage();
    const { backend } = await upDocker(createToySystem({ clock: false }), ['n1', 'n2'], { image, faults: ['clock'] });
    const engine = await connectEngine();
    const c = await engine.getContainer(backend.containers().n1!).inspect();
    expect(c.Config.Image).toBe(image);
    const mounts = c.Mounts.map((m) => m.Destination);
    expect(mounts).not.toContain('/usr');
    expect(mounts).not.toContain('/etc');
    const [n1, n2] = backend.addresses();
    expect((await httpGet(n1!, '/ping')).body).toBe('pong n1');
    expect((await httpGet(n1!, '/peer/n2?timeoutMs=3000')).body).toContain('"ok":true');
    await backend.clock('n1', 7_200_000);
    expect(Math.abs((await clockOffsetOf(n1!)) - 7_200_000)).toBeLessThan(1500);
    expect(Math.abs(await clockOffsetOf(n2!))).toBeLessThan(1500);
  }, 180_000);
});
