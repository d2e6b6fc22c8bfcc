import { describe, expect, test } from 'vitest';
import { startCluster } from './harness.ts';

const QUIET = ['--read-repair', 'off', '--hinted-handoff', 'off', '--anti-entropy-ms', '0'];
const flags = (r: number, w: number, ...more: string[]) => [
  '--topology',
  'leaderless',
  '--r',
  String(r),
  '--w',
  String(w),
  '--rpc-timeout-ms',
  '1000',
  ...more,
];

describe('leaderless quorums', () => {
  test('R+W>N reads the latest acknowledged write; R+W<=N can read a stale value', async () => {
    const [strict, sloppy] = await Promise.all([
      startCluster(3, flags(2, 2, ...QUIET), { links: true }),
      startCluster(3, flags(1, 2, ...QUIET), { links: true }),
    ]);
    for (const c of [strict, sloppy]) {
      c.partition({ n3: ['n1'] }); // n3 hears nothing from n1 (requests or replies)
      const w = await c.http('n1', 'PUT', '/kv/x', { value: 1 });
      expect(w).toMatchObject({ status: 200, body: { ok: true } });
    }
    expect((await strict.http('n3', 'GET', '/kv/x')).body.value).toBe(1);
    expect((await sloppy.http('n3', 'GET', '/kv/x')).body.value).toBe(null);
  });

  test('a write that reaches fewer than W replicas is not acknowledged, and may have happened', async () => {
    const c = await startCluster(3, flags(1, 3, ...QUIET), { links: true });
    c.partition({ n3: ['n1'] });
    const w = await c.http('n1', 'PUT', '/kv/x', { value: 1 });
    expect(w).toMatchObject({ status: 503, body: { error: 'quorum-unavailable', maybeApplied: true } });
    expect((await c.http('n1', 'GET', '/kv/x?local=1')).body.value).toBe(1);
  });

  test('hinted handoff delivers a missed write once the replica is reachable; without it the replica stays stale', async () => {
    const [hinted, plain] = await Promise.all([
      startCluster(3, flags(1, 2, '--read-repair', 'off', '--anti-entropy-ms', '0', '--hint-retry-ms', '100'), {
        links: true,
      }),
      startCluster(3, flags(1, 2, ...QUIET), { links: true }),
    ]);
    for (const c of [hinted, plain]) {
      c.isolate('n3');
      expect((await c.http('n1', 'POST', '/set/s/add', { element: 7 })).status).toBe(200);
    }
    // Heal only once n1's send to n3 has timed out, so n3 cannot get the write through it.
    await hinted.eventually(async () =>
      (((await hinted.status('n1'))?.hints as Record<string, number> | undefined)?.n3 ?? 0) > 0 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 1500));
    hinted.heal();
    plain.heal();
    const elements = await hinted.eventually(async () => {
      const r = await hinted.http('n3', 'GET', '/set/s?local=1');
      return (r.body.elements as number[]).length > 0 ? r.body.elements : undefined;
    });
    expect(elements).toEqual([7]);
    // n1 counts the hint delivered once n3's answer is back, which can come after n3 shows the element.
    const delivered = await hinted.eventually(async () => {
      const n = (await hinted.status('n1'))?.hintsDelivered as number | undefined;
      return n !== undefined && n > 0 ? n : undefined;
    });
    expect(delivered).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    expect((await plain.http('n3', 'GET', '/set/s?local=1')).body.elements).toEqual([]);
  });

  test('anti-entropy converges replicas after a partition heals', async () => {
    const c = await startCluster(
      3,
      flags(1, 1, '--read-repair', 'off', '--hinted-handoff', 'off', '--anti-entropy-ms', '100'),
      { links: true },
    );
    c.isolate('n3');
    expect((await c.http('n1', 'POST', '/counter/c/add', { delta: 4 })).status).toBe(200);
    expect((await c.http('n3', 'POST', '/counter/c/add', { delta: 1 })).status).toBe(200);
    c.heal();
    for (const id of ['n1', 'n2', 'n3']) {
      const v = await c.eventually(async () => {
        const r = await c.http(id, 'GET', '/counter/c?local=1');
        return r.body.value === 5 ? 5 : undefined;
      });
      expect(v).toBe(5);
    }
  });

  test('a read writes back what it returns to W replicas first, so the next read cannot go back in time', async () => {
    // R = W = 2 of 3; a long RPC timeout keeps the background repair (after every fetch settled) out of the way.
    const more = ['--hinted-handoff', 'off', '--anti-entropy-ms', '0', '--rpc-timeout-ms', '2500'];
    const [blocking, off] = await Promise.all([
      startCluster(3, [...flags(2, 2), ...more], { links: true }),
      startCluster(3, [...flags(2, 2), ...more, '--read-repair', 'off'], { links: true }),
    ]);
    const values = await Promise.all(
      [blocking, off].map(async (c) => {
        c.isolate('n1'); // the write stays on n1: not acknowledged, maybe applied
        expect((await c.http('n1', 'PUT', '/kv/x', { value: 1 }, 8000)).status).toBe(503);
        c.partition({ n1: ['n2'], n2: ['n1'] }); // n1 reaches n3 only
        const first = await c.http('n1', 'GET', '/kv/x', undefined, 8000); // n1 + n3: sees the write
        expect(first.body).toMatchObject({ value: 1 });
        return (await c.http('n2', 'GET', '/kv/x', undefined, 8000)).body.value; // n2 + n3
      }),
    );
    expect(values).toEqual([1, null]);
    expect((await blocking.status('n1'))?.readRepairs).toBeGreaterThan(0);
  });

  test('read repair brings the replicas a read consulted up to date', async () => {
    const c = await startCluster(3, flags(3, 1, '--hinted-handoff', 'off', '--anti-entropy-ms', '0'));
    await c.kill('n3');
    expect((await c.http('n1', 'POST', '/counter/c/add', { delta: 4 })).status).toBe(200);
    await c.start('n3');
    expect((await c.http('n3', 'GET', '/counter/c?local=1')).body.value).toBe(0);
    // R = 3: the read merges every replica, then repairs those that differ.
    const read = await c.http('n2', 'GET', '/counter/c');
    expect(read.body).toMatchObject({ value: 4 });
    const repaired = await c.eventually(async () => {
      const r = await c.http('n3', 'GET', '/counter/c?local=1');
      return r.body.value === 4 ? 4 : undefined;
    });
    expect(repaired).toBe(4);
    expect((await c.status('n2'))?.readRepairs).toBeGreaterThan(0);
  });
});
