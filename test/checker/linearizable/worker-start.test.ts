import { describe, expect, it, vi } from 'vitest';
import { check } from '../../../src/checker/linearizable/check.ts';
import { independent, register } from '../../../src/checker/models/index.ts';
import { keyed, slowIllegal } from './helpers.ts';

// A worker thread that cannot start (say, its loader is missing): the only way to get one here
// is a Worker constructor that throws, so this file replaces it (for this file only).
vi.mock('node:worker_threads', async (original) => ({
  ...(await original<typeof import('node:worker_threads')>()),
  Worker: class {
    constructor() {
      throw new Error('no worker for you');
    }
  },
}));

describe('check when a worker thread cannot start', () => {
  it('fails with the reason instead of waiting forever for the partition that worker took', async () => {
    const slow = [...slowIllegal(16).map((o) => keyed(o, 'a')), ...slowIllegal(16).map((o) => keyed(o, 'b'))];
    // Before the fix the check awaited the lost partition with nothing left to wake it: node exited with 13.
    const outcome = await Promise.race([
      check(independent(register({ initial: 0 })), slow, { workers: 2, timeoutMs: 20_000 }).then(
        () => 'settled',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 15_000).unref()),
    ]);
    expect(outcome).toBe('no worker for you');
  });
});
