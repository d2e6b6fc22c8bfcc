import { describe, expect, test } from 'vitest';
import { replicaSystem } from '../../../src/systems/replica/system.ts';
import { FAST, startCluster } from '../../replica/harness.ts';
import { open, signal } from './clients.ts';

/**
 * The replica pieces the session, bank and split-brain checks rely on, on
 * real clusters: a transfer is one atomic log entry, acknowledgements carry
 * the leader's term, reads can rotate over the replicas, and a final-phase
 * client reads a node's own state.
 */
const bankOptions = { accounts: ['a0', 'a1', 'a2'], initialBalance: 10 };

describe('replica: bank, terms, rotating and node-local reads', () => {
  test('single-leader: transfers are atomic, refused when funds are short, and every read adds up', async () => {
    const c = await startCluster(3, [...FAST, '--replication', 'sync']);
    const leader = await c.waitForLeader();
    const follower = c.nodes.find((n) => n.id !== leader)!.id;
    const bank = await open(c, 'bank', follower, { options: bankOptions });
    const first = await bank.invoke({ f: 'transfer', value: { from: 'a0', to: 'a1', amount: 4 } }, signal());
    expect(first).toMatchObject({ type: 'ok', node: leader, term: expect.any(Number) });
    expect(await bank.invoke({ f: 'transfer', value: { from: 'a2', to: 'a0', amount: 11 } }, signal())).toMatchObject({
      type: 'fail',
      error: 'insufficient-funds',
    });
    expect(await bank.invoke({ f: 'read', value: null }, signal())).toEqual({
      type: 'ok',
      value: { a0: 6, a1: 14, a2: 10 },
      node: leader,
    });
    // The final phase's node-local read: the follower's own state, once it caught up.
    const local = await open(c, 'bank', follower, { options: bankOptions, localReads: true });
    const own = await c.eventually(async () => {
      const r = await local.invoke({ f: 'read', value: null }, signal());
      return (r.value as Record<string, number>).a0 === 6 ? r : undefined;
    });
    expect(own).toEqual({ type: 'ok', value: { a0: 6, a1: 14, a2: 10 }, node: follower });
  });

  test('topologies without a log refuse transfers: every bank op fails', async () => {
    const c = await startCluster(2, ['--topology', 'multi-leader'], { links: true });
    const bank = await open(c, 'bank', 'n1', { options: bankOptions });
    expect(await bank.invoke({ f: 'transfer', value: { from: 'a0', to: 'a1', amount: 1 } }, signal())).toMatchObject({
      type: 'fail',
      error: 'bad-request',
    });
    expect(await bank.invoke({ f: 'read', value: null }, signal())).toMatchObject({ type: 'fail' });
  });

  test('readFrom: rotate sends reads to each node in turn; writes stay with the bound node (and its leader)', async () => {
    const c = await startCluster(3, [...FAST, '--replication', 'async', '--reads', 'any']);
    const leader = await c.waitForLeader();
    const reg = await open(c, 'register', leader, { options: { readFrom: 'rotate' } });
    expect(await reg.invoke({ f: 'write', key: 'k', value: 1 }, signal())).toMatchObject({ type: 'ok', node: leader });
    const served = new Set<string>();
    for (let i = 0; i < 3; i++)
      served.add(String((await reg.invoke({ f: 'read', key: 'k', value: null }, signal())).node));
    expect([...served].sort()).toEqual(['n1', 'n2', 'n3']);
  });

  test('reads ryw: a write lost in a failover is never read without by its writer — the read fails — even after it wrote another key', async () => {
    // Async with a 3 s replication delay: the followers cannot have the write when its leader dies.
    const c = await startCluster(3, [
      ...FAST,
      '--replication',
      'async',
      '--replication-delay-ms',
      '3000',
      '--reads',
      'ryw',
    ]);
    const leader = await c.waitForLeader();
    const bound = c.nodes.find((n) => n.id !== leader)!.id;
    const reg = await open(c, 'register', bound);
    expect(await reg.invoke({ f: 'write', key: 'k', value: 1 }, signal())).toMatchObject({ type: 'ok', node: leader });
    await c.kill(leader);
    const next = await c.waitForLeader({ exclude: [leader] });
    expect(await reg.invoke({ f: 'read', key: 'k', value: null }, signal())).toMatchObject({
      type: 'fail',
      error: 'ryw-write-lost',
      node: next,
    });
    // A write of another key under the new leader does not make the lost one readable without it.
    expect(await reg.invoke({ f: 'write', key: 'j', value: 2 }, signal())).toMatchObject({ type: 'ok', node: next });
    expect(await reg.invoke({ f: 'read', key: 'j', value: null }, signal())).toMatchObject({ type: 'ok', value: 2 });
    expect(await reg.invoke({ f: 'read', key: 'k', value: null }, signal())).toMatchObject({
      type: 'fail',
      error: 'ryw-write-lost',
    });
    // The write is gone for everyone (a client without its position reads the initial state) ...
    const other = await open(c, 'register', bound);
    expect(await other.invoke({ f: 'read', key: 'k', value: null }, signal())).toMatchObject({
      type: 'ok',
      value: null,
    });
    // ... until the session writes the key again.
    expect(await reg.invoke({ f: 'write', key: 'k', value: 3 }, signal())).toMatchObject({ type: 'ok' });
    expect(await reg.invoke({ f: 'read', key: 'k', value: null }, signal())).toMatchObject({ type: 'ok', value: 3 });
  });

  test('bank clients need their accounts', async () => {
    const node = { id: 'n1', host: '127.0.0.1', port: 1, ports: { main: 1 } };
    await expect(replicaSystem.openClient('bank', node, { timeoutMs: 1, nodes: [], options: {} })).rejects.toThrow(
      'the bank client needs options.accounts',
    );
  });
});
