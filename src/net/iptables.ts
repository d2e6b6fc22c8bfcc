import { createHash } from 'node:crypto';
import { execa } from 'execa';
import type { NodeId } from '../base/ids.ts';
import { which } from '../base/which.ts';
import type { Grudge, Link, LinkShape } from './links.ts';

/**
 * iptables rules for partitions and packet loss, built as plain text for
 * `iptables-restore --noflush` and run either on this host or inside
 * another process's network namespace (nsenter; the namespace needs no
 * iptables of its own, so container images need none).
 *
 * Every rule lives in a chain of faultline's own: replacing a chain's
 * contents is one atomic `iptables-restore` (declaring a chain flushes it),
 * and healing empties it — nothing else in the table is touched.
 */

/** Where a command runs: this host's namespaces, or the network namespace of process `netnsPid`. */
export interface NetnsTarget {
  netnsPid?: number;
}

/** Why iptables cannot be driven from here (not root, binaries missing), or undefined. */
export const iptablesMissing = (options: { nsenter?: boolean } = {}): string | undefined => {
  if (process.getuid?.() !== 0) return 'faultline is not running as root, which iptables needs';
  for (const [command, pkg] of [
    ['iptables', 'iptables'],
    ['iptables-restore', 'iptables'],
    ...(options.nsenter ? [['nsenter', 'util-linux']] : []),
  ] as const) {
    if (!which(command) && !which(`/usr/sbin/${command}`) && !which(`/sbin/${command}`)) {
      return `${command} is not installed (apt-get install ${pkg})`;
    }
  }
  return undefined;
};

const resolveCommand = (command: string): string =>
  which(command) ?? which(`/usr/sbin/${command}`) ?? which(`/sbin/${command}`) ?? command;

/** Runs a command here or, with `netnsPid`, in that process's network namespace. Rejects with its stderr. */
export const runNet = async (
  command: string,
  args: readonly string[],
  where: NetnsTarget = {},
  input?: string,
): Promise<string> => {
  const argv =
    where.netnsPid === undefined
      ? [resolveCommand(command), ...args]
      : [resolveCommand('nsenter'), '-t', String(where.netnsPid), '-n', resolveCommand(command), ...args];
  const r = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    ...(input !== undefined ? { input } : {}),
    timeout: 20_000,
  });
  if (r.exitCode !== 0) {
    const where_ = where.netnsPid === undefined ? '' : ` (in the network namespace of pid ${where.netnsPid})`;
    throw new Error(`${argv.join(' ')}${where_} failed: ${String(r.stderr || r.stdout || r.exitCode).trim()}`);
  }
  return String(r.stdout);
};

export type Table = 'filter' | 'nat';

/** One table's worth of chain contents for `iptables-restore --noflush`: each named chain is flushed and refilled. */
export const restoreText = (table: Table, chains: Readonly<Record<string, readonly string[]>>): string =>
  [
    `*${table}`,
    ...Object.keys(chains).map((c) => `:${c} - [0:0]`),
    ...Object.entries(chains).flatMap(([c, rules]) => rules.map((r) => `-A ${c} ${r}`)),
    'COMMIT',
    '',
  ].join('\n');

/** Atomically replaces the contents of these chains (creating them if needed). */
export const restoreChains = (
  table: Table,
  chains: Readonly<Record<string, readonly string[]>>,
  where: NetnsTarget = {},
): Promise<string> => runNet('iptables-restore', ['--noflush', '--wait'], where, restoreText(table, chains));

/** Adds `-j chain` to a built-in chain unless that exact rule is there already. */
export const ensureJump = async (
  table: Table,
  builtin: string,
  match: readonly string[],
  chain: string,
  where: NetnsTarget = {},
): Promise<void> => {
  const spec = [...match, '-j', chain];
  const present = await runNet('iptables', ['-w', '-t', table, '-C', builtin, ...spec], where).then(
    () => true,
    () => false,
  );
  if (!present) await runNet('iptables', ['-w', '-t', table, '-I', builtin, '1', ...spec], where);
};

/** Removes a jump rule, then flushes and deletes the chain; parts already gone are fine. */
export const removeChain = async (
  table: Table,
  builtin: string,
  match: readonly string[],
  chain: string,
  where: NetnsTarget = {},
): Promise<void> => {
  const quiet = (p: Promise<unknown>) => p.catch(() => undefined);
  // A jump may have been added more than once (a retried setup): remove until none is left.
  for (let i = 0; i < 8; i++) {
    const removed = await runNet('iptables', ['-w', '-t', table, '-D', builtin, ...match, '-j', chain], where).then(
      () => true,
      () => false,
    );
    if (!removed) break;
  }
  await quiet(runNet('iptables', ['-w', '-t', table, '-F', chain], where));
  await quiet(runNet('iptables', ['-w', '-t', table, '-X', chain], where));
};

/** A chain name of at most 28 characters (iptables' limit) that stands for a run. */
export const chainNameFor = (runId: string): string =>
  `FAULTLINE-${createHash('sha256').update(runId).digest('hex').slice(0, 12)}`;

/** A probability as iptables' statistic match wants it. */
const probability = (p: number): string => Math.min(1, Math.max(0, p)).toFixed(6);

const lossOf = (shape: LinkShape | undefined): number => shape?.loss ?? 0;

export interface LinkFaults {
  grudge: Grudge;
  /** Shaped links, each with the shape it got (only `loss` matters to iptables). */
  shaped: readonly { link: Link; shape: LinkShape }[];
}

/**
 * Rules for one receiving node's own namespace (a container): drop what
 * the grudge says it drops, and lose a fraction of what shaped links carry
 * to it. Addresses are per node; a namespace has its own, so matching the
 * source is enough.
 */
export const receiverRules = (receiver: NodeId, faults: LinkFaults, addressOf: (node: NodeId) => string): string[] => {
  const rules: string[] = [];
  for (const sender of faults.grudge[receiver] ?? []) {
    if (sender !== receiver) rules.push(`-s ${addressOf(sender)}/32 -j DROP`);
  }
  for (const { link, shape } of faults.shaped) {
    if (link.to !== receiver || link.from === receiver || lossOf(shape) <= 0) continue;
    rules.push(
      `-s ${addressOf(link.from)}/32 -m statistic --mode random --probability ${probability(lossOf(shape))} -j DROP`,
    );
  }
  return rules;
};

/**
 * Rules for one host-wide chain on loopback, where every node has its own
 * 127.x address and its connections leave from it (see `snatRules`). The
 * traffic that `sender` sends to `receiver` is, in INPUT:
 *   - packets from the sender's address to the receiver's (connections the sender opened);
 *   - reply packets from the sender's address on connections the receiver opened,
 *     whose reply tuple ends at the receiver's address (INPUT sees them after
 *     the source NAT was undone, so their destination is 127.0.0.1 again).
 */
export const loopbackRules = (faults: LinkFaults, addressOf: (node: NodeId) => string): string[] => {
  const pair = (sender: NodeId, receiver: NodeId, tail: string): string[] => {
    const s = `${addressOf(sender)}/32`;
    const r = `${addressOf(receiver)}/32`;
    return [`-s ${s} -d ${r} ${tail}`, `-s ${s} -m conntrack --ctdir REPLY --ctrepldst ${r} ${tail}`];
  };
  const rules: string[] = [];
  for (const [receiver, senders] of Object.entries(faults.grudge)) {
    for (const sender of senders) if (sender !== receiver) rules.push(...pair(sender, receiver, '-j DROP'));
  }
  for (const { link, shape } of faults.shaped) {
    if (link.from === link.to || lossOf(shape) <= 0) continue;
    rules.push(
      ...pair(link.from, link.to, `-m statistic --mode random --probability ${probability(lossOf(shape))} -j DROP`),
    );
  }
  return rules;
};

/**
 * Source NAT on loopback: connections opened by a process in supplementary
 * group `group` leave from that node's address instead of 127.0.0.1, so the
 * receiver (and `loopbackRules`) can tell which node is talking.
 */
export const snatRules = (nodes: readonly { group: number; address: string }[]): string[] =>
  nodes.map((n) => `-o lo -m owner --gid-owner ${n.group} --suppl-groups -j SNAT --to-source ${n.address}`);
