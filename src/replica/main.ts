/**
 * `replica`: faultline's reference replicated key-value server.
 *
 *   node --import tsx src/replica/main.ts --id n1 --port 7001 --data-dir /tmp/n1 \
 *     --peers n2=127.0.0.1:7002,n3=127.0.0.1:7003 --replication sync
 *
 * Flags and the HTTP API: docs/replica.md. SIGTERM/SIGINT stop it gracefully.
 */
import { isFaultlineError } from '../base/errors.ts';
import { parseReplicaArgs } from './config.ts';
import { startReplica } from './replica.ts';

const run = async (): Promise<void> => {
  let config: ReturnType<typeof parseReplicaArgs>;
  try {
    config = parseReplicaArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`replica: ${isFaultlineError(e) ? e.describe() : String(e)}\n`);
    process.exit(2);
  }
  const replica = await startReplica(config);
  const shutdown = (signal: string) => {
    process.stdout.write(`${new Date().toISOString()} ${config.id} ${signal}: shutting down\n`);
    // If a graceful stop hangs (a stuck fsync), leave anyway.
    setTimeout(() => process.exit(0), 2000).unref();
    replica.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
};

run().catch((e: unknown) => {
  process.stderr.write(`replica: failed to start: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
