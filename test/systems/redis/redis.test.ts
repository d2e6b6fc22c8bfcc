import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { failureCompletion, type Progress, runOp } from '../../../src/systems/redis/client.ts';
import { directConnection } from '../../../src/systems/redis/connection.ts';
import { redisSystem } from '../../../src/systems/redis/system.ts';
import type { NodeAddress } from '../../../src/systems/system.ts';
import { binaryMissing, skipWithout } from '../../support/environment.ts';
import { eventually, openClient, signal, upLocalCluster } from '../local-cluster.ts';

const missing = binaryMissing('redis-server', 'redis-server') ?? binaryMissing('redis-sentinel', 'redis-sentinel');

/** A port nothing listens on. */
const closedPort = async (): Promise<number> => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
};

describe.skipIf(skipWithout('redis with sentinel', missing))('Redis with Sentinel against real servers', () => {
  test('clients, leader and status; every outcome under induced faults; a failover mid-request; two primaries', async () => {
    const { backend, addresses } = await upLocalCluster(redisSystem, { downAfterMs: 1000, failoverTimeoutMs: 3000 });
    const [n1, n2, n3] = addresses as [NodeAddress, NodeAddress, NodeAddress];
    expect(await redisSystem.leader(addresses, signal())).toBe('n1');
    const roles = await Promise.all(addresses.map((a) => redisSystem.status!(a, signal())));
    expect(roles.map((s) => s.role)).toEqual(['leader', 'follower', 'follower']);

    // ---- register and set through the primary, whichever node the client is bound to
    const reg = await openClient(redisSystem, 'register', n2, addresses);
    expect(await reg.invoke({ f: 'read', key: 'k0', value: null }, signal())).toEqual({
      type: 'ok',
      value: null,
      node: 'n1',
    });
    expect(await reg.invoke({ f: 'cas', key: 'k0', value: [null, 1] }, signal())).toMatchObject({ type: 'ok' });
    expect(await reg.invoke({ f: 'write', key: 'k0', value: 2 }, signal())).toMatchObject({ type: 'ok' });
    expect(await reg.invoke({ f: 'cas', key: 'k0', value: [1, 3] }, signal())).toMatchObject({
      type: 'fail',
      error: 'cas-mismatch',
    });
    expect(await reg.invoke({ f: 'cas', key: 'k0', value: [2, 3] }, signal())).toMatchObject({ type: 'ok' });
    expect(await reg.invoke({ f: 'read', key: 'k0', value: null }, signal())).toMatchObject({ type: 'ok', value: 3 });
    const set = await openClient(redisSystem, 'set', n3, addresses);
    for (const v of [5, 1, 3]) expect(await set.invoke({ f: 'add', value: v }, signal())).toMatchObject({ type: 'ok' });
    expect(await set.invoke({ f: 'read', value: null }, signal())).toEqual({
      type: 'ok',
      value: [1, 3, 5],
      node: 'n1',
    });
    const local = await openClient(redisSystem, 'set', n3, addresses, { options: { readFrom: 'local' } });
    expect(
      await eventually(async () => {
        const r = await local.invoke({ f: 'read', value: null }, signal());
        return (r.value as number[]).length === 3 ? r : undefined;
      }),
    ).toEqual({ type: 'ok', value: [1, 3, 5], node: 'n3' });

    // ---- a write to a replica is refused (READONLY): a definite fail
    const replica = directConnection(n2, 2000);
    try {
      await replica.connect();
      const progress: Progress = { state: 'none' };
      const mode = { wait: { replicas: 0, timeoutMs: 0 }, local: true };
      const error = await runOp(replica, 'register', { f: 'write', key: 'k0', value: 9 }, mode, progress).catch(
        (e: unknown) => e,
      );
      expect(failureCompletion(error, false, progress)).toMatchObject({ type: 'fail', error: /^READONLY/ });
    } finally {
      replica.disconnect();
    }

    // ---- WAIT: acknowledged by a replica → ok; no replica answers in time → info (applied on the primary only)
    const waiting = await openClient(redisSystem, 'set', n1, addresses, { cluster: { wait: 1, waitTimeoutMs: 300 } });
    expect(await waiting.invoke({ f: 'add', value: 7 }, signal())).toMatchObject({ type: 'ok' });
    await backend.pause('n2');
    await backend.pause('n3');
    try {
      expect(await waiting.invoke({ f: 'add', value: 8 }, signal())).toEqual({
        type: 'info',
        error: 'WAIT: 0 of 1 replicas acknowledged within 300 ms',
        node: 'n1',
      });
    } finally {
      await backend.resume('n3');
      await backend.resume('n2');
    }

    // ---- the primary paused: reads fail, writes time out (info); a write in flight when it is killed: info
    const connected = async (timeoutMs: number) => {
      const c = await openClient(redisSystem, 'register', n1, addresses, { timeoutMs });
      expect(await c.invoke({ f: 'read', key: 'k1', value: null }, signal())).toMatchObject({ type: 'ok', node: 'n1' });
      return c;
    };
    const [reader, writer, slow] = [await connected(800), await connected(800), await connected(20_000)];
    await backend.pause('n1');
    const inFlight = slow.invoke({ f: 'write', key: 'k1', value: 3 }, signal());
    expect(await reader.invoke({ f: 'read', key: 'k1', value: null }, signal())).toMatchObject({ type: 'fail' });
    expect(await writer.invoke({ f: 'write', key: 'k1', value: 2 }, signal())).toEqual({
      type: 'info',
      error: 'timeout',
      node: 'n1',
    });
    await backend.kill('n1');
    expect(await inFlight).toEqual({ type: 'info', error: 'connection closed', node: 'n1' });

    // ---- the sentinels promote a replica; clients follow it
    const promoted = await eventually(async () => {
      const l = await redisSystem.leader([n2, n3], signal());
      return l && l !== 'n1' ? l : undefined;
    });
    const after = await eventually(async () => {
      const r = await reg.invoke({ f: 'write', key: 'k2', value: 1 }, signal());
      return r.type === 'ok' ? r : undefined;
    });
    expect(after.node).toBe(promoted);

    // ---- the old primary returns as a primary with its own data: two primaries at once, until Sentinel demotes it
    await backend.start('n1', signal());
    const n1Status = await redisSystem.status!(n1, signal());
    const promotedStatus = await redisSystem.status!(addresses.find((a) => a.id === promoted)!, signal());
    expect([n1Status.role, promotedStatus.role]).toEqual(['leader', 'leader']);
    expect(await redisSystem.leader(addresses, signal())).toBe(promoted);
    const demoted = await eventually(async () => {
      const s = await redisSystem.status!(n1, signal());
      return s.role === 'follower' ? s : undefined;
    }, 40_000);
    // It follows the primary the sentinels name now (on a loaded machine a second failover may have moved it).
    const now = await eventually(() => redisSystem.leader(addresses, signal()));
    const nowAddress = addresses.find((a) => a.id === now)!;
    expect(now).not.toBe('n1');
    expect(demoted.primaryAddress).toBe(`${nowAddress.host}:${nowAddress.ports.redis}`);

    // ---- no sentinel reachable: the command is never sent, so fail
    const port = await closedPort();
    const nowhere = [{ id: 'x1', host: '127.0.0.1', port, ports: { redis: port, sentinel: port } }];
    const stranded = await openClient(redisSystem, 'register', nowhere[0]!, nowhere, { timeoutMs: 500 });
    expect(await stranded.invoke({ f: 'write', key: 'k0', value: 1 }, signal())).toEqual({
      type: 'fail',
      error: 'no connection to a primary',
    });
  }, 120_000);
});
