import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { configError } from '../base/errors.ts';
import { parseCount } from '../jobs/options.ts';
import { reportError } from './job-run.ts';

/**
 * `faultline serve [DIR]`: the reports folder over HTTP, read-only, on
 * 127.0.0.1 unless --host says otherwise. Only GET and HEAD; a request path
 * is decoded once, must stay inside the folder after resolving "..", and its
 * real path (symlinks followed) must too, so nothing outside the folder can
 * be read. Directories serve their index.html.
 */
export interface ServeOptions {
  root: string;
  host?: string;
  port?: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The file a request path names inside root, or undefined when it names nothing servable there. */
export const resolveRequestPath = async (root: string, urlPath: string): Promise<string | undefined> => {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const candidate = resolve(root, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  if (!inside(root, candidate)) return undefined;
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return undefined;
  }
  if (!inside(root, real)) return undefined; // a symlink pointing out of the folder
  const info = await stat(real).catch(() => undefined);
  if (info?.isDirectory()) {
    const index = join(real, 'index.html');
    const indexReal = await realpath(index).catch(() => undefined);
    return indexReal && inside(root, indexReal) ? indexReal : undefined;
  }
  return info?.isFile() ? real : undefined;
};

const inside = (root: string, path: string): boolean => path === root || path.startsWith(root + sep);

export const startServer = async (options: ServeOptions): Promise<{ server: Server; url: string; root: string }> => {
  const info = await stat(options.root).catch(() => undefined);
  if (!info?.isDirectory())
    throw configError(`not a folder: ${options.root}`, {
      hint: 'give the reports folder, e.g. faultline serve reports',
    });
  const root = await realpath(resolve(options.root));
  const server = createServer((req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('read-only\n');
      return;
    }
    void resolveRequestPath(root, req.url ?? '/').then((file) => {
      if (!file) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        return;
      }
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Cache-Control': 'no-cache',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => ok());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${host}:${address.port}/`, root };
};

export const registerServe = (program: Command, done: (code: number) => void): void => {
  program
    .command('serve')
    .description('serve the reports folder read-only over HTTP (127.0.0.1 by default)')
    .argument('[dir]', 'the reports folder', 'reports')
    .option('--host <address>', 'address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network)')
    .option('--port <n>', 'port (default 8080; 0 picks a free one)')
    .action(async (dir: string, opts: { host?: string; port?: string }) => {
      done(await serveCommand(dir, opts));
    });
};

const serveCommand = async (dir: string, opts: { host?: string; port?: string }): Promise<number> => {
  let started: Awaited<ReturnType<typeof startServer>>;
  try {
    const port = opts.port === undefined ? 8080 : opts.port === '0' ? 0 : parseCount(opts.port, '--port', 65535);
    started = await startServer({ root: dir, ...(opts.host ? { host: opts.host } : {}), port });
  } catch (e) {
    if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('E'))
      return reportError(configError(`cannot listen: ${e.message}`, { path: '--port' }));
    return reportError(e);
  }
  console.log(`serving ${started.root} (read-only) at ${started.url}`);
  console.log('Ctrl-C to stop');
  await new Promise<void>((ok) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      started.server.close(() => ok());
      started.server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
};
