import { describe, expect, onTestFinished, test } from 'vitest';
import { replicaSystem } from '../../../src/systems/replica/system.ts';
import { FAST, freePorts, startCluster } from '../../replica/harness.ts';
import { addresses, open, signal } from './clients.ts';

describe('replica clients against a real 3-node cluster', () => {
  test('register, set, redirects, local reads, leader, status and clock', async () => {
    const c = await startCluster(3, [...FAST, '--replication', 'sync']);
    const leader = await c.waitForLeader();
    const follower = c.nodes.find((n) => n.id !== leader)!.id;

    expect(await replicaSystem.leader(addresses(c), signal())).toBe(leader);
    await replicaSystem.ready(addresses(c)[0]!, signal());

    const reg = await open(c, 'register', leader);
    expect(await reg.invoke({ f: 'read', key: 'k0', value: null }, signal())).toEqual({
      type: 'ok',
      value: null,
      node: leader,
    });
    expect(await reg.invoke({ f: 'write', key: 'k0', value: 3 }, signal())).toMatchObject({ type: 'ok' });
    expect(await reg.invoke({ f: 'cas', key: 'k0', value: [3, 4] }, signal())).toMatchObject({ type: 'ok' });
    expect(await reg.invoke({ f: 'cas', key: 'k0', value: [3, 5] }, signal())).toMatchObject({
      type: 'fail',
      error: 'cas-mismatch',
    });

    // A client bound to a follower is redirected once, and says which node served the op.
    const viaFollower = await open(c, 'register', follower);
    expect(await viaFollower.invoke({ f: 'read', key: 'k0', value: null }, signal())).toEqual({
      type: 'ok',
      value: 4,
      node: leader,
    });

    const set = await open(c, 'set', follower);
    for (const v of [5, 1, 3]) expect(await set.invoke({ f: 'add', value: v }, signal())).toMatchObject({ type: 'ok' });
    expect(await set.invoke({ f: 'read', value: null }, signal())).toEqual({
      type: 'ok',
      value: [1, 3, 5],
      node: leader,
    });

    // readFrom: local answers from the bound node's own state.
    const local = await open(c, 'set', follower, { options: { readFrom: 'local' } });
    const localRead = await c.eventually(async () => {
      const r = await local.invoke({ f: 'read', value: null }, signal());
      return (r.value as number[]).length === 3 ? r : undefined;
    });
    expect(localRead).toEqual({ type: 'ok', value: [1, 3, 5], node: follower });

    const node = addresses(c).find((n) => n.id === follower)!;
    await replicaSystem.setClock!(node, -2500, signal());
    const status = await replicaSystem.status!(node, signal());
    expect(status).toMatchObject({ id: follower, role: 'follower', leader, clockOffsetMs: -2500 });
  });

  test('an unanswered write is info, an unanswered read is fail, a refused connection is fail', async () => {
    const c = await startCluster(1, FAST);
    const leader = await c.waitForLeader();
    const reg = await open(c, 'register', leader, { timeoutMs: 500 });
    c.signal(leader, 'SIGSTOP');
    expect(await reg.invoke({ f: 'write', key: 'k', value: 1 }, signal())).toMatchObject({
      type: 'info',
      error: 'timeout',
    });
    expect(await reg.invoke({ f: 'read', key: 'k', value: null }, signal())).toMatchObject({ type: 'fail' });
    await c.kill(leader);
    const [port] = await freePorts(1);
    const nowhere = await replicaSystem.openClient(
      'register',
      { id: 'n9', host: '127.0.0.1', port: port!, ports: { main: port! } },
      {
        timeoutMs: 500,
        nodes: [],
        options: {},
      },
    );
    onTestFinished(() => nowhere.close());
    expect(await nowhere.invoke({ f: 'write', key: 'k', value: 1 }, signal())).toMatchObject({
      type: 'fail',
      error: 'connection refused',
    });
  });

  test('counter workload, and version-vector siblings returned as an array then resolved with the context', async () => {
    const c = await startCluster(
      2,
      ['--topology', 'multi-leader', '--conflicts', 'version-vectors', '--replication-delay-ms', '50'],
      {
        links: true,
      },
    );
    const counter = await open(c, 'counter', 'n1');
    expect(await counter.invoke({ f: 'add', value: 3 }, signal())).toMatchObject({ type: 'ok', node: 'n1' });
    expect(await counter.invoke({ f: 'add', value: -1 }, signal())).toMatchObject({ type: 'ok' });
    expect(await counter.invoke({ f: 'read', value: null }, signal())).toEqual({ type: 'ok', value: 2, node: 'n1' });

    const r1 = await open(c, 'register', 'n1');
    const r2 = await open(c, 'register', 'n2');
    c.partition({ n1: ['n2'], n2: ['n1'] });
    expect(await r1.invoke({ f: 'write', key: 'k', value: 1 }, signal())).toMatchObject({ type: 'ok' });
    expect(await r2.invoke({ f: 'write', key: 'k', value: 2 }, signal())).toMatchObject({ type: 'ok' });
    c.heal();
    const siblings = await c.eventually(async () => {
      const r = await r1.invoke({ f: 'read', key: 'k', value: null }, signal());
      return Array.isArray(r.value) ? r.value : undefined;
    });
    expect(siblings).toEqual([1, 2]);
    // r1 read both siblings, so its next write carries their context and supersedes them.
    expect(await r1.invoke({ f: 'write', key: 'k', value: 3 }, signal())).toMatchObject({ type: 'ok' });
    const v = await c.eventually(async () => {
      const r = await r2.invoke({ f: 'read', key: 'k', value: null }, signal());
      return r.value === 3 ? 3 : undefined;
    });
    expect(v).toBe(3);
  });

  test('unknown workloads and read modes are config errors', async () => {
    const node = { id: 'n1', host: '127.0.0.1', port: 1, ports: { main: 1 } };
    await expect(replicaSystem.openClient('queue', node, { timeoutMs: 1, nodes: [], options: {} })).rejects.toThrow(
      'system replica has no client for workload "queue"',
    );
    await expect(
      replicaSystem.openClient('set', node, { timeoutMs: 1, nodes: [], options: { readFrom: 'any' } }),
    ).rejects.toThrow('readFrom: expected leader, local or rotate');
  });
});
