import { execFileSync } from 'node:child_process';
import { which } from '../base/which.ts';
import type { NetnsTarget } from './iptables.ts';
import { runNet } from './iptables.ts';
import type { LinkShape } from './links.ts';

/**
 * Latency with `tc netem`, inside a node's network namespace: the node's
 * outgoing packets toward the shaped peers go through a netem band of a
 * prio qdisc; everything else keeps the default bands.
 *
 * Whether the kernel has netem is probed once by adding a netem qdisc to
 * the loopback device of a throwaway network namespace (`unshare -n`):
 * nothing on the host is touched, and the answer is exact where reading
 * module lists is not (netem may be built in, loadable or absent).
 */

let probed: string | undefined | null = null;

/** Why `tc netem` cannot be used here, or undefined when it can. Cached. */
export const netemMissing = (): string | undefined => {
  if (probed !== null) return probed;
  const tc = which('tc') ?? which('/usr/sbin/tc') ?? which('/sbin/tc');
  const unshare = which('unshare') ?? which('/usr/bin/unshare');
  if (process.getuid?.() !== 0) probed = 'faultline is not running as root, which tc needs';
  else if (!tc || !unshare) probed = 'tc is not installed (apt-get install iproute2)';
  else {
    try {
      execFileSync(unshare, ['-n', tc, 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], {
        stdio: 'pipe',
        timeout: 10_000,
      });
      probed = undefined;
    } catch (e) {
      const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
      probed = `this kernel has no tc netem qdisc (sch_netem)${stderr ? `: tc says "${stderr}"` : ''}`;
    }
  }
  return probed;
};

/** The tc commands that delay packets from this namespace's `dev` to `destinations` (one shape for all). */
export const netemCommands = (dev: string, destinations: readonly string[], shape: LinkShape): string[][] => {
  const delay = `${Math.round(shape.delayMs ?? 0)}ms`;
  const jitter = shape.jitterMs ? [`${Math.round(shape.jitterMs)}ms`] : [];
  const words = (text: string) => text.split(' ');
  return [
    // Four bands: the default priomap uses bands 1-3; band 4 is ours.
    words(`qdisc replace dev ${dev} root handle 1: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1`),
    [...words(`qdisc replace dev ${dev} parent 1:4 handle 40: netem delay ${delay}`), ...jitter],
    ...destinations.map((d) =>
      words(`filter add dev ${dev} parent 1: protocol ip prio 1 u32 match ip dst ${d}/32 flowid 1:4`),
    ),
  ];
};

/** Delays packets toward `destinations` (replacing any earlier delay of this namespace). */
export const applyNetem = async (
  where: NetnsTarget,
  dev: string,
  destinations: readonly string[],
  shape: LinkShape,
): Promise<void> => {
  await clearNetem(where, dev);
  for (const args of netemCommands(dev, destinations, shape)) await runNet('tc', args, where);
};

/** Removes faultline's qdisc from `dev` (none there is fine). */
export const clearNetem = async (where: NetnsTarget, dev: string): Promise<void> => {
  await runNet('tc', ['qdisc', 'del', 'dev', dev, 'root'], where).catch(() => undefined);
};
