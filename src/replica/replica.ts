/**
 * Wires one replica node: WAL replay, peers, the configured topology, the
 * HTTP server. `main.ts` calls this from the command line; it is also usable
 * in-process.
 */
import { createNodeClock } from './clock.ts';
import type { ReplicaConfig } from './config.ts';
import { Leaderless } from './leaderless.ts';
import type { Logger } from './logger.ts';
import { createLogger } from './logger.ts';
import { MultiLeader } from './multi-leader.ts';
import { createPeers } from './peers.ts';
import { createReplicaServer } from './server.ts';
import { SingleLeader } from './single-leader.ts';
import type { Topology } from './topology.ts';
import { openWal } from './wal.ts';

export interface RunningReplica {
  /** The port the HTTP server is bound to (useful with --port 0). */
  readonly port: number;
  readonly topology: Topology;
  /** Graceful stop: answers pending requests, closes the server, peers and WAL. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** The node cannot continue (its disk failed). Default: log and exit(1). */
  onFatal?(error: unknown): void;
}

export const startReplica = async (config: ReplicaConfig, options: StartOptions = {}): Promise<RunningReplica> => {
  const logger = options.logger ?? createLogger(config.id);
  const onFatal =
    options.onFatal ??
    ((e: unknown) => {
      logger.warn(`fatal: ${(e as Error)?.stack ?? String(e)}`);
      process.exit(1);
    });
  const clock = createNodeClock();
  const { wal, replayed } = await openWal(config.dataDir, config.fsync);
  if (replayed.discardedBytes > 0)
    logger.warn(
      `WAL: discarded a torn tail of ${replayed.discardedBytes} bytes after ${replayed.validBytes} valid bytes`,
    );
  const peers = createPeers(config.id, config.peers);
  const deps = { config, wal, replayed, peers, clock, logger, onFatal };
  const topology: Topology =
    config.topology === 'multi-leader'
      ? new MultiLeader(deps)
      : config.topology === 'leaderless'
        ? new Leaderless(deps)
        : new SingleLeader(deps);
  const server = createReplicaServer(config, topology, clock, logger);
  let port: number;
  try {
    port = await server.listen();
  } catch (e) {
    await peers.close();
    await wal.close();
    throw e;
  }
  logger.info(
    `listening on ${config.host}:${port}, data dir ${config.dataDir}, peers ${Object.entries(config.peers)
      .map(([id, a]) => `${id}=${a}`)
      .join(',')}`,
  );
  topology.start();
  let stopping: Promise<void> | undefined;
  return {
    port,
    topology,
    stop() {
      // Order: stop the protocol (answers pending requests), then the server, then peers, then the WAL.
      stopping ??= (async () => {
        await topology.stop();
        await server.close();
        await peers.close();
        await wal.close();
      })();
      return stopping;
    },
  };
};
