import { configError } from '../../base/errors.ts';
import { iptablesMissing } from '../../net/iptables.ts';
import { netemMissing } from '../../net/netem.ts';
import type { System } from '../../systems/system.ts';
import type { Capabilities } from '../backend.ts';
import { clockCapability } from '../faketime.ts';
import { validateSubnet } from './network.ts';

/** What the docker backend can inject for a system here: true, or why not. */
export const dockerCapabilities = (system: System): Capabilities => {
  const net = iptablesMissing({ nsenter: true });
  const rules = net
    ? `the docker backend adds iptables rules inside each container's network namespace from the host (nsenter), but ${net}`
    : true;
  const netem = netemMissing();
  return {
    kill: true,
    pause: true,
    partition: rules,
    loss: rules,
    delay: netem
      ? `latency on the docker backend is tc netem inside the containers, but ${netem}; partitions and packet loss (iptables) still work here, and the local backend's link proxies can delay systems that take per-pair peer addresses`
      : true,
    clock: clockCapability(system),
  };
};

/** The docker backend's options (run file `backendOptions:`), checked. */
export interface DockerOptions {
  /** IPv4 subnet of the run's network, e.g. "10.213.7.0/24"; default: a free /24 of 10.213.0.0/16. */
  subnet?: string;
}

export const validateDockerOptions = (options: Readonly<Record<string, unknown>>): DockerOptions => {
  const known = ['subnet'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw configError(`unknown docker backend option ${JSON.stringify(key)}`, {
        path: `backendOptions.${key}`,
        hint: `known options: ${known.join(', ')}`,
      });
    }
  }
  if (options.subnet !== undefined) validateSubnet(options.subnet);
  return options.subnet === undefined ? {} : { subnet: String(options.subnet) };
};
