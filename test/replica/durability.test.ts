import { describe, expect, test } from 'vitest';
import { FAST, startCluster } from './harness.ts';

/** One node, so its WAL is the only copy; SIGKILL it after acknowledged writes, restart, read. */
const survivors = async (fsync: string, topology = 'single-leader'): Promise<number[]> => {
  const c = await startCluster(1, [...FAST, '--topology', topology, '--fsync', fsync, '--fsync-interval-ms', '60000']);
  if (topology === 'single-leader') await c.waitForLeader();
  for (let i = 1; i <= 5; i++) expect((await c.http('n1', 'POST', '/set/s/add', { element: i })).status).toBe(200);
  await c.kill('n1');
  await c.start('n1');
  if (topology === 'single-leader') await c.waitForLeader();
  return (await c.http('n1', 'GET', '/set/s')).body.elements as number[];
};

describe('WAL fsync policies under SIGKILL', () => {
  test('always: every acknowledged write survives', async () => {
    expect(await survivors('always')).toEqual([1, 2, 3, 4, 5]);
  });

  test('never (and interval, before its next flush): acknowledged writes are lost', async () => {
    const [never, interval, multi] = await Promise.all([
      survivors('never'),
      survivors('interval'),
      survivors('never', 'multi-leader'),
    ]);
    expect(never).toEqual([]);
    expect(interval).toEqual([]);
    expect(multi).toEqual([]);
  });
});
