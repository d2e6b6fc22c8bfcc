import net from 'node:net';
import { onTestFinished } from 'vitest';

/** A TCP server on 127.0.0.1:0 that records what each connection sends; closed when the test ends. */
export interface RecordingServer {
  port: number;
  /** Accepted sockets, in order. */
  sockets: net.Socket[];
  /** What each accepted socket sent, as text. */
  received: string[];
  /** Sockets whose 'end' or 'close' was seen. */
  ended: Set<number>;
}

export const startServer = async (onData?: (socket: net.Socket, chunk: Buffer) => void): Promise<RecordingServer> => {
  const rec: RecordingServer = { port: 0, sockets: [], received: [], ended: new Set() };
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const i = rec.sockets.push(socket) - 1;
    rec.received[i] = '';
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      rec.received[i] += chunk.toString();
      onData?.(socket, chunk);
    });
    socket.on('end', () => rec.ended.add(i));
    socket.on('close', () => rec.ended.add(i));
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  rec.port = (server.address() as net.AddressInfo).port;
  onTestFinished(async () => {
    for (const s of rec.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return rec;
};

/** A client socket plus everything that happened to it. */
export interface RecordingClient {
  socket: net.Socket;
  data: string;
  events: string[];
  connected: boolean;
}

export const connect = (port: number): RecordingClient => {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const rec: RecordingClient = { socket, data: '', events: [], connected: false };
  socket.on('connect', () => {
    rec.connected = true;
  });
  socket.on('data', (chunk: Buffer) => {
    rec.data += chunk.toString();
  });
  socket.on('end', () => rec.events.push('end'));
  socket.on('error', (e: NodeJS.ErrnoException) => rec.events.push(`error:${e.code ?? e.message}`));
  socket.on('close', () => rec.events.push('close'));
  onTestFinished(() => {
    socket.destroy();
  });
  return rec;
};

/** Polls `cond` every 5 ms until it holds; rejects after `ms` with `what`. */
export const waitFor = async (cond: () => boolean, what: string, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
