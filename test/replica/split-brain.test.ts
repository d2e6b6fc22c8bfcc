import { describe, expect, test } from 'vitest';
import { startCluster } from './harness.ts';

// Longer election timeouts than FAST: under unsafe failover a heartbeat delayed by a loaded machine
// is enough for a follower to promote itself, which would muddle the scenario.
const flags = (failover: string) => [
  '--election-timeout-min-ms',
  '800',
  '--election-timeout-max-ms',
  '1600',
  '--heartbeat-ms',
  '50',
  '--replication',
  'async',
  '--replication-delay-ms',
  '0',
  '--failover',
  failover,
  '--request-timeout-ms',
  '1000',
  '--rpc-timeout-ms',
  '300',
];

describe('single-leader failover with the leader cut off by a partition', () => {
  test('unsafe: the cut-off leader keeps accepting writes next to a new leader (split brain), and loses them on heal', async () => {
    const c = await startCluster(3, flags('unsafe'), { links: true });
    const old = await c.waitForLeader();
    const term = (await c.status(old))?.term as number;
    c.isolate(old);
    // The majority side promotes a new leader without a vote (both of its nodes may, one after the
    // other: the write goes to whichever leads that side once it settles)...
    const majorityLeader = async () => {
      const others = await Promise.all(c.nodes.filter((n) => n.id !== old).map((n) => c.status(n.id)));
      const l = others.find((s) => s?.role === 'leader' && (s.term as number) > term);
      return l?.id as string | undefined;
    };
    await c.eventually(majorityLeader);
    // ...while the old one still believes it leads, and both acknowledge writes.
    expect((await c.status(old))?.role).toBe('leader');
    expect((await c.http(old, 'POST', '/set/s/add', { element: 'old' })).status).toBe(200);
    const written = await c.eventually(async () => {
      const next = await majorityLeader();
      if (next === undefined) return undefined;
      return (await c.http(next, 'POST', '/set/s/add', { element: 'new' })).status === 200 ? next : undefined;
    });
    expect(written).not.toBe(old);
    expect((await c.http(old, 'GET', '/set/s')).body.elements).toEqual(['old']);
    c.heal();
    // Terms order them once they talk again: the old leader steps down and its write is gone.
    const elements = await c.eventually(async () => {
      const s = await c.status(old);
      if (s?.role !== 'follower') return undefined;
      const r = await c.http(old, 'GET', '/set/s?local=1');
      return (r.body.elements as string[]).includes('new') ? r.body.elements : undefined;
    });
    expect(elements).toEqual(['new']);
  });

  test('safe: the cut-off leader steps down by itself and refuses writes; the majority elects a new one', async () => {
    const c = await startCluster(3, flags('safe'), { links: true });
    const old = await c.waitForLeader();
    const term = (await c.status(old))?.term as number;
    c.isolate(old);
    await c.eventually(async () => ((await c.status(old))?.role !== 'leader' ? true : undefined), 8000);
    const w = await c.http(old, 'POST', '/set/s/add', { element: 'old' });
    expect(w.status).toBe(421);
    expect(w.body.maybeApplied).toBe(false);
    const next = await c.waitForLeader({ exclude: [old], minTerm: term + 1, timeoutMs: 15_000 });
    expect((await c.http(next, 'POST', '/set/s/add', { element: 'new' })).status).toBe(200);
    c.heal();
    const elements = await c.eventually(async () => {
      const r = await c.http(old, 'GET', '/set/s?local=1');
      return (r.body.elements as string[]).length > 0 ? r.body.elements : undefined;
    });
    expect(elements).toEqual(['new']);
  });
});
