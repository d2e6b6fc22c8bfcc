import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultlineError } from '../../src/base/errors.ts';
import { packagePath } from '../../src/base/ts-node.ts';
import { resolveRunConfig } from '../../src/run/resolve.ts';
import { runTest } from '../../src/run/run.ts';
import { loadSystem } from '../../src/systems/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'faultline-usersys-'));
  dirs.push(d);
  return d;
};

describe("a user's own system module", () => {
  it('named by a cluster preset relative to the preset, resolved to an absolute path, runs like a built-in one', async () => {
    const reportsDir = temp();
    const config = await resolveRunConfig({
      cluster: 'examples/memkv/cluster.yaml',
      nemesis: 'none',
      timeLimit: '2s',
      quiesce: '0s',
      seed: 4,
      reportsDir,
    });
    expect(config.cluster.system).toBe(packagePath('examples/memkv/my-system.ts'));
    const { results, exitCode } = await runTest(config);
    expect(exitCode).toBe(0);
    expect(results.claims.find((c) => c.name === 'linearizable')?.held).toBe(true);
  });

  it('a module that does not export a system, or is missing, is refused naming what is wrong', async () => {
    const dir = temp();
    const bad = join(dir, 'not-a-system.ts');
    writeFileSync(bad, "export default { name: 'half', workloads: [] };\n");
    const e = await loadSystem(bad).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaultlineError);
    expect((e as FaultlineError).message).toBe(
      `${bad} does not export a system: missing launch, ready, openClient, leader`,
    );
    await expect(loadSystem(join(dir, 'nowhere.ts'))).rejects.toThrow(/system module not found/);
    await expect(loadSystem('mongodb')).rejects.toThrow(/unknown system "mongodb"/);
  });
});
