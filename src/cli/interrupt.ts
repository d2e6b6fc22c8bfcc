import { cleanupLeftovers } from '../cluster/registry.ts';

/**
 * Ctrl-C once: stop, heal, tear down, report. Twice: remove the leftovers of
 * the runs still going and exit now. Shared by `run` and the multi-run jobs.
 */
export const interruptOnSignals = (
  onFirst: () => void,
  runIds: () => readonly string[],
): { signal: AbortSignal; release: () => void } => {
  const controller = new AbortController();
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      onFirst();
      process.stderr.write(
        `\n${signal}: interrupting — healing faults, stopping nodes, writing the report (again to force)\n`,
      );
      controller.abort();
      return;
    }
    void Promise.allSettled(runIds().map((runId) => cleanupLeftovers({ runId, force: true }))).finally(() =>
      process.exit(130),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  const release = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  return { signal: controller.signal, release };
};
