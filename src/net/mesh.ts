import type { NodeId } from '../base/ids.ts';
import type { Random } from '../base/random.ts';
import type { Grudge, Link, LinkShape } from './links.ts';
import { createLinkProxy, type Direction, type LinkCounters, type LinkProxy, type ProxyTarget } from './proxy.ts';

/**
 * The link layer of the local backend: one proxy per ordered pair of nodes
 * (n1→n2 is the address n1 dials to reach n2). Faults are stated in terms of
 * traffic flows — "bytes sent by A to B" — and every flow travels on two
 * proxies: as requests on A→B (its forward direction) and as responses on
 * B→A (its reverse direction). Blocking a flow blocks both, so a grudge cuts
 * exactly what an iptables DROP on the receiver would.
 */

export interface LinkMeshOptions {
  nodes: readonly NodeId[];
  host?: string;
  random?: Pick<Random, 'next'>;
  retransmitMs?: number;
}

export interface LinkMesh {
  readonly nodes: readonly NodeId[];
  /** "host:port" of each proxy `node` dials to reach each peer: the `peers` of its LaunchContext. */
  peersOf(node: NodeId): Record<NodeId, string>;
  /** Where the proxies toward `node` forward to (its listening address). */
  setTarget(node: NodeId, target: ProxyTarget): void;
  /** Replace the current blackholes with this grudge (shapes stay). */
  partition(grudge: Grudge): void;
  /** Shape the traffic that flows along each link (from → to); an empty shape removes shaping. */
  shape(links: readonly Link[], shape: LinkShape): void;
  /** Remove every blackhole and shape. */
  heal(): void;
  /** Counters per link, keyed "from->to". */
  counters(): Record<string, LinkCounters>;
  proxy(from: NodeId, to: NodeId): LinkProxy;
  close(): Promise<void>;
}

export const linkKey = (from: NodeId, to: NodeId): string => `${from}->${to}`;

/** One direction of one proxy. */
export interface FlowLeg {
  from: NodeId;
  to: NodeId;
  direction: Direction;
}

/** The two proxy directions that carry bytes sent by `sender` to `receiver`. */
export const flowLegs = (sender: NodeId, receiver: NodeId): FlowLeg[] => [
  { from: sender, to: receiver, direction: 'forward' },
  { from: receiver, to: sender, direction: 'reverse' },
];

/** Every proxy direction a grudge blocks: for A dropping traffic from B, the flow B → A. Pure. */
export const blockedLegs = (grudge: Grudge): FlowLeg[] =>
  Object.entries(grudge).flatMap(([receiver, senders]) =>
    senders.filter((sender) => sender !== receiver).flatMap((sender) => flowLegs(sender, receiver)),
  );

export const createLinkMesh = async (options: LinkMeshOptions): Promise<LinkMesh> => {
  const { nodes } = options;
  const proxies = new Map<string, LinkProxy>();
  const close = async () => {
    await Promise.allSettled([...proxies.values()].map((p) => p.close()));
  };
  try {
    for (const from of nodes) {
      for (const to of nodes) {
        if (from === to) continue;
        const proxy = await createLinkProxy({
          link: { from, to },
          // A placeholder until the node's port is known: a closed port, so a
          // premature dial is refused rather than sent somewhere else.
          target: { host: options.host ?? '127.0.0.1', port: 1 },
          ...(options.host ? { host: options.host } : {}),
          ...(options.random ? { random: options.random } : {}),
          ...(options.retransmitMs !== undefined ? { retransmitMs: options.retransmitMs } : {}),
        });
        proxies.set(linkKey(from, to), proxy);
      }
    }
  } catch (e) {
    await close();
    throw e;
  }

  const get = (from: NodeId, to: NodeId): LinkProxy => {
    const p = proxies.get(linkKey(from, to));
    if (!p) throw new Error(`no link ${linkKey(from, to)} among nodes ${nodes.join(', ')}`);
    return p;
  };

  const setAllBlocked = (legs: readonly FlowLeg[]) => {
    const want = new Set(legs.map((l) => `${linkKey(l.from, l.to)}:${l.direction}`));
    // Block first, then unblock, so that moving from one partition to another
    // never opens a window in which both are healed.
    for (const value of [true, false]) {
      for (const p of proxies.values()) {
        for (const d of ['forward', 'reverse'] as const) {
          const on = want.has(`${linkKey(p.link.from, p.link.to)}:${d}`);
          if (on === value && p.isBlocked(d) !== on) p.setBlocked(d, on);
        }
      }
    }
  };

  return {
    nodes: [...nodes],
    peersOf(node) {
      const peers: Record<NodeId, string> = {};
      for (const to of nodes) if (to !== node) peers[to] = `${get(node, to).host}:${get(node, to).port}`;
      return peers;
    },
    setTarget(node, target) {
      for (const from of nodes) if (from !== node) get(from, node).setTarget(target);
    },
    partition(grudge) {
      setAllBlocked(blockedLegs(grudge));
    },
    shape(links, shape) {
      for (const { from, to } of links) {
        for (const leg of flowLegs(from, to)) get(leg.from, leg.to).setShape(leg.direction, shape);
      }
    },
    heal() {
      setAllBlocked([]);
      for (const p of proxies.values()) {
        p.setShape('forward', undefined);
        p.setShape('reverse', undefined);
      }
    },
    counters() {
      const out: Record<string, LinkCounters> = {};
      for (const [k, p] of proxies) out[k] = p.counters();
      return out;
    },
    proxy: get,
    close,
  };
};
