import { describe, expect, test } from 'vitest';
import { FAST, startCluster } from './harness.ts';

const asyncFlags = (...more: string[]) => [
  ...FAST,
  '--replication',
  'async',
  '--replication-delay-ms',
  '1500',
  ...more,
];

describe('single-leader read modes', () => {
  test('reads any: a follower answers from its own, stale, state', async () => {
    const c = await startCluster(3, asyncFlags('--reads', 'any'));
    const leader = await c.waitForLeader();
    const follower = c.nodes.find((n) => n.id !== leader)!.id;
    expect((await c.http(leader, 'PUT', '/kv/x', { value: 1 })).status).toBe(200);
    const stale = await c.http(follower, 'GET', '/kv/x');
    expect(stale).toMatchObject({ status: 200, body: { value: null, node: follower } });
    await c.eventually(async () => ((await c.http(follower, 'GET', '/kv/x')).body.value === 1 ? true : undefined));
  });

  test('reads ryw: a follower answers once it has applied the client write, else redirects to the leader', async () => {
    const c = await startCluster(3, asyncFlags('--reads', 'ryw', '--ryw-wait-ms', '300'));
    const leader = await c.waitForLeader();
    const follower = c.nodes.find((n) => n.id !== leader)!.id;
    const w = await c.http(leader, 'PUT', '/kv/x', { value: 1 });
    const after = w.body.index as number;
    // Not replicated within 300 ms (the delay is 1.5 s): redirect.
    const early = await c.http(follower, 'GET', `/kv/x?after=${after}`);
    expect(early).toMatchObject({ status: 421, body: { error: 'not-leader', leader } });
    // Without a position the follower answers from its own state.
    expect((await c.http(follower, 'GET', '/kv/x')).body).toMatchObject({ value: null, node: follower });
    // Once replicated, the follower serves the client its own write.
    const late = await c.eventually(async () => {
      const r = await c.http(follower, 'GET', `/kv/x?after=${after}`);
      return r.status === 200 ? r.body : undefined;
    });
    expect(late).toMatchObject({ value: 1, node: follower });
    // With the write's term too; malformed positions are refused, naming the parameter.
    const term = w.body.term as number;
    expect(await c.http(follower, 'GET', `/kv/x?after=${after}&afterTerm=${term}`)).toMatchObject({
      status: 200,
      body: { value: 1 },
    });
    expect(await c.http(follower, 'GET', `/kv/x?afterTerm=${term}`)).toMatchObject({
      status: 400,
      body: { message: '"afterTerm" needs "after"' },
    });
    expect((await c.http(follower, 'GET', `/kv/x?after=${after}&afterTerm=x`)).body.message).toBe(
      '"afterTerm" must be a term (an integer >= 0)',
    );
  });

  test('leader lease: a cut-off leader answers reads for a moment without a round; read-index cannot', async () => {
    const lease = await startCluster(3, [...FAST, '--leader-reads', 'lease', '--request-timeout-ms', '1000'], {
      links: true,
    });
    const index = await startCluster(3, [...FAST, '--leader-reads', 'index', '--request-timeout-ms', '1000'], {
      links: true,
    });
    const l1 = await lease.waitForLeader();
    const l2 = await index.waitForLeader();
    lease.isolate(l1);
    index.isolate(l2);
    const [withLease, withIndex] = await Promise.all([lease.http(l1, 'GET', '/kv/x'), index.http(l2, 'GET', '/kv/x')]);
    expect(withLease.status).toBe(200);
    expect(withIndex.status).not.toBe(200);
  });
});
