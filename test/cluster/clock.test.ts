import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { sleep } from '../../src/base/time.ts';
import type { Backend } from '../../src/cluster/backend.ts';
import { clockOffsetOf, createToySystem } from '../fixtures/toy-system.ts';
import { binaryMissing, dockerMissing, rootMissing, skipWithout } from '../support/environment.ts';
import { upDocker, upLocal } from './connectivity.ts';

/**
 * A clock fault shifts the wall clock that a node's process reads, for a
 * system with no clock API of its own (the toy node without setClock):
 * libfaketime on both backends, changed during the run; and a drift makes
 * it run fast.
 */
const checkClock = async (backend: Backend) => {
  const [n1, n2] = backend.addresses();
  const near = async (node: typeof n1, want: number) =>
    expect(Math.abs((await clockOffsetOf(node!)) - want)).toBeLessThan(1500);
  await near(n1, 0);
  await backend.clock('n1', 3_600_000);
  await near(n1, 3_600_000);
  await near(n2, 0); // only the target moves
  await backend.clock('n1', -90_000); // changed during the run
  await near(n1, -90_000);
  // A restart keeps the node's setting (the file outlives the process).
  await backend.kill('n1');
  await backend.start('n1', AbortSignal.timeout(60_000));
  await near(n1, -90_000);
  await backend.clock('n1', 0);
  await near(n1, 0);
};

/** A drift: from now on the clock runs at twice the real pace, without a jump, and keeps drifting across a restart. */
const checkDrift = async (backend: Backend) => {
  const [n1, n2] = backend.addresses();
  await backend.clock('n1', { offsetMs: 5000, rate: 2 });
  const t1 = Date.now();
  const first = await clockOffsetOf(n1!);
  expect(Math.abs(first - 5000)).toBeLessThan(1500); // no jump: about the offset it was given
  await sleep(2000);
  const later = await clockOffsetOf(n1!);
  // Twice the real pace: it gains about as much as the time that passed (however long a loaded machine took).
  const elapsed = Date.now() - t1;
  expect(later - first).toBeGreaterThan(elapsed * 0.5);
  expect(later - first).toBeLessThan(elapsed * 1.5 + 1000);
  await backend.kill('n1');
  await backend.start('n1', AbortSignal.timeout(60_000));
  expect(await clockOffsetOf(n1!)).toBeGreaterThan(later - 500); // not reset by the restart
  expect(Math.abs(await clockOffsetOf(n2!))).toBeLessThan(1500);
  await backend.clock('n1', 0);
  expect(Math.abs(await clockOffsetOf(n1!))).toBeLessThan(1500);
  // Healed means it stopped drifting too (libfaketime keeps a rate until told x1).
  await sleep(1500);
  expect(Math.abs(await clockOffsetOf(n1!))).toBeLessThan(1000);
};

const noFaketime = () => skipWithout('faketime', binaryMissing('faketime', 'faketime'));

describe.skipIf(noFaketime())('clock faults through libfaketime, local backend', () => {
  test('shifts the clock a node process reads, for a system without setClock, and drifts it', async () => {
    const { backend } = await upLocal(createToySystem({ clock: false }), ['n1', 'n2'], { faults: ['clock', 'kill'] });
    const killed = backend.pids().n1!;
    expect(existsSync(`/dev/shm/faketime_shm_${killed}`)).toBe(true); // libfaketime made it; the kill must not leave it
    await checkClock(backend);
    await checkDrift(backend);
    // libfaketime's per-process shared memory does not outlive a killed node process.
    expect(existsSync(`/dev/shm/faketime_shm_${killed}`)).toBe(false);
    expect(existsSync(`/dev/shm/sem.faketime_sem_${killed}`)).toBe(false);
  }, 120_000);
});

describe.skipIf(noFaketime() || skipWithout('docker', dockerMissing()) || skipWithout('root', rootMissing()))(
  'clock faults through libfaketime, docker backend',
  () => {
    test('shifts the clock a node process reads, for a system without setClock, and drifts it', async () => {
      const { backend } = await upDocker(createToySystem({ clock: false }), ['n1', 'n2'], {
        faults: ['clock', 'kill'],
      });
      await checkClock(backend);
      await checkDrift(backend);
    }, 120_000);
  },
);
