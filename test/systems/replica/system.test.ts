import { describe, expect, test } from 'vitest';
import { parseReplicaArgs } from '../../../src/replica/config.ts';
import { replicaSystem } from '../../../src/systems/replica/system.ts';
import type { LaunchContext } from '../../../src/systems/system.ts';

const validate =
  (options: Record<string, unknown>, nodes = 3) =>
  () =>
    replicaSystem.validateOptions!(options, nodes);

describe('replicaSystem.validateOptions', () => {
  test('accepts the presets shipped in cluster/', () => {
    expect(validate({ topology: 'single-leader', replication: 'sync' })).not.toThrow();
    expect(validate({ topology: 'single-leader', replication: 'async', replicationDelayMs: 200 })).not.toThrow();
    expect(validate({ replication: 'semi-sync', syncAcks: 2, electionTimeoutMinMs: '300ms' })).not.toThrow();
  });

  test('names the bad key and value', () => {
    expect(validate({ replication: 'syncc' })).toThrow(
      'options.replication: expected one of sync, semi-sync, async; got "syncc"',
    );
    expect(validate({ replicationDelayMs: -5 })).toThrow('options.replicationDelayMs: expected milliseconds >= 0');
    expect(validate({ replicationDelayMs: 'soon' })).toThrow('options.replicationDelayMs:');
    expect(validate({ replication: 'semi-sync', syncAcks: 3 })).toThrow('options.syncAcks: 3 acknowledgements asked');
    expect(validate({ replication: 'sync', syncAcks: 1 })).toThrow('only meaningful with replication: semi-sync');
    expect(validate({ electionTimeoutMinMs: 500, electionTimeoutMaxMs: 400 })).toThrow('options.electionTimeoutMaxMs');
  });

  test('an unknown key is an error, and a kebab-case key gets a camelCase hint', () => {
    let error: unknown;
    try {
      validate({ 'replication-delay-ms': 100 })();
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'FL_ERR_CONFIG',
      message: 'options.replication-delay-ms: unknown option for system replica',
      hint: 'options are camelCase: write replicationDelayMs',
    });
  });
});

describe('replicaSystem.launch', () => {
  test('runs src/replica/main.ts with flags the replica accepts', () => {
    const ctx: LaunchContext = {
      id: 'n2',
      index: 1,
      nodes: ['n1', 'n2', 'n3'],
      host: '127.0.0.1',
      port: 7002,
      dataDir: '/tmp/x/n2',
      peers: { n1: '127.0.0.1:9012', n3: '127.0.0.1:9032' },
      options: { topology: 'single-leader', replication: 'async', replicationDelayMs: '1s' },
      runId: 'r1',
    };
    const launch = replicaSystem.launch(ctx);
    expect(launch.command).toBe(process.execPath);
    const main = launch.args.findIndex((a) => a.endsWith('src/replica/main.ts'));
    expect(main).toBeGreaterThan(0);
    const config = parseReplicaArgs(launch.args.slice(main + 1));
    expect(config).toMatchObject({
      id: 'n2',
      port: 7002,
      dataDir: '/tmp/x/n2',
      peers: { n1: '127.0.0.1:9012', n3: '127.0.0.1:9032' },
      replication: 'async',
      replicationDelayMs: 1000,
    });
  });
});
