import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { readYamlFile } from '../../src/base/yaml.ts';
import { cleanupLeftovers } from '../../src/cluster/registry.ts';
import { parseJsonlHistory } from '../../src/history/jsonl.ts';
import { planFaults } from '../../src/nemesis/schedule.ts';
import { nemesisSchema, ownLane } from '../../src/nemesis/spec.ts';
import { startRun, tempReports } from '../e2e/helpers.ts';

/**
 * Starts `faultline run <args>` with a long time limit, signals the
 * controller once the run phase has begun — SIGKILL: no teardown at all;
 * SIGINT: Ctrl-C — and resolves with the run id and how the controller
 * ended. Whatever is left is removed when the test ends.
 */
export const stopMidRun = async (
  args: readonly string[],
  signal: 'SIGKILL' | 'SIGINT',
  /** How long after the run phase began, or the output line to wait for (then 500 ms more). */
  after: number | RegExp = 0,
): Promise<{ runId: string; exitCode: number | undefined; output: string }> => {
  const reports = tempReports();
  const { child, runId, output } = await startRun([...args, '--time-limit', '5m', '--reports-dir', reports]);
  onTestFinished(async () => {
    await cleanupLeftovers({ runId, force: true });
  });
  if (after instanceof RegExp) {
    await new Promise<void>((resolve, reject) => {
      const seen = () => after.test(output()) && resolve();
      child.all?.on('data', seen);
      seen();
      void child.then(() => reject(new Error(`run ended before ${after}:\n${output()}`)));
    });
  }
  await new Promise((r) => setTimeout(r, typeof after === 'number' ? after : 500));
  child.kill(signal);
  const done = await child;
  return { runId, exitCode: done.exitCode, output: done.all ?? '' };
};

/** `stopMidRun` with SIGKILL: resolves with the run id of a controller that could not clean up. */
export const killMidRun = async (args: readonly string[]): Promise<string> => (await stopMidRun(args, 'SIGKILL')).runId;

/** How many faults of this kind were injected (their start completed) in a run's history. */
export const faultsIn = (dir: string, f: string): number =>
  parseJsonlHistory(readFileSync(join(dir, 'history.jsonl'), 'utf8')).ops.filter(
    (o) => o.process === 'nemesis' && o.f === f && o.type !== 'invoke',
  ).length;

/** The nemesis events of a run's history (completed starts and stops). */
export const nemesisEvents = (dir: string) =>
  parseJsonlHistory(readFileSync(join(dir, 'history.jsonl'), 'utf8')).ops.filter(
    (o) => o.process === 'nemesis' && o.type !== 'invoke',
  );

/**
 * The smallest seed whose fault schedule (as a run draws it) uses every
 * fault of the nemesis file, whole, within `timeLimitMs`, so that one short run
 * exercises them all.
 */
export const seedCovering = async (nemesisFile: string, timeLimitMs: number, from = 1): Promise<number> => {
  const nemesis = nemesisSchema.parse((await readYamlFile(nemesisFile)).data);
  for (let seed = from; seed < from + 1000; seed++) {
    // Which faults are picked does not depend on the node count (their targets do).
    const planned = planFaults([ownLane(nemesis)], { seed, nodes: ['n1', 'n2', 'n3'], timeLimitMs });
    // Each fault whole (plans clip a fault at the time limit): one cut short by the end of the run may not have had time to do anything
    // (Sentinel needs seconds of isolation to fail over, more on a loaded machine).
    if (nemesis.faults.every((_, i) => planned.some((p) => p.faultIndex === i && p.healAtMs < timeLimitMs)))
      return seed;
  }
  throw new Error(
    `no seed in [${from}, ${from + 1000}) schedules every fault of ${nemesisFile} within ${timeLimitMs} ms`,
  );
};
