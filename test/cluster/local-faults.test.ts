import { describe, expect, test } from 'vitest';
import { canReach, clockOffsetOf, createToySystem, httpGet } from '../fixtures/toy-system.ts';
import { addressOf, expectFaultline, procState, upToyCluster } from './helpers.ts';

/** How long a peer call waits where a hang is expected. */
const HANG_MS = 500;

describe('local backend: faults', () => {
  test('nodes get their peers as proxy addresses, one per outgoing link', async () => {
    const { backend } = await upToyCluster();
    expect(await canReach(addressOf(backend, 'n1'), 'n2')).toBe(true);
    const counters = backend.linkCounters();
    expect(Object.keys(counters).sort()).toEqual(['n1->n2', 'n1->n3', 'n2->n1', 'n2->n3', 'n3->n1', 'n3->n2']);
    expect(counters['n1->n2']!.forward.bytes).toBeGreaterThan(0);
    expect(counters['n2->n1']!.connections).toBe(0);
  });

  test('a partitioned node cannot reach its peers while the others still can; heal restores it', async () => {
    const { backend } = await upToyCluster();
    const [n1, n2, n3] = ['n1', 'n2', 'n3'].map((id) => addressOf(backend, id));
    await backend.partition({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
    expect(await canReach(n1!, 'n2', HANG_MS)).toBe(false);
    expect(await canReach(n1!, 'n3', HANG_MS)).toBe(false);
    expect(await canReach(n2!, 'n1', HANG_MS)).toBe(false);
    expect(await canReach(n2!, 'n3')).toBe(true);
    expect(await canReach(n3!, 'n2')).toBe(true);
    // The calls hung because the proxies held them, not because a node was slow.
    const held = backend.linkCounters();
    expect(held['n1->n2']!.heldConnections).toBeGreaterThan(0);
    expect(held['n1->n2']!.forward.droppedBytes).toBeGreaterThan(0);
    expect(held['n2->n3']!.heldConnections).toBe(0);
    // The controller still reaches every node directly: only node-to-node links are cut.
    expect((await httpGet(n1!, '/ping')).status).toBe(200);

    // A new partition replaces the old one: only n3 drops n2's traffic.
    await backend.partition({ n3: ['n2'] });
    expect(await canReach(n1!, 'n2')).toBe(true);
    expect(await canReach(n2!, 'n3', HANG_MS)).toBe(false); // the request is dropped
    expect(await canReach(n3!, 'n2', HANG_MS)).toBe(false); // the reply is dropped
    expect(await canReach(n1!, 'n3')).toBe(true);

    await backend.heal();
    expect(await canReach(n2!, 'n3')).toBe(true);
    expect(await canReach(n3!, 'n2')).toBe(true);
  });

  test('shape slows a link in both directions of its flow; heal removes it', async () => {
    const flags = { n1: ['--peer-timeout-ms', '5000'] };
    const { backend } = await upToyCluster({ system: createToySystem({ flags }) });
    const n1 = addressOf(backend, 'n1');
    await backend.shape(
      [
        { from: 'n1', to: 'n2' },
        { from: 'n2', to: 'n1' },
      ],
      { delayMs: 100 },
    );
    let t0 = performance.now();
    expect(await canReach(n1, 'n2')).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200 - 2); // request and reply each delayed
    t0 = performance.now();
    expect(await canReach(n1, 'n3')).toBe(true); // unshaped link
    await backend.heal();
    expect(await canReach(n1, 'n2')).toBe(true);
    await expectFaultline(backend.shape([{ from: 'n1', to: 'n9' }], { delayMs: 1 }), 'FL_ERR_CONFIG');
    await expectFaultline(backend.shape([{ from: 'n1', to: 'n2' }], { loss: 2 }), 'FL_ERR_CONFIG');
  });

  test('pause stops a node answering (SIGSTOP); resume brings it back', async () => {
    const { backend } = await upToyCluster({ nodes: ['n1', 'n2'] });
    const n1 = addressOf(backend, 'n1');
    await backend.pause('n1');
    const pid = backend.pids().n1!;
    for (let i = 0; i < 100 && procState(pid) !== 'T'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(procState(pid)).toBe('T'); // stopped
    expect(backend.isRunning('n1')).toBe(true);
    await expect(httpGet(n1, '/ping', { timeoutMs: 300 })).rejects.toThrow(/timed out/);
    await backend.resume('n1');
    expect((await httpGet(n1, '/ping')).body).toBe('pong n1');
  });

  test('clock delegates to the system when it has setClock (its process clock stays real)', async () => {
    const { backend } = await upToyCluster({ nodes: ['n1'] });
    await backend.clock('n1', 1500);
    const n1 = addressOf(backend, 'n1');
    expect((await httpGet(n1, '/clock')).body).toBe('1500');
    expect(Math.abs(await clockOffsetOf(n1))).toBeLessThan(1000);
  });

  test('a clock fault on a node the spec planned no clock faults for is refused, not silently ignored', async () => {
    const { backend } = await upToyCluster({
      nodes: ['n1'],
      system: createToySystem({ clock: false }),
      faults: ['kill'],
    });
    const e = await expectFaultline(backend.clock('n1', 10), 'FL_ERR_UNSUPPORTED');
    expect(e.message).toContain('started without libfaketime');
  });

  test('a grudge naming an unknown node is rejected with FL_ERR_CONFIG before anything changes', async () => {
    const { backend } = await upToyCluster({ nodes: ['n1', 'n2'] });
    const e = await expectFaultline(backend.partition({ n1: ['n7'] }), 'FL_ERR_CONFIG');
    expect(e.message).toContain('unknown node "n7"');
    expect(await canReach(addressOf(backend, 'n1'), 'n2')).toBe(true);
    await expectFaultline(backend.kill('n5'), 'FL_ERR_CONFIG');
  });
});
