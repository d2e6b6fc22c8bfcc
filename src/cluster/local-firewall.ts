import { randomInt } from 'node:crypto';
import type { NodeId } from '../base/ids.ts';
import { which } from '../base/which.ts';
import {
  chainNameFor,
  ensureJump,
  iptablesMissing,
  type LinkFaults,
  loopbackRules,
  removeChain,
  restoreChains,
  runNet,
  snatRules,
  type Table,
} from '../net/iptables.ts';
import type { Leftover } from './leftovers.ts';
import { isControllerAlive, markerComment, provenByComment } from './markers.ts';

/**
 * Partitions for systems that find their peers themselves
 * (`peerAddressing: 'direct'`, e.g. etcd, Redis Sentinel) on the local
 * backend, where the per-link proxies cannot stand between them:
 *
 * - each node listens on its own loopback address, 127.A.B.(i+1), with A.B
 *   drawn per run so concurrent runs do not share addresses;
 * - each node's processes carry a supplementary group of their own, and a
 *   source-NAT rule makes connections they open leave from the node's
 *   address (otherwise every loopback connection comes from 127.0.0.1 and
 *   nobody can tell which node sent what — which would also hide replicas'
 *   addresses from systems that discover them, like Sentinel);
 * - a grudge becomes DROP rules between those addresses in an iptables
 *   chain of faultline's own (loopbackRules), replaced atomically.
 *
 * Both chains (filter and nat) hang off INPUT / POSTROUTING through one
 * jump rule each, whose comment carries the run id, its token and the
 * controller, so `faultline cleanup` finds and removes exactly them after a
 * SIGKILLed controller. Needs root, iptables and setpriv (util-linux).
 */

export interface LoopbackNode {
  id: NodeId;
  /** The node's own 127.x address. */
  address: string;
  /** The supplementary group its processes run with, so its connections can be told apart. */
  group: number;
}

/** Why the local backend cannot cut a direct-addressing system's links here, or undefined. */
export const localFirewallMissing = (): string | undefined =>
  iptablesMissing() ?? (which('setpriv') ? undefined : 'setpriv is not installed (apt-get install util-linux)');

/** Loopback addresses and groups for a run's nodes, drawn at random per run. */
export const planLoopback = (nodes: readonly NodeId[]): LoopbackNode[] => {
  // 127.0.x.x is left to everyone else; 127.A.B.0/24 with A in 16..239 is ours for this run.
  const a = randomInt(16, 240);
  const b = randomInt(0, 256);
  // Groups far above any real one; the low bits name the node.
  const base = 2_100_000_000 + randomInt(0, 2_000_000) * 16;
  return nodes.map((id, i) => ({ id, address: `127.${a}.${b}.${i + 1}`, group: base + i }));
};

export interface LocalFirewall {
  /** Replaces every rule with these link faults (an empty grudge and no shapes heal). */
  apply(faults: LinkFaults): Promise<void>;
  /** Removes both chains and their jumps. */
  close(): Promise<void>;
}

const HOOKS: Readonly<Record<Table, { builtin: string; match: readonly string[] }>> = {
  filter: { builtin: 'INPUT', match: ['-i', 'lo'] },
  nat: { builtin: 'POSTROUTING', match: ['-o', 'lo'] },
};

const jumpMatch = (table: Table, comment: string): string[] => [
  ...HOOKS[table].match,
  '-m',
  'comment',
  '--comment',
  comment,
];

/** Creates the run's chains (source NAT at once, no drops yet) and hooks them in. */
export const openLocalFirewall = async (runId: string, nodes: readonly LoopbackNode[]): Promise<LocalFirewall> => {
  const chain = chainNameFor(runId);
  const comment = await markerComment(runId);
  const byId = new Map(nodes.map((n) => [n.id, n.address]));
  const addressOf = (id: NodeId): string => {
    const a = byId.get(id);
    if (!a) throw new Error(`no loopback address for node ${id}`);
    return a;
  };
  const close = async () => {
    for (const table of ['filter', 'nat'] as const) {
      await removeChain(table, HOOKS[table].builtin, jumpMatch(table, comment), chain);
    }
  };
  try {
    await restoreChains('nat', { [chain]: snatRules(nodes) });
    await ensureJump('nat', HOOKS.nat.builtin, jumpMatch('nat', comment), chain);
    await restoreChains('filter', { [chain]: [] });
    await ensureJump('filter', HOOKS.filter.builtin, jumpMatch('filter', comment), chain);
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
  return {
    apply: async (faults) => {
      await restoreChains('filter', { [chain]: loopbackRules(faults, addressOf) });
    },
    close,
  };
};

/** Splits an `iptables -S` line into arguments (double quotes group, as iptables prints comments). */
export const splitRule = (line: string): string[] => {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
};

interface FirewallId {
  table: Table;
  builtin: string;
  match: string[];
  chain: string;
}

/** Jump rules (and so chains) of faultline runs in this host's filter and nat tables. Only reads. */
export const findFirewallLeftovers = async (runId: string | undefined): Promise<Leftover[]> => {
  if (iptablesMissing()) return []; // not root or no iptables: nothing of ours can be there
  const found: Leftover[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const { builtin } = HOOKS[table];
    const listing = await runNet('iptables', ['-w', '-t', table, '-S', builtin]).catch(() => '');
    for (const line of listing.split('\n')) {
      const args = splitRule(line);
      if (args[0] !== '-A' || args[1] !== builtin) continue;
      const c = args.indexOf('--comment');
      const j = args.indexOf('-j');
      if (c < 0 || j < 0 || !args[j + 1]?.startsWith('FAULTLINE-')) continue;
      const proven = provenByComment(args[c + 1] ?? '');
      if (!proven || (runId !== undefined && proven.runId !== runId)) continue;
      const id: FirewallId = { table, builtin, match: args.slice(2, j), chain: args[j + 1]! };
      found.push({
        kind: 'firewall chain',
        id: JSON.stringify(id),
        runId: proven.runId,
        description: `${id.chain} in the ${table} table (from ${builtin})`,
        controllerAlive: await isControllerAlive(proven.controller),
      });
    }
  }
  return found;
};

/** Removes firewall leftovers that findFirewallLeftovers returned. */
export const removeFirewallLeftovers = async (items: readonly Leftover[]): Promise<void> => {
  for (const item of items) {
    if (item.kind !== 'firewall chain') continue;
    const id = JSON.parse(item.id) as FirewallId;
    await removeChain(id.table, id.builtin, id.match, id.chain);
  }
};

/** The command line that runs `command` with the node's supplementary group (and, as root, as `user`). */
export const withGroup = (
  group: number,
  identity: { uid: number; gid: number } | undefined,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } => ({
  command: which('setpriv') ?? 'setpriv',
  args: [
    ...(identity ? [`--reuid=${identity.uid}`, `--regid=${identity.gid}`] : []),
    `--groups=${group}`,
    '--',
    command,
    ...args,
  ],
});
