import { describe, expect, test } from 'vitest';
import type { TestCluster } from './harness.ts';
import { startCluster } from './harness.ts';

const flags = (conflicts: string) => [
  '--topology',
  'multi-leader',
  '--conflicts',
  conflicts,
  '--replication-delay-ms',
  '50',
];

/** Waits until every node answers `path` locally with the same body field. */
const converged = (c: TestCluster, path: string, field: string) =>
  c.eventually(async () => {
    const values = await Promise.all(
      c.nodes.map(async (n) => JSON.stringify((await c.http(n.id, 'GET', path)).body[field])),
    );
    return values.every((v) => v === values[0]) ? (JSON.parse(values[0]!) as unknown) : undefined;
  });

describe('multi-leader', () => {
  test('every node accepts writes and they reach the others', async () => {
    const c = await startCluster(3, flags('crdt'));
    for (const n of c.nodes) {
      const r = await c.http(n.id, 'POST', '/set/s/add', { element: n.id });
      expect(r).toMatchObject({ status: 200, body: { ok: true, node: n.id } });
    }
    expect(await converged(c, '/set/s', 'elements')).toEqual(['n1', 'n2', 'n3']);
    const s = await c.status('n1');
    expect(s).toMatchObject({ role: 'peer', leader: null, topology: 'multi-leader' });
  });

  test('lww: a node whose clock is behind loses its later write', async () => {
    const c = await startCluster(2, flags('lww'));
    expect((await c.http('n1', 'POST', '/admin/clock', { offsetMs: -60_000 })).status).toBe(200);
    expect((await c.http('n2', 'PUT', '/kv/x', { value: 'first' })).status).toBe(200);
    expect(await converged(c, '/kv/x', 'value')).toBe('first');
    // Acknowledged after the first one, in real time — but stamped a minute earlier.
    expect((await c.http('n1', 'PUT', '/kv/x', { value: 'second' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await converged(c, '/kv/x', 'value')).toBe('first');
    expect((await c.status('n1'))?.clockOffsetMs).toBe(-60_000);
  });

  test('version vectors keep concurrent writes as siblings, and a write with their context resolves them', async () => {
    const c = await startCluster(2, flags('version-vectors'), { links: true });
    c.partition({ n1: ['n2'], n2: ['n1'] });
    expect((await c.http('n1', 'PUT', '/kv/x', { value: 1 })).status).toBe(200);
    expect((await c.http('n2', 'PUT', '/kv/x', { value: 2 })).status).toBe(200);
    c.heal();
    expect(await converged(c, '/kv/x', 'siblings')).toEqual([1, 2]);
    const read = await c.http('n1', 'GET', '/kv/x');
    expect(read.body).toMatchObject({ value: [1, 2], siblings: [1, 2] });
    expect(read.body.context).toEqual({ n1: 1, n2: 1 });
    expect((await c.http('n2', 'PUT', '/kv/x', { value: 3, context: read.body.context })).status).toBe(200);
    expect(await converged(c, '/kv/x', 'value')).toBe(3);
  });

  test('crdt: concurrent counter increments on every node add up, and an OR-set keeps a concurrent re-add', async () => {
    const c = await startCluster(3, flags('crdt'), { links: true });
    c.partition({ n1: ['n2', 'n3'], n2: ['n1', 'n3'], n3: ['n1', 'n2'] });
    const adds = await Promise.all(
      c.nodes.flatMap((n, i) => [1, 2, 3].map(() => c.http(n.id, 'POST', '/counter/c/add', { delta: i + 1 }))),
    );
    expect(adds.every((r) => r.status === 200)).toBe(true);
    expect((await c.http('n1', 'POST', '/counter/c/add', { delta: -2 })).status).toBe(200);
    // OR-set: n1 removes "e" while n2 (not having seen the remove) adds it again: the add survives.
    expect((await c.http('n1', 'POST', '/set/s/add', { element: 'e' })).status).toBe(200);
    expect((await c.http('n1', 'POST', '/set/s/remove', { element: 'e' })).status).toBe(200);
    expect((await c.http('n2', 'POST', '/set/s/add', { element: 'e' })).status).toBe(200);
    c.heal();
    expect(await converged(c, '/counter/c', 'value')).toBe(3 * (1 + 2 + 3) - 2);
    expect(await converged(c, '/set/s', 'elements')).toEqual(['e']);
  });

  test('a restarted node gets what it missed and ships what it kept', async () => {
    const c = await startCluster(2, flags('crdt'));
    await c.kill('n2');
    expect((await c.http('n1', 'POST', '/counter/c/add', { delta: 5 })).status).toBe(200);
    await c.start('n2');
    expect((await c.http('n2', 'POST', '/counter/c/add', { delta: 1 })).status).toBe(200);
    expect(await converged(c, '/counter/c', 'value')).toBe(6);
  });
});
