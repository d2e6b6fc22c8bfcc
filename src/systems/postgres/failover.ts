/**
 * The operator's failover for PostgreSQL streaming replication, as Patroni
 * or a careful human runs it. Each step is recorded as a nemesis event:
 *
 *   fence          the old primary is killed (or was already down), so it
 *                  cannot take another write
 *   choose         the standby whose WAL goes furthest (see walPosition),
 *                  once the positions stop moving (WAL the primary sent just
 *                  before it died may still be arriving)
 *   sync-standbys  its synchronous_standby_names, copied by the base backup
 *                  from the old primary and naming the wrong standbys, are
 *                  rewritten for the new topology: ANY k of the other nodes
 *                  (sync) or cleared (async). Set before the promotion, so
 *                  no commit is acknowledged under the old list.
 *   promote        pg_promote(), waiting until it is done
 *   repoint        every other standby's primary_conninfo points at the new
 *                  primary (ALTER SYSTEM + reload: PostgreSQL 13+ reconnects
 *                  its WAL receiver without a restart)
 *   streaming      which standbys stream from the new primary a moment later;
 *                  one that does not (it replayed past the new timeline's
 *                  fork) is fenced too, and re-cloned when it rejoins
 *
 * The fenced node is started again when the fault heals; `rejoin` then
 * re-clones it from the new primary so that it comes back as a standby.
 */
import { sleep } from '../../base/time.ts';
import type { NodeAddress, NodeId, OperatorContext } from '../system.ts';
import { adminQuery, SUPERUSER } from './connection.ts';
import { type NodeProbe, primaryOf, probeAll, walPosition } from './probe.ts';

const ADMIN_TIMEOUT_MS = 3000;
const PROMOTE_WAIT_S = 30;
const STREAMING_WAIT_MS = 5000;

/**
 * primary_conninfo for a standby `name` streaming from node `primary`, by
 * name: each node's service file (PGSERVICEFILE, written at setup) says how
 * *that* node reaches each peer — a link proxy of its own on the local
 * backend, so that partitions and slow links reach replication — and the
 * operator never needs to know.
 */
export const primaryConninfo = (primary: NodeId, name: NodeId): string =>
  `service=${primary} user=${SUPERUSER} application_name=${name} sslmode=disable connect_timeout=5`;

/**
 * The new primary's synchronous_standby_names, from what it has (copied
 * from the old primary): the same quorum `ANY k` over the other nodes, or
 * '' when the cluster was asynchronous.
 */
export const rewriteSyncNames = (copied: string, primary: NodeId, nodes: readonly NodeId[]): string => {
  if (copied.trim() === '') return '';
  const m = /^\s*(?:ANY|FIRST)?\s*(\d+)\s*\(/i.exec(copied);
  const k = m ? Number(m[1]) : 1;
  const others = nodes.filter((n) => n !== primary);
  if (others.length === 0) return '';
  return `ANY ${Math.min(k, others.length)} (${others.map((n) => `"${n}"`).join(', ')})`;
};

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export const failover = async (ctx: OperatorContext): Promise<void> => {
  const lost = new Set(ctx.lost);
  const byId = new Map(ctx.nodes.map((n) => [n.id, n]));
  const running = new Set(ctx.running());
  const probes = await probeAll(
    ctx.nodes.filter((n) => running.has(n.id)),
    ctx.signal,
  );
  const primary = primaryOf(probes);
  // A primary the fault did not touch still serves: nothing to do.
  if (primary && !lost.has(primary.id)) return;

  for (const id of ctx.lost) {
    const wasRunning = running.has(id);
    await ctx.fence(id);
    ctx.step('fence', { node: id, how: wasRunning ? 'killed now' : 'already down' });
  }

  // Positions once they stop moving: WAL the primary sent just before it died may still be arriving.
  const standbys = await settled(
    probes.filter((p) => p.standby && !lost.has(p.id)).map((p) => byId.get(p.id)!),
    ctx.signal,
  );
  const best = [...standbys].sort((a, b) => compare(walPosition(b), walPosition(a)) || a.id.localeCompare(b.id))[0];
  if (!best) {
    ctx.step('failover-impossible', { reason: 'no running standby answers', lost: [...lost] });
    return;
  }
  ctx.step('choose', { node: best.id, positions: positions(standbys) });
  const target = byId.get(best.id)!;
  const admin = (sql: string, node: NodeAddress = target) =>
    adminQuery(node, sql, [], { signal: ctx.signal, timeoutMs: ADMIN_TIMEOUT_MS });

  const names = rewriteSyncNames(
    best.syncStandbyNames,
    best.id,
    ctx.nodes.map((n) => n.id),
  );
  await admin(`ALTER SYSTEM SET synchronous_standby_names = ${quote(names)}`);
  await admin('SELECT pg_reload_conf()');
  ctx.step('sync-standbys', { node: best.id, before: best.syncStandbyNames, after: names });

  const [promoted] = await adminQuery<{ promoted: boolean }>(
    target,
    `SELECT pg_promote(true, ${PROMOTE_WAIT_S}) AS promoted`,
    [],
    { signal: ctx.signal, timeoutMs: (PROMOTE_WAIT_S + 5) * 1000 },
  );
  if (!promoted?.promoted) throw new Error(`${best.id}: pg_promote did not finish within ${PROMOTE_WAIT_S} s`);
  ctx.step('promote', { node: best.id });

  const others = standbys.filter((s) => s.id !== best.id);
  for (const s of others) {
    const conninfo = primaryConninfo(best.id, s.id);
    await admin(`ALTER SYSTEM SET primary_conninfo = ${quote(conninfo)}`, byId.get(s.id)!);
    await admin('SELECT pg_reload_conf()', byId.get(s.id)!);
    ctx.step('repoint', { node: s.id, to: best.id });
  }

  if (others.length > 0) {
    const streaming = await waitForStreaming(target, others, ctx.signal);
    ctx.step('streaming', { primary: best.id, standbys: streaming });
    // A standby that cannot follow (it replayed past the new timeline's fork) is fenced: it rejoins, re-cloned, when the fault heals.
    for (const s of others.filter((o) => !streaming.includes(o.id))) {
      await ctx.fence(s.id);
      ctx.step('fence', {
        node: s.id,
        how: 'killed now',
        why: `does not stream from ${best.id}; re-cloned when it rejoins`,
      });
    }
  }
};

const SETTLE_STEP_MS = 100;
const SETTLE_MAX_MS = 2000;

/** Probes `nodes` until two rounds in a row agree on every position (or a couple of seconds pass). */
const settled = async (nodes: readonly NodeAddress[], signal: AbortSignal): Promise<NodeProbe[]> => {
  const key = (ps: readonly NodeProbe[]) => ps.map((p) => `${p.id}@${walPosition(p)}`).join(',');
  let last = await probeAll(nodes, signal);
  const deadline = performance.now() + SETTLE_MAX_MS;
  while (performance.now() < deadline && !signal.aborted) {
    await sleep(SETTLE_STEP_MS, signal);
    const next = await probeAll(nodes, signal);
    if (key(next) === key(last)) return next;
    last = next;
  }
  return last;
};

/** Which of `standbys` stream from `primary`, waiting up to a few seconds for all of them. */
const waitForStreaming = async (
  primary: NodeAddress,
  standbys: readonly NodeProbe[],
  signal: AbortSignal,
): Promise<NodeId[]> => {
  const deadline = performance.now() + STREAMING_WAIT_MS;
  let seen: NodeId[] = [];
  while (!signal.aborted) {
    const rows = await adminQuery<{ name: string }>(
      primary,
      "SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'",
      [],
      { signal, timeoutMs: ADMIN_TIMEOUT_MS },
    ).catch(() => []);
    seen = standbys.map((s) => s.id).filter((id) => rows.some((r) => r.name === id));
    if (seen.length === standbys.length || performance.now() > deadline) break;
    await sleep(100, signal);
  }
  return seen;
};

const compare = (a: bigint, b: bigint): number => (a > b ? 1 : a < b ? -1 : 0);

const positions = (
  probes: readonly NodeProbe[],
): Record<NodeId, { received: string | null; replayed: string | null }> =>
  Object.fromEntries(probes.map((p) => [p.id, { received: p.receiveLsn, replayed: p.replayLsn }]));
