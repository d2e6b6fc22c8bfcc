import { describe, expect, test } from 'vitest';
import { resolveRunConfig } from '../../../src/run/resolve.ts';
import { postgresOptions, syncStandbyNames } from '../../../src/systems/postgres/options.ts';
import { skipWithout } from '../../support/environment.ts';
import { postgresMissing } from './cluster.ts';

const valid = (options: Record<string, unknown>, nodes = 3) => postgresOptions(options, nodes);
const invalid =
  (options: Record<string, unknown>, nodes = 3) =>
  () =>
    postgresOptions(options, nodes);

describe('postgres options', () => {
  test('the presets in cluster/ are valid, with defaults filled in', () => {
    expect(valid({ replication: 'sync', syncStandbys: 1, synchronousCommit: 'on' })).toEqual({
      replication: 'sync',
      syncStandbys: 1,
      synchronousCommit: 'on',
    });
    expect(valid({})).toEqual({ replication: 'async', syncStandbys: 1, synchronousCommit: 'on' });
    // YAML 1.1 readers turn a bare `on`/`off` into booleans.
    expect(valid({ synchronousCommit: false }).synchronousCommit).toBe('off');
    expect(valid({ synchronousCommit: true }).synchronousCommit).toBe('on');
  });

  test('a bad option is an FL_ERR_CONFIG naming the key and the value', () => {
    expect(invalid({ replication: 'semi' })).toThrow('options.replication: expected sync or async; got "semi"');
    expect(invalid({ synchronousCommit: 'always' })).toThrow(
      'options.synchronousCommit: expected one of on, remote_apply, remote_write, local, off; got "always"',
    );
    expect(invalid({ replication: 'async', syncStandbys: 1 })).toThrow(
      'options.syncStandbys: only meaningful with replication: sync',
    );
    expect(invalid({ replication: 'sync', syncStandbys: 0 })).toThrow('options.syncStandbys: expected an integer >= 1');
    expect(invalid({ replication: 'sync', syncStandbys: 3 })).toThrow(
      'options.syncStandbys: 3 synchronous standbys asked, but 3 nodes have only 2 standbys',
    );
    expect(invalid({ replicaton: 'sync' })).toThrow(
      expect.objectContaining({ code: 'FL_ERR_CONFIG', path: 'options.replicaton' }),
    );
  });

  test('synchronous_standby_names names every other node as a quorum, quoted; empty for async', () => {
    const sync = valid({ replication: 'sync' });
    expect(syncStandbyNames(sync, 'n1', ['n1', 'n2', 'n3'])).toBe('ANY 1 ("n2", "n3")');
    expect(syncStandbyNames({ ...sync, syncStandbys: 2 }, 'n2', ['n1', 'n2', 'n3'])).toBe('ANY 2 ("n1", "n3")');
    expect(syncStandbyNames(sync, 'n1', ['n1'])).toBe('');
    expect(syncStandbyNames(valid({}), 'n1', ['n1', 'n2', 'n3'])).toBe('');
  });
});

describe.skipIf(skipWithout('postgresql', postgresMissing()))('postgres presets', () => {
  test('sync claims no lost write, async allows them; both claim the operator fences; bad workloads are refused', async () => {
    const sync = await resolveRunConfig({ cluster: 'postgres-sync', workload: 'set', nemesis: 'leader-kill' });
    expect(sync.cluster).toMatchObject({
      system: 'postgres',
      nodes: 3,
      options: { replication: 'sync', syncStandbys: 1, synchronousCommit: 'on' },
      claims: { lostWrites: 'none', linearizable: false, convergence: true, splitBrain: 'none', fencing: true },
    });
    const async = await resolveRunConfig({
      cluster: 'postgres-async',
      workload: 'register',
      nemesis: 'isolate-leader',
    });
    expect(async.cluster.claims).toMatchObject({ lostWrites: 'allowed', splitBrain: 'none', fencing: true });
    await expect(resolveRunConfig({ cluster: 'postgres-sync', nodes: 1 })).rejects.toMatchObject({
      code: 'FL_ERR_CONFIG',
      message: expect.stringContaining('1 synchronous standbys asked, but 1 nodes have only 0 standbys'),
    });
  });
});
