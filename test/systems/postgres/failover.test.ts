import { describe, expect, test } from 'vitest';
import { openPostgresClient } from '../../../src/systems/postgres/client.ts';
import { primaryConninfo, rewriteSyncNames } from '../../../src/systems/postgres/failover.ts';
import { lsnValue } from '../../../src/systems/postgres/probe.ts';
import { postgresSystem } from '../../../src/systems/postgres/system.ts';
import type { Client, Completion } from '../../../src/systems/system.ts';
import { skipWithout } from '../../support/environment.ts';
import { eventually, operatorFor, type PgCluster, postgresMissing, upPostgres } from './cluster.ts';

describe('failover settings', () => {
  test('the promoted node keeps the quorum size over the other nodes; async stays empty', () => {
    const nodes = ['n1', 'n2', 'n3'];
    expect(rewriteSyncNames('ANY 1 ("n2", "n3")', 'n2', nodes)).toBe('ANY 1 ("n1", "n3")');
    expect(rewriteSyncNames('ANY 2 ("n2", "n3")', 'n3', nodes)).toBe('ANY 2 ("n1", "n2")');
    expect(rewriteSyncNames('FIRST 1 (n2)', 'n2', nodes)).toBe('ANY 1 ("n1", "n3")');
    expect(rewriteSyncNames('', 'n2', nodes)).toBe('');
    expect(primaryConninfo('n3', 'n1')).toBe(
      'service=n3 user=postgres application_name=n1 sslmode=disable connect_timeout=5',
    );
  });
});

const signal = () => AbortSignal.timeout(10_000);
const stepNames = (steps: { f: string }[]) => steps.map((s) => s.f);

const setClient = (c: PgCluster, node: string, timeoutMs = 5000): Client =>
  openPostgresClient('set', c.node(node), { timeoutMs, nodes: c.backend.addresses(), options: {} });

const elementsOn = async (c: PgCluster, node: string): Promise<number[]> =>
  (await c.sql<{ element: string }>(node, 'SELECT element FROM set_elements ORDER BY element')).map((r) =>
    Number(r.element),
  );

describe.skipIf(skipWithout('postgresql', postgresMissing()))('postgres failover and rejoin', () => {
  test('the standby that received most is promoted (not the first by name), the other repointed; the old primary rejoins as a standby', async () => {
    const c = await upPostgres({ replication: 'sync' });
    const client = setClient(c, 'n1');
    // n2 falls behind: its link to n1 drops every byte (a paused n2 would still receive into its socket buffer).
    await c.backend.partition({ n1: ['n2'], n2: ['n1'] });
    const acked: number[] = [];
    for (let e = 1; e <= 20; e++)
      if ((await client.invoke({ f: 'add', value: e }, signal())).type === 'ok') acked.push(e);
    expect(acked).toHaveLength(20);
    await c.backend.kill('n1');
    await c.backend.heal();

    const { ctx, steps } = operatorFor(c, ['n1']);
    await postgresSystem.failover!(ctx);
    expect(stepNames(steps)).toEqual(['fence', 'choose', 'sync-standbys', 'promote', 'repoint', 'streaming']);
    expect(steps[0]!.value).toEqual({ node: 'n1', how: 'already down' });
    expect(steps[1]!.value).toMatchObject({ node: 'n3' });
    const positions = steps[1]!.value.positions as Record<string, { received: string }>;
    expect(lsnValue(positions.n3!.received)).toBeGreaterThan(lsnValue(positions.n2!.received));
    expect(steps[2]!.value).toEqual({ node: 'n3', before: 'ANY 1 ("n2", "n3")', after: 'ANY 1 ("n1", "n2")' });
    expect(steps[4]!.value).toEqual({ node: 'n2', to: 'n3' });
    expect(steps[5]!.value).toEqual({ primary: 'n3', standbys: ['n2'] });

    expect(await postgresSystem.leader(c.backend.addresses(), signal())).toBe('n3');
    expect(await postgresSystem.status!(c.node('n3'), signal())).toMatchObject({ role: 'leader', term: 2 });
    expect(await elementsOn(c, 'n3')).toEqual(acked); // every acknowledged commit survived
    // The new primary commits synchronously again (n2 confirms).
    expect((await client.invoke({ f: 'add', value: 21 }, signal())).type).toBe('ok');

    // Restarted, the old primary is re-cloned from n3 and streams from it: one primary, not two.
    await c.backend.start('n1', AbortSignal.timeout(180_000)); // a re-clone: generous on a loaded machine
    expect(await postgresSystem.status!(c.node('n1'), signal())).toMatchObject({ role: 'follower', standby: true });
    expect(await postgresSystem.leader(c.backend.addresses(), signal())).toBe('n3');
    await eventually('n1 streams from n3 and has every element', async () => {
      const replicas = (await postgresSystem.status!(c.node('n3'), signal())).replicas as { name: string }[];
      return replicas.some((r) => r.name === 'n1') && (await elementsOn(c, 'n1')).length === 21;
    });
    await client.close();
  }, 240_000);

  test('writes in flight when the primary dies end as info or fail within their deadline; later ones land on the new primary; no acknowledged write is lost (sync); a healthy primary is left alone, a paused one fenced', async () => {
    const c = await upPostgres({ replication: 'sync' });
    const clients = [setClient(c, 'n1', 1500), setClient(c, 'n2', 1500), setClient(c, 'n3', 1500)];
    const outcomes: (Completion & { element: number; ms: number })[] = [];
    let next = 0;
    let stop = false;
    const worker = async (client: Client) => {
      while (!stop) {
        const element = ++next;
        const started = performance.now();
        const r = await client.invoke({ f: 'add', value: element }, new AbortController().signal);
        outcomes.push({ ...r, element, ms: performance.now() - started });
      }
    };
    const workers = clients.map(worker);
    await new Promise((r) => setTimeout(r, 1000));
    await c.backend.kill('n1');
    const { ctx } = operatorFor(c, ['n1']);
    await postgresSystem.failover!(ctx);
    const promoted = await postgresSystem.leader(c.backend.addresses(), signal());
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(workers);

    expect(outcomes.filter((o) => o.ms > 1500 + 1000)).toEqual([]); // bounded (slack for a loaded machine)
    const after = outcomes.filter((o) => o.node === promoted && o.type === 'ok');
    expect(after.length).toBeGreaterThan(0);
    const unsure = outcomes.filter((o) => o.type !== 'ok');
    expect(unsure.length).toBeGreaterThan(0); // the kill did land mid-traffic
    const present = new Set(await elementsOn(c, promoted!));
    const lost = outcomes.filter((o) => o.type === 'ok' && !present.has(o.element));
    expect(lost).toEqual([]);
    // A failed add is certainly absent.
    expect(outcomes.filter((o) => o.type === 'fail' && present.has(o.element))).toEqual([]);
    for (const client of clients) await client.close();

    // The operator leaves a healthy primary alone ...
    const standby = ['n2', 'n3'].find((n) => n !== promoted)!;
    const healthy = operatorFor(c, [standby]);
    await postgresSystem.failover!(healthy.ctx);
    expect(healthy.steps).toEqual([]);
    // ... and fences a paused one (alive, silent) before promoting the last standby.
    await c.backend.pause(promoted!);
    const paused = operatorFor(c, [promoted!]);
    await postgresSystem.failover!(paused.ctx);
    expect(paused.steps[0]).toEqual({ f: 'fence', value: { node: promoted, how: 'killed now' } });
    expect(paused.steps.find((s) => s.f === 'promote')?.value).toEqual({ node: standby });
    expect(c.backend.isRunning(promoted!)).toBe(false);
    expect(await postgresSystem.leader(c.backend.addresses(), signal())).toBe(standby);
  }, 240_000);
});
