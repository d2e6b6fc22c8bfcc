import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { configError, FaultlineError } from '../../base/errors.ts';
import { type Engine, errorText } from './engine.ts';

/**
 * One user-defined bridge network per run, `internal` (Docker gives it no
 * route beyond this machine and no NAT), on a subnet of its own: node i
 * gets the address .(i + 2), the host's end of the bridge is .1, and the
 * controller reaches nodes there directly — nothing is published on the
 * host's interfaces.
 *
 * The subnet is the backend option `subnet` when given; otherwise a /24 of
 * 10.213.0.0/16 that no Docker network and no host route uses yet, starting
 * at a point drawn from the run id, so concurrent runs spread out; if two
 * runs still pick the same one, the engine refuses the second ("overlaps")
 * and it moves on to the next.
 */

export const DEFAULT_POOL = '10.213.0.0/16';

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

const toInt = (ip: string): number | undefined => {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
};

export const toIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** Parses "a.b.c.d/p"; undefined when it is not an IPv4 CIDR. */
export const parseCidr = (text: string): Cidr | undefined => {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const ip = toInt(m[1]!);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  return { base: (ip & maskOf(prefix)) >>> 0, prefix };
};

export const formatCidr = (c: Cidr): string => `${toIp(c.base)}/${c.prefix}`;

export const overlaps = (a: Cidr, b: Cidr): boolean => {
  const prefix = Math.min(a.prefix, b.prefix);
  return (a.base & maskOf(prefix)) >>> 0 === (b.base & maskOf(prefix)) >>> 0;
};

/** Checks the `subnet` backend option: an IPv4 network with room for the gateway and nodes. */
export const validateSubnet = (value: unknown, path = 'backendOptions.subnet'): Cidr => {
  const c = typeof value === 'string' ? parseCidr(value) : undefined;
  if (!c) {
    throw configError(`expected an IPv4 subnet such as "10.213.7.0/24", got ${JSON.stringify(value)}`, { path });
  }
  if (c.prefix < 8 || c.prefix > 28) {
    throw configError(
      `subnet ${formatCidr(c)} must have a prefix between /8 and /28 (room for the gateway and 9 nodes)`,
      {
        path,
      },
    );
  }
  return c;
};

/** IPv4 routes of this host (from /proc/net/route), so a run's subnet never shadows a real network. */
export const hostRoutes = (routeTable?: string): Cidr[] => {
  let text = routeTable;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/net/route', 'utf8');
    } catch {
      return [];
    }
  }
  const out: Cidr[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (!dest || !mask) continue;
    // Little-endian hex.
    const le = (h: string) => Buffer.from(h, 'hex').readUInt32LE(0);
    const m = le(mask);
    if (m === 0) continue; // the default route covers everything; it is not a network of its own
    const prefix = m.toString(2).replace(/0/g, '').length;
    out.push({ base: (le(dest) & maskOf(prefix)) >>> 0, prefix });
  }
  return out;
};

/** Subnets the engine's networks use. */
const engineSubnets = async (engine: Engine): Promise<Cidr[]> => {
  const nets = await engine.listNetworks();
  return nets.flatMap((n) =>
    (n.IPAM?.Config ?? []).flatMap((c) => {
      const parsed = c.Subnet ? parseCidr(c.Subnet) : undefined;
      return parsed ? [parsed] : [];
    }),
  );
};

/** /24s of the pool in the order a run tries them: from a point drawn from its id, wrapping around. */
export const candidateSubnets = (runId: string, pool: Cidr = parseCidr(DEFAULT_POOL)!): Cidr[] => {
  const count = 2 ** (24 - pool.prefix);
  const start = createHash('sha256').update(runId).digest().readUInt32BE(0) % count;
  return Array.from({ length: count }, (_, i) => ({ base: pool.base + ((start + i) % count) * 256, prefix: 24 }));
};

export interface RunNetwork {
  id: string;
  name: string;
  subnet: Cidr;
  /** The host's address on the bridge. */
  gateway: string;
  /** The address of node `index` (0-based). */
  addressOf(index: number): string;
}

const networkOf = (id: string, name: string, subnet: Cidr): RunNetwork => ({
  id,
  name,
  subnet,
  gateway: toIp(subnet.base + 1),
  addressOf: (index) => toIp(subnet.base + index + 2),
});

/** Creates the run's network; FL_ERR_BACKEND when no subnet can be had. */
export const createRunNetwork = async (
  engine: Engine,
  options: { name: string; runId: string; labels: Record<string, string>; subnet?: Cidr; nodes: number },
): Promise<RunNetwork> => {
  const used = [...(await engineSubnets(engine)), ...hostRoutes()];
  const candidates = options.subnet
    ? [options.subnet]
    : candidateSubnets(options.runId).filter((c) => !used.some((u) => overlaps(c, u)));
  if (options.subnet && 2 ** (32 - options.subnet.prefix) < options.nodes + 3) {
    throw configError(`subnet ${formatCidr(options.subnet)} has no room for ${options.nodes} nodes`, {
      path: 'backendOptions.subnet',
    });
  }
  let lastError: unknown;
  for (const subnet of candidates.slice(0, 32)) {
    try {
      const net = await engine.createNetwork({
        Name: options.name,
        Driver: 'bridge',
        Internal: true,
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: formatCidr(subnet), Gateway: toIp(subnet.base + 1) }] },
        Labels: options.labels,
      });
      return networkOf(net.id, options.name, subnet);
    } catch (e) {
      lastError = e;
      // Another run (or network) took it between our look and our create: try the next one.
      if (!options.subnet && /overlap|conflict|in use/i.test(errorText(e))) continue;
      break;
    }
  }
  const tried = options.subnet ? formatCidr(options.subnet) : `a free /24 of ${DEFAULT_POOL}`;
  throw new FaultlineError(
    'FL_ERR_BACKEND',
    `docker: could not create network ${options.name} on ${tried}: ${errorText(lastError)}`,
    {
      cause: lastError,
      hint: options.subnet
        ? 'choose another backendOptions.subnet that no Docker network or host route uses'
        : 'set backendOptions.subnet to a free IPv4 subnet',
    },
  );
};
