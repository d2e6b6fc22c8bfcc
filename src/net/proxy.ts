import net from 'node:net';
import type { Random } from '../base/random.ts';
import type { Link, LinkShape } from './links.ts';

/**
 * A TCP proxy for one directed link between two nodes: node `from` connects
 * to the proxy's listener to reach node `to`. The controller can blackhole
 * or shape each direction of the link on its own:
 *
 * - `forward` carries the bytes `from` sends to `to` (requests),
 * - `reverse` carries the bytes `to` sends back to `from` (responses).
 *
 * Blackholing imitates an iptables DROP rule, so a partitioned peer sees a
 * hang, never a reset:
 *
 * - Bytes arriving in a blocked direction are read and thrown away, neither
 *   delivered nor buffered (buffering a long partition would grow without
 *   bound, and real DROP loses the packets too).
 * - A new connection while either direction is blocked is accepted (the
 *   kernel finishes the TCP handshake before Node sees the connection, so
 *   unlike a DROPped SYN the client's connect() succeeds) but the proxy does
 *   not connect upstream and delivers nothing: the client hangs on its first
 *   request. This is the closest a user-space proxy gets to a hanging
 *   connect.
 * - On heal, a connection that lost bytes (or a FIN) in some direction is
 *   reset at both ends, because its byte stream has a hole and cannot go on.
 *   Under real DROP the kernel would retransmit and the stream would resume,
 *   but only because TCP buffered the bytes; we chose not to buffer, so
 *   resetting is the honest outcome: both ends see an error, as they would
 *   after a TCP retransmission timeout. A connection that lost nothing (it
 *   was idle during the partition) carries on, as under iptables; a held new
 *   connection that lost nothing is then connected upstream, as a
 *   retransmitted SYN would be.
 *
 * Shaping delays each chunk by `delayMs` ± `jitterMs`, never letting a chunk
 * overtake an earlier one (TCP is a stream). TCP cannot lose a chunk without
 * corrupting the stream, so `loss` is modelled as what loss costs a TCP
 * connection: with probability `loss` a chunk is "retransmitted", delayed by
 * a retransmission timeout (200 ms by default, Linux's minimum RTO) that
 * doubles on each further loss of the same chunk; later chunks wait behind
 * it (head-of-line blocking).
 */

export type Direction = 'forward' | 'reverse';

export interface DirectionCounters {
  /** Bytes and chunks written to the receiving end. */
  bytes: number;
  chunks: number;
  /** Bytes and chunks thrown away because the direction was blocked. */
  droppedBytes: number;
  droppedChunks: number;
  /** Chunks that paid at least one simulated retransmission (loss). */
  retransmittedChunks: number;
}

export interface LinkCounters {
  /** Connections accepted by the listener. */
  connections: number;
  /** Connections accepted while the link was blocked (held without upstream). */
  heldConnections: number;
  /** Connections reset at heal because they lost bytes during a partition. */
  resetOnHeal: number;
  forward: DirectionCounters;
  reverse: DirectionCounters;
}

export interface ProxyTarget {
  host: string;
  port: number;
}

export interface LinkProxyOptions {
  link: Link;
  /** Where the proxy forwards to; can be changed later with `setTarget`. */
  target: ProxyTarget;
  /** Listen address; only loopback is used. Default 127.0.0.1. */
  host?: string;
  /** Seeded randomness for jitter and loss; default Math.random. */
  random?: Pick<Random, 'next'>;
  /** Delay of one simulated retransmission; default 200 ms (Linux's minimum RTO). */
  retransmitMs?: number;
}

export interface LinkProxy {
  readonly link: Link;
  /** The listener, "host:port" for `peers`. */
  readonly host: string;
  readonly port: number;
  setTarget(target: ProxyTarget): void;
  /** Block or unblock one direction; unblocking resets connections that lost bytes in it. */
  setBlocked(direction: Direction, blocked: boolean): void;
  isBlocked(direction: Direction): boolean;
  /** Shape one direction; `undefined` or an empty shape removes shaping. */
  setShape(direction: Direction, shape: LinkShape | undefined): void;
  /** A snapshot of the counters. */
  counters(): LinkCounters;
  /** Open connections (for tests and diagnostics). */
  readonly openConnections: number;
  /** Destroys every socket and the listener. Idempotent. */
  close(): Promise<void>;
}

const MAX_RETRANSMITS = 6;

const emptyCounters = (): DirectionCounters => ({
  bytes: 0,
  chunks: 0,
  droppedBytes: 0,
  droppedChunks: 0,
  retransmittedChunks: 0,
});

/** One direction of one proxied connection: a source socket, a sink socket, an ordered delay queue. */
interface Pipe {
  direction: Direction;
  queue: { chunk: Buffer; dueAt: number }[];
  timer: NodeJS.Timeout | undefined;
  /** Due time of the last queued chunk, so a later chunk never overtakes it. */
  lastDueAt: number;
  /** The source ended (FIN) and the end must be passed on once the queue drains. */
  endPending: boolean;
  /** The source died (error / close without FIN): reset the sink once the queue drains. */
  resetPending: boolean;
  /** Bytes or a FIN were dropped: the stream has a hole. */
  lost: boolean;
  /** The source is paused until the sink drains. */
  waitingDrain: boolean;
}

interface Conn {
  client: net.Socket;
  upstream: net.Socket | undefined;
  /** Accepted while the link was blocked: no upstream yet. */
  held: boolean;
  /** Upstream connected and both pipes wired. */
  wired: boolean;
  pipes: Record<Direction, Pipe>;
  closed: boolean;
}

const newPipe = (direction: Direction): Pipe => ({
  direction,
  queue: [],
  timer: undefined,
  lastDueAt: 0,
  endPending: false,
  resetPending: false,
  lost: false,
  waitingDrain: false,
});

const isEmptyShape = (s: LinkShape | undefined): boolean =>
  !s || (!(s.delayMs && s.delayMs > 0) && !(s.jitterMs && s.jitterMs > 0) && !(s.loss && s.loss > 0));

export const createLinkProxy = async (options: LinkProxyOptions): Promise<LinkProxy> => {
  const host = options.host ?? '127.0.0.1';
  const random = options.random ?? { next: Math.random };
  const retransmitMs = options.retransmitMs ?? 200;
  let target = { ...options.target };
  const blocked: Record<Direction, boolean> = { forward: false, reverse: false };
  const shapes: Record<Direction, LinkShape | undefined> = { forward: undefined, reverse: undefined };
  const counters: LinkCounters = {
    connections: 0,
    heldConnections: 0,
    resetOnHeal: 0,
    forward: emptyCounters(),
    reverse: emptyCounters(),
  };
  const conns = new Set<Conn>();
  let closing: Promise<void> | undefined;

  const anyBlocked = () => blocked.forward || blocked.reverse;
  const sourceOf = (c: Conn, d: Direction) => (d === 'forward' ? c.client : c.upstream);
  const sinkOf = (c: Conn, d: Direction) => (d === 'forward' ? c.upstream : c.client);

  const destroyConn = (c: Conn, reset: boolean) => {
    if (c.closed) return;
    c.closed = true;
    conns.delete(c);
    for (const p of Object.values(c.pipes)) {
      clearTimeout(p.timer);
      p.queue = [];
    }
    for (const s of [c.client, c.upstream]) {
      if (!s || s.destroyed) continue;
      // resetAndDestroy sends RST so the peer sees an error, not a clean EOF.
      if (reset && !s.connecting) s.resetAndDestroy();
      else s.destroy();
    }
  };

  const drop = (p: Pipe, chunk: Buffer | undefined) => {
    p.lost = true;
    if (chunk) {
      counters[p.direction].droppedBytes += chunk.length;
      counters[p.direction].droppedChunks += 1;
    }
  };

  // Write a chunk to the sink, pausing the source when the sink's buffer is full.
  const deliver = (c: Conn, p: Pipe, chunk: Buffer) => {
    if (blocked[p.direction]) return drop(p, chunk);
    const sink = sinkOf(c, p.direction);
    if (!sink || sink.destroyed) return;
    counters[p.direction].bytes += chunk.length;
    counters[p.direction].chunks += 1;
    if (!sink.write(chunk) && !p.waitingDrain) {
      const source = sourceOf(c, p.direction);
      p.waitingDrain = true;
      source?.pause();
      sink.once('drain', () => {
        p.waitingDrain = false;
        source?.resume();
      });
    }
  };

  // Pass on an end or a reset once every queued chunk has been delivered.
  const finishIfDrained = (c: Conn, p: Pipe) => {
    if (p.queue.length > 0 || c.closed) return;
    if (p.resetPending) {
      if (blocked[p.direction]) return drop(p, undefined); // the RST is lost too
      destroyConn(c, true);
    } else if (p.endPending) {
      if (blocked[p.direction]) return drop(p, undefined); // the FIN is lost too
      p.endPending = false;
      // Sockets close by themselves once both halves have ended (autoDestroy).
      sinkOf(c, p.direction)?.end();
    }
  };

  // Both sockets are gone: forget the connection.
  const forgetIfClosed = (c: Conn) => {
    if (c.closed || !c.client.destroyed || (c.upstream && !c.upstream.destroyed)) return;
    c.closed = true;
    conns.delete(c);
    for (const p of Object.values(c.pipes)) clearTimeout(p.timer);
  };

  const pump = (c: Conn, p: Pipe) => {
    clearTimeout(p.timer);
    p.timer = undefined;
    const now = performance.now();
    while (p.queue.length > 0 && p.queue[0]!.dueAt <= now) {
      deliver(c, p, p.queue.shift()!.chunk);
      if (c.closed) return;
    }
    if (p.queue.length > 0) {
      p.timer = setTimeout(() => pump(c, p), Math.max(0, p.queue[0]!.dueAt - now));
    } else {
      finishIfDrained(c, p);
    }
  };

  const delayFor = (shape: LinkShape | undefined, d: Direction): number => {
    if (!shape) return 0;
    let ms = shape.delayMs ?? 0;
    if (shape.jitterMs) ms += (random.next() * 2 - 1) * shape.jitterMs;
    const loss = shape.loss ?? 0;
    if (loss > 0) {
      let rto = retransmitMs;
      let lost = false;
      for (let i = 0; i < MAX_RETRANSMITS && random.next() < loss; i++) {
        ms += rto;
        rto *= 2;
        lost = true;
      }
      if (lost) counters[d].retransmittedChunks += 1;
    }
    return Math.max(0, ms);
  };

  const onChunk = (c: Conn, p: Pipe, chunk: Buffer) => {
    if (c.closed) return;
    // Blocked: throw the bytes away right here rather than queue them.
    if (blocked[p.direction]) return drop(p, chunk);
    const shape = shapes[p.direction];
    if (p.queue.length === 0 && isEmptyShape(shape)) return deliver(c, p, chunk);
    const dueAt = Math.max(performance.now() + delayFor(shape, p.direction), p.lastDueAt);
    p.lastDueAt = dueAt;
    p.queue.push({ chunk, dueAt });
    if (p.queue.length === 1) pump(c, p);
  };

  const wirePipe = (c: Conn, d: Direction) => {
    const source = sourceOf(c, d)!;
    const p = c.pipes[d];
    source.on('data', (chunk: Buffer) => onChunk(c, p, chunk));
    source.on('end', () => {
      if (c.closed) return;
      if (blocked[d]) return drop(p, undefined);
      p.endPending = true;
      finishIfDrained(c, p);
    });
    source.on('close', () => {
      if (c.closed) return;
      if (!p.endPending && !source.readableEnded) {
        if (blocked[d]) drop(p, undefined);
        else {
          p.resetPending = true;
          finishIfDrained(c, p);
        }
      }
      forgetIfClosed(c);
    });
  };

  const connectUpstream = (c: Conn) => {
    c.held = false;
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    c.upstream = upstream;
    upstream.setNoDelay(true);
    // Errors surface as 'close' and are handled by the pipes (or the connect failure below).
    upstream.on('error', () => {});
    upstream.once('connect', () => {
      if (c.closed) return upstream.destroy();
      c.wired = true;
      wirePipe(c, 'forward');
      wirePipe(c, 'reverse');
      c.client.resume();
    });
    upstream.once('close', () => {
      // The target refused or vanished before the connection was wired: a
      // closed port answers with RST, so reset the client too (unless that
      // RST would be dropped on the way back).
      if (c.closed || c.wired) return;
      if (blocked.reverse) return drop(c.pipes.reverse, undefined);
      destroyConn(c, true);
    });
  };

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    counters.connections += 1;
    client.setNoDelay(true);
    client.on('error', () => {});
    const c: Conn = {
      client,
      upstream: undefined,
      held: false,
      wired: false,
      pipes: { forward: newPipe('forward'), reverse: newPipe('reverse') },
      closed: false,
    };
    conns.add(c);
    if (closing) return destroyConn(c, false);
    // The client left before the connection was wired (held, or upstream still
    // connecting): nothing to pass on, just let go of the upstream attempt.
    client.once('close', () => {
      if (!c.wired) destroyConn(c, false);
    });
    if (anyBlocked()) {
      // Hold: read and drop whatever the client sends, never answer, never close.
      counters.heldConnections += 1;
      c.held = true;
      client.on('data', (chunk: Buffer) => drop(c.pipes.forward, chunk));
      client.on('end', () => drop(c.pipes.forward, undefined));
      client.resume();
      return;
    }
    connectUpstream(c);
  });

  // On heal of a direction: reset connections whose stream lost bytes in it;
  // connect held connections that lost nothing once the whole link is open.
  const afterUnblock = (d: Direction) => {
    for (const c of [...conns]) {
      if (c.pipes[d].lost) {
        counters.resetOnHeal += 1;
        destroyConn(c, true);
      } else if (c.held && !anyBlocked()) {
        c.client.removeAllListeners('data');
        c.client.removeAllListeners('end');
        c.client.pause();
        connectUpstream(c);
      }
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;

  return {
    link: { ...options.link },
    host,
    port: address.port,
    setTarget(t) {
      target = { ...t };
    },
    setBlocked(direction, value) {
      const was = blocked[direction];
      blocked[direction] = value;
      if (was && !value) afterUnblock(direction);
    },
    isBlocked: (direction) => blocked[direction],
    setShape(direction, shape) {
      shapes[direction] = isEmptyShape(shape) ? undefined : { ...shape };
    },
    counters: () => ({
      ...counters,
      forward: { ...counters.forward },
      reverse: { ...counters.reverse },
    }),
    get openConnections() {
      return conns.size;
    },
    close() {
      closing ??= (async () => {
        for (const c of [...conns]) destroyConn(c, false);
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
};
