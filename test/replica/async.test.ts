import { describe, expect, test } from 'vitest';
import { FAST, startCluster } from './harness.ts';

const asyncFlags = (delayMs: number) => [...FAST, '--replication', 'async', '--replication-delay-ms', String(delayMs)];

describe('single-leader, async replication', () => {
  test('followers receive a write only after the replication delay', async () => {
    const c = await startCluster(3, asyncFlags(1500));
    const leader = await c.waitForLeader();
    const follower = c.nodes.find((n) => n.id !== leader)!.id;
    const w = await c.http(leader, 'PUT', '/kv/x', { value: 7 });
    expect(w.status).toBe(200);
    // Acknowledged and readable on the leader at once...
    expect((await c.http(leader, 'GET', '/kv/x')).body.value).toBe(7);
    // ...but not yet on a follower.
    expect((await c.http(follower, 'GET', '/kv/x?local=1')).body.value).toBe(null);
    expect(((await c.status(follower))?.lastLogIndex as number) < (w.body.index as number)).toBe(true);
    const v = await c.eventually(async () => {
      const r = await c.http(follower, 'GET', '/kv/x?local=1');
      return r.body.value === 7 ? 7 : undefined;
    });
    expect(v).toBe(7);
  });

  test('a write acknowledged but not yet shipped is lost when the leader dies; the old leader truncates it on rejoining', async () => {
    const c = await startCluster(3, asyncFlags(2500));
    const old = await c.waitForLeader();
    const term = (await c.status(old))?.term as number;
    const w = await c.http(old, 'PUT', '/kv/x', { value: 1 });
    expect(w.status).toBe(200);
    expect((await c.http(old, 'GET', '/kv/x')).body.value).toBe(1);
    await c.kill(old);
    const next = await c.waitForLeader({ exclude: [old], minTerm: term + 1, timeoutMs: 10_000 });
    const lost = await c.eventually(async () => {
      const r = await c.http(next, 'GET', '/kv/x');
      return r.status === 200 ? r.body : undefined;
    });
    expect(lost.value).toBe(null);
    // A write in the new term, so the rejoining node's conflicting suffix must go.
    expect((await c.http(next, 'PUT', '/kv/y', { value: 2 })).status).toBe(200);
    await c.start(old);
    await c.eventually(async () => {
      const r = await c.http(old, 'GET', '/kv/y?local=1');
      return r.body.value === 2 ? true : undefined;
    });
    expect((await c.http(old, 'GET', '/kv/x?local=1')).body.value).toBe(null);
    expect(c.node(old).output).toMatch(/truncating \d+ entries from index \d+/);
  });

  test('a paused leader that resumes rolls back the writes it applied but never shipped', async () => {
    const c = await startCluster(3, asyncFlags(2500));
    const old = await c.waitForLeader();
    const term = (await c.status(old))?.term as number;
    await c.eventually(async () => ((await c.status(old))?.commitIndex as number) >= 1 || undefined);
    expect((await c.http(old, 'POST', '/set/s/add', { element: 1 })).status).toBe(200);
    expect((await c.http(old, 'GET', '/set/s?local=1')).body.elements).toEqual([1]);
    c.signal(old, 'SIGSTOP');
    const next = await c.waitForLeader({ exclude: [old], minTerm: term + 1, timeoutMs: 10_000 });
    expect((await c.http(next, 'POST', '/set/s/add', { element: 2 })).status).toBe(200);
    c.signal(old, 'SIGCONT');
    // Once the new leader's entries reach it, the old leader's state is rebuilt without element 1.
    const elements = await c.eventually(async () => {
      const r = await c.http(old, 'GET', '/set/s?local=1');
      return (r.body.elements as number[]).includes(2) ? r.body.elements : undefined;
    });
    expect(elements).toEqual([2]);
    expect(c.node(old).output).toMatch(/were applied: acknowledged writes lost/);
  });
});
