import { describe, expect, onTestFinished, test } from 'vitest';
import { blockedLegs, createLinkMesh, flowLegs } from '../../src/net/mesh.ts';
import { connect, sleep, startServer, waitFor } from './tcp-helpers.ts';

describe('grudge to proxy directions', () => {
  test('a node dropping traffic from another blocks that flow on both proxies that carry it', () => {
    expect(blockedLegs({ n1: ['n2'] })).toEqual([
      { from: 'n2', to: 'n1', direction: 'forward' }, // n2's requests to n1
      { from: 'n1', to: 'n2', direction: 'reverse' }, // n2's responses to n1's requests
    ]);
  });

  test('a node listed in its own grudge is ignored; an empty grudge blocks nothing', () => {
    expect(blockedLegs({ n1: ['n1'] })).toEqual([]);
    expect(blockedLegs({})).toEqual([]);
  });

  test('flowLegs names the two proxies a flow travels on', () => {
    expect(flowLegs('a', 'b').map((l) => `${l.from}->${l.to}:${l.direction}`)).toEqual([
      'a->b:forward',
      'b->a:reverse',
    ]);
  });
});

describe('link mesh', () => {
  const threeNodes = async () => {
    const servers = { n1: await startServer(), n2: await startServer(), n3: await startServer() };
    const mesh = await createLinkMesh({ nodes: ['n1', 'n2', 'n3'] });
    onTestFinished(() => mesh.close());
    for (const [id, s] of Object.entries(servers)) mesh.setTarget(id, { host: '127.0.0.1', port: s.port });
    return { servers, mesh };
  };
  const portOf = (addr: string) => Number(addr.split(':')[1]);

  test('one proxy per ordered pair, reachable through peersOf', async () => {
    const { servers, mesh } = await threeNodes();
    const peers = mesh.peersOf('n1');
    expect(Object.keys(peers).sort()).toEqual(['n2', 'n3']);
    expect(new Set([...Object.values(peers), ...Object.values(mesh.peersOf('n2'))]).size).toBe(4);
    const c = connect(portOf(peers.n3!));
    c.socket.write('to n3');
    await waitFor(() => servers.n3.received[0] === 'to n3', 'n3 to receive');
    expect(mesh.counters()['n1->n3']?.forward.bytes).toBe(5);
  });

  test('partition blocks exactly the grudge, a new partition replaces the old, heal clears it', async () => {
    const { servers, mesh } = await threeNodes();
    mesh.partition({ n3: ['n1'] }); // n3 drops traffic from n1
    const cut = connect(portOf(mesh.peersOf('n1').n3!));
    cut.socket.write('x');
    const open = connect(portOf(mesh.peersOf('n1').n2!));
    open.socket.write('y');
    await waitFor(() => servers.n2.received[0] === 'y', 'n1 -> n2 to flow');
    await sleep(200);
    expect(servers.n3.sockets).toHaveLength(0);
    expect(mesh.proxy('n3', 'n1').isBlocked('reverse')).toBe(true);
    expect(mesh.proxy('n3', 'n1').isBlocked('forward')).toBe(false);

    mesh.partition({ n2: ['n1'] });
    expect(mesh.proxy('n1', 'n3').isBlocked('forward')).toBe(false);
    expect(mesh.proxy('n1', 'n2').isBlocked('forward')).toBe(true);

    mesh.shape([{ from: 'n1', to: 'n3' }], { delayMs: 10 });
    mesh.heal();
    for (const [from, to] of [
      ['n1', 'n2'],
      ['n2', 'n1'],
      ['n1', 'n3'],
    ] as const) {
      expect(mesh.proxy(from, to).isBlocked('forward') || mesh.proxy(from, to).isBlocked('reverse')).toBe(false);
    }
    const after = connect(portOf(mesh.peersOf('n1').n2!));
    after.socket.write('z');
    await waitFor(() => servers.n2.received.includes('z'), 'n1 -> n2 after heal');
  });
});
