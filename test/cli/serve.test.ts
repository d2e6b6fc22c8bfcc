import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRequestPath } from '../../src/cli/serve.ts';
import { BIN } from '../e2e/helpers.ts';

/**
 * `faultline serve` as a user starts it: a real server process on a free
 * port. It answers on loopback only, serves the reports folder, and nothing
 * outside it — not through "..", encoded or not, nor through a symlink.
 */

/** A raw GET: the path goes on the wire exactly as given (no client-side normalisation of ".."). */
const get = (port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

const canConnect = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(2000);
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
    s.on('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });

describe('faultline serve', () => {
  let work: string;
  let reports: string;
  let port: number;
  let server: ReturnType<typeof execa>;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'faultline-serve-'));
    reports = join(work, 'reports');
    await mkdir(join(reports, 'set-test', 'run1'), { recursive: true });
    await writeFile(join(reports, 'index.html'), '<!DOCTYPE html><title>index</title>');
    await writeFile(join(reports, 'set-test', 'run1', 'report.html'), '<!DOCTYPE html><title>run</title>');
    await writeFile(join(reports, 'set-test', 'run1', 'results.json'), '{"valid":true}');
    await writeFile(join(work, 'secret.txt'), 'outside the reports folder');
    await symlink(join(work, 'secret.txt'), join(reports, 'link-out.txt'));
    await symlink(work, join(reports, 'dir-out'));
    server = execa(process.execPath, [BIN, 'serve', reports, '--port', '0'], { reject: false, all: true });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void server.then((r) => reject(new Error(`serve exited: ${r.all}`)));
    });
  });

  afterAll(async () => {
    server?.kill('SIGTERM');
    const r = await server;
    expect(r.exitCode).toBe(0);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('serves the folder: its index, a run report, results.json with a JSON type', async () => {
    expect(await get(port, '/')).toMatchObject({ status: 200, body: expect.stringContaining('<title>index</title>') });
    expect((await get(port, '/set-test/run1/report.html')).body).toContain('<title>run</title>');
    expect(await get(port, '/set-test/run1/results.json?x=1')).toEqual({ status: 200, body: '{"valid":true}' });
    expect((await get(port, '/nope.html')).status).toBe(404);
  });

  it('listens on loopback only by default', async () => {
    expect(await canConnect('127.0.0.1', port)).toBe(true);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    for (const address of others) expect(await canConnect(address, port), address).toBe(false);
    expect(await canConnect('::1', port)).toBe(false);
  });

  it('refuses every path out of its folder', async () => {
    for (const path of [
      '/../secret.txt',
      '/set-test/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/..%2f..%2fsecret.txt',
      '/set-test/..%5c..%5csecret.txt',
      '/%252e%252e/secret.txt',
      '/link-out.txt',
      '/dir-out/secret.txt',
      '/secret.txt%00.html',
      '/%ZZ',
    ]) {
      const r = await get(port, path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('outside the reports folder');
    }
  });

  it('is read-only', async () => {
    expect((await get(port, '/index.html', 'PUT')).status).toBe(405);
    expect((await get(port, '/index.html', 'DELETE')).status).toBe(405);
    expect((await get(port, '/index.html', 'HEAD')).status).toBe(200);
  });

  it('resolves request paths inside the root and nowhere else (unit)', async () => {
    const root = reports;
    expect(await resolveRequestPath(root, '/set-test/run1/report.html')).toBe(join(root, 'set-test/run1/report.html'));
    expect(await resolveRequestPath(root, '/set-test/run1/')).toBeUndefined(); // no index.html there
    expect(await resolveRequestPath(root, '/../secret.txt')).toBeUndefined();
    expect(await resolveRequestPath(root, '/link-out.txt')).toBeUndefined();
  });

  it('exits 3 naming the problem for a folder that does not exist or a bad port', async () => {
    const missing = await execa(process.execPath, [BIN, 'serve', join(work, 'nope')], { reject: false, all: true });
    expect(missing.exitCode).toBe(3);
    expect(missing.all).toContain('not a folder');
    const badPort = await execa(process.execPath, [BIN, 'serve', reports, '--port', '70000'], {
      reject: false,
      all: true,
    });
    expect(badPort.exitCode).toBe(3);
    expect(badPort.all).toContain('--port');
  });
});
