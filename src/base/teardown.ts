/**
 * A run-scoped teardown stack. Everything a run starts (node processes,
 * proxies, temp dirs, partitions) registers how to undo itself; `unwind`
 * undoes them in reverse order — heal before stopping nodes, stop nodes
 * before removing their data dirs — and uses allSettled so one failing step
 * never skips the rest. Unwinding is memoised: Ctrl-C during a normal
 * teardown waits for the same one.
 */
export interface Teardown {
  /** Register an undo step; returns a function that removes it (when the resource was released early). */
  push(label: string, undo: () => Promise<void> | void): () => void;
  /** Run every registered step, newest first. Resolves with the failures, never rejects. */
  unwind(): Promise<TeardownFailure[]>;
  readonly size: number;
}

export interface TeardownFailure {
  label: string;
  error: unknown;
}

export const createTeardown = (): Teardown => {
  type Step = { label: string; undo: () => Promise<void> | void };
  const steps: Step[] = [];
  let unwinding: Promise<TeardownFailure[]> | undefined;
  return {
    push(label, undo) {
      const step = { label, undo };
      steps.push(step);
      return () => {
        const i = steps.indexOf(step);
        if (i >= 0) steps.splice(i, 1);
      };
    },
    unwind() {
      unwinding ??= (async () => {
        const failures: TeardownFailure[] = [];
        // One at a time, newest first: order matters (heal before kill before rm).
        while (steps.length > 0) {
          const step = steps.pop()!;
          const [r] = await Promise.allSettled([Promise.resolve().then(step.undo)]);
          if (r?.status === 'rejected') failures.push({ label: step.label, error: r.reason });
        }
        return failures;
      })();
      return unwinding;
    },
    get size() {
      return steps.length;
    },
  };
};
