/**
 * The cluster preset's `options:` for `system: postgres`:
 *
 *   options:
 *     replication: sync          # sync | async (default async, PostgreSQL's own default)
 *     syncStandbys: 1            # sync: a commit waits for this many standbys (ANY k)
 *     synchronousCommit: on      # on | remote_apply | remote_write | local | off
 *
 * `replication: sync` puts every other node in `synchronous_standby_names`
 * as `ANY k (...)` (quorum commit), so that whichever node is primary waits
 * for any k of the rest; `async` leaves it empty.
 */
import { configError } from '../../base/errors.ts';
import type { NodeId } from '../system.ts';

export interface PostgresOptions {
  replication: 'sync' | 'async';
  syncStandbys: number;
  synchronousCommit: 'on' | 'remote_apply' | 'remote_write' | 'local' | 'off';
}

const COMMIT_LEVELS: readonly PostgresOptions['synchronousCommit'][] = [
  'on',
  'remote_apply',
  'remote_write',
  'local',
  'off',
];
const KNOWN = ['replication', 'syncStandbys', 'synchronousCommit'];

/** Validates the preset's options (FL_ERR_CONFIG naming `options.<key>`) and fills in the defaults. */
export const postgresOptions = (options: Readonly<Record<string, unknown>>, nodeCount: number): PostgresOptions => {
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) {
      throw configError(`options.${key}: unknown option for system postgres`, {
        path: `options.${key}`,
        hint: `known options: ${KNOWN.join(', ')}`,
      });
    }
  }
  const replication = options.replication ?? 'async';
  if (replication !== 'sync' && replication !== 'async') {
    throw configError(`options.replication: expected sync or async; got ${JSON.stringify(replication)}`, {
      path: 'options.replication',
    });
  }
  const commit = options.synchronousCommit ?? 'on';
  // YAML reads a bare `on` / `off` as a boolean.
  const synchronousCommit = commit === true ? 'on' : commit === false ? 'off' : commit;
  if (!COMMIT_LEVELS.includes(synchronousCommit as PostgresOptions['synchronousCommit'])) {
    throw configError(
      `options.synchronousCommit: expected one of ${COMMIT_LEVELS.join(', ')}; got ${JSON.stringify(commit)}`,
      { path: 'options.synchronousCommit' },
    );
  }
  const syncStandbys = options.syncStandbys ?? 1;
  if (options.syncStandbys !== undefined && replication !== 'sync') {
    throw configError('options.syncStandbys: only meaningful with replication: sync', {
      path: 'options.syncStandbys',
    });
  }
  if (typeof syncStandbys !== 'number' || !Number.isInteger(syncStandbys) || syncStandbys < 1) {
    throw configError(`options.syncStandbys: expected an integer >= 1; got ${JSON.stringify(syncStandbys)}`, {
      path: 'options.syncStandbys',
    });
  }
  if (replication === 'sync' && syncStandbys > nodeCount - 1) {
    throw configError(
      `options.syncStandbys: ${syncStandbys} synchronous standbys asked, but ${nodeCount} nodes have only ${nodeCount - 1} standbys`,
      { path: 'options.syncStandbys', hint: 'add nodes or lower syncStandbys' },
    );
  }
  return {
    replication,
    syncStandbys,
    synchronousCommit: synchronousCommit as PostgresOptions['synchronousCommit'],
  };
};

/**
 * `synchronous_standby_names` for a primary: `ANY k ("n2", "n3")` naming
 * every other node (standbys connect with their node id as
 * application_name), or '' for async. Names are double-quoted, so any node
 * id is a valid standby name.
 */
export const syncStandbyNames = (options: PostgresOptions, primary: NodeId, nodes: readonly NodeId[]): string => {
  const others = nodes.filter((n) => n !== primary);
  if (options.replication === 'async' || others.length === 0) return '';
  return `ANY ${Math.min(options.syncStandbys, others.length)} (${others.map((n) => `"${n}"`).join(', ')})`;
};
