import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { onTestFinished } from 'vitest';
import { packagePath } from '../../src/base/ts-node.ts';
import { findLeftovers } from '../../src/cluster/registry.ts';
import type { RunResults } from '../../src/report/results.ts';

export const BIN = packagePath('bin/faultline.mjs');

/** A reports dir for one test, removed when the test ends. */
export const tempReports = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-e2e-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** Runs the CLI as a user would (node bin/faultline.mjs ...), never throwing on a non-zero exit. */
export const faultline = (
  args: readonly string[],
  options: { cwd?: string } = {},
): ResultPromise<{ reject: false; all: true }> =>
  execa(process.execPath, [BIN, ...args], {
    reject: false,
    all: true,
    cwd: options.cwd ?? packagePath('.'),
    env: { FORCE_COLOR: '0' },
  });

/** The one run folder under a reports dir (reports/<test>/<run-id>). */
export const runDirIn = (reports: string, test: string): string => {
  const runs = readdirSync(join(reports, test)).filter((d) => !d.startsWith('.'));
  if (runs.length !== 1) throw new Error(`expected one run under ${join(reports, test)}, found ${runs.length}`);
  return join(reports, test, runs[0]!);
};

export const readResults = (dir: string): RunResults =>
  JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;

/** Asserts that no process or temp dir of the run is left. */
export const expectNothingLeft = async (runId: string): Promise<void> => {
  const left = await findLeftovers(runId);
  if (left.length > 0) {
    throw new Error(`run ${runId} left behind: ${JSON.stringify(left)}`);
  }
};

/**
 * Starts `faultline run <args>` in the background and resolves once its run
 * phase has begun, with the child, the run id and the output so far (it
 * keeps growing: `output()` reads it later).
 */
export const startRun = async (args: readonly string[]) => {
  const child = execa(process.execPath, [BIN, 'run', ...args], { reject: false, all: true, cwd: packagePath('.') });
  let output = '';
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const runId = await new Promise<string>((resolve, reject) => {
    child.all?.on('data', () => {
      const id = /faultline run (\S+):/.exec(output)?.[1];
      if (id && output.includes('phase: run')) resolve(id);
    });
    void child.then(() => reject(new Error(`run ended early:\n${output}`)));
  });
  return { child, runId, output: () => output };
};
