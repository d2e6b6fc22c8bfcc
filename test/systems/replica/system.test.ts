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
    expect(validate({ topology: 'leaderless', r: 4 })).toThrow('options.r: 4 is more than the 3 nodes (N)');
    expect(validate({ topology: 'leaderless', readRepair: 'yes' })).toThrow(
      'options.readRepair: expected true or false',
    );
  });

  test('accepts every topology with its own options, and refuses options of another topology', () => {
    expect(validate({ topology: 'multi-leader', conflicts: 'version-vectors', replicationDelayMs: 100 })).not.toThrow();
    expect(
      validate({ topology: 'leaderless', r: 2, w: 2, readRepair: false, hintedHandoff: true, antiEntropyMs: '1s' }),
    ).not.toThrow();
    expect(validate({ replication: 'async', failover: 'unsafe', reads: 'ryw', leaderReads: 'lease' })).not.toThrow();
    expect(validate({ topology: 'multi-leader', replication: 'sync' })).toThrow(
      'options.replication: only applies to topology single-leader (topology is multi-leader)',
    );
    expect(validate({ topology: 'single-leader', w: 2 })).toThrow('options.w: only applies to topology leaderless');
    expect(validate({ conflicts: 'lww' })).toThrow('only applies to topology multi-leader or leaderless');
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
      ports: { main: 7002 },
      dataDir: '/tmp/x/n2',
      peers: { n1: { main: '127.0.0.1:9012' }, n3: { main: '127.0.0.1:9032' } },
      options: { topology: 'single-leader', replication: 'async', replicationDelayMs: '1s' },
      runId: 'r1',
    };
    const [launch, ...more] = replicaSystem.launch(ctx);
    expect(more).toEqual([]);
    if (!launch) throw new Error('no process');
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
