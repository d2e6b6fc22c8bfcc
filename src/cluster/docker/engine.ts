import type Docker from 'dockerode';

/**
 * The connection to the Docker engine. dockerode reads DOCKER_HOST (and
 * DOCKER_CERT_PATH ...) as the docker CLI does; without it, the local
 * socket /var/run/docker.sock.
 *
 * The engine must run on this machine: the controller reaches containers
 * at their addresses on the run's bridge network, and enters their network
 * namespaces (nsenter) for partitions, neither of which works across a TCP
 * connection to another machine.
 */

export type Engine = Docker;

const DEFAULT_SOCKET = '/var/run/docker.sock';

let DockerClass: typeof Docker | undefined;

/**
 * A client for the engine; no connection is made until a call. dockerode
 * is loaded on first use only (it pulls in gRPC and SSH support, half a
 * second of start-up that runs on the local backend should not pay).
 */
export const connectEngine = async (): Promise<Engine> => {
  DockerClass ??= (await import('dockerode')).default;
  return new DockerClass();
};

/** Where the engine is expected, for messages. */
export const engineAddress = (): string => process.env.DOCKER_HOST ?? `unix://${DEFAULT_SOCKET}`;

const HOW_TO_GET_ONE =
  'install an engine (apt-get install docker.io), start it (dockerd &, or systemctl start docker), ' +
  'or point DOCKER_HOST at a running engine on this machine (unix:///path/to/docker.sock)';

/** Rejects after `ms` unless `p` settles first. */
export const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
};

/**
 * Why no usable engine answers (with how to get one), or undefined when
 * one does. Never throws.
 */
export const engineUnavailable = async (timeoutMs = 5000): Promise<string | undefined> => {
  const host = process.env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) {
    return `DOCKER_HOST=${host} is not a local socket; faultline reaches containers on the run's network and enters their namespaces from this machine, so the engine must run here: unset DOCKER_HOST or set it to unix:///path/to/docker.sock`;
  }
  try {
    await withTimeout((await connectEngine()).ping(), timeoutMs, `the Docker engine at ${engineAddress()}`);
    return undefined;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return `no Docker engine answers at ${engineAddress()} (${why}); ${HOW_TO_GET_ONE}`;
  }
};

/** The HTTP status of a dockerode error (404 no such container, 304 already stopped, 409 conflict), if any. */
export const statusOf = (e: unknown): number | undefined =>
  typeof e === 'object' && e !== null && 'statusCode' in e
    ? Number((e as { statusCode: unknown }).statusCode)
    : undefined;

/** Runs an engine call whose "already so" answers (not found, not modified, conflict) are fine. */
export const tolerate = async (p: Promise<unknown>, statuses: readonly number[] = [304, 404, 409]): Promise<void> => {
  try {
    await p;
  } catch (e) {
    const s = statusOf(e);
    if (s === undefined || !statuses.includes(s)) throw e;
  }
};

export const errorText = (e: unknown): string => {
  if (e instanceof Error) {
    const json = (e as { json?: { message?: string } }).json;
    return json?.message ?? e.message;
  }
  return String(e);
};
