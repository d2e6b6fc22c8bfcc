import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { packagePath } from '../../src/base/ts-node.ts';
import { findLeftovers } from '../../src/cluster/registry.ts';
import { netemMissing } from '../../src/net/netem.ts';
import { dockerMissing, rootMissing, skipWithout } from '../support/environment.ts';
import { runOn } from './docker-runs.ts';
import { BIN, expectNothingLeft, faultline, startRun, tempReports } from './helpers.ts';

/**
 * `faultline run --backend docker` as a user runs it: the replica's nodes in
 * containers on the run's own network, faults through the engine and the
 * containers' namespaces. The same runs give the same verdicts as on the
 * local backend (every other preset runs in docker-presets.test.ts), and a
 * killed run is cleaned up.
 */

const yamlFile = (name: string, text: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-e2e-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe.skipIf(skipWithout('docker', dockerMissing()) || skipWithout('root', rootMissing()))(
  'faultline run --backend docker',
  () => {
    // Each pair runs on both backends at once, with the same seed (so the same schedule).
    const pairs: [string, string, string][] = [
      ['single-leader-sync', 'register', 'leader-kill'],
      ['single-leader-sync', 'set', 'isolate-leader'],
      ['single-leader-async', 'set', 'partition-halves'],
      ['single-leader-sync', 'register', 'pause-leader'],
    ];
    it.each(pairs)(
      '%s × %s × %s: the same verdicts as on the local backend',
      async (cluster, workload, nemesis) => {
        const opts = { seed: 11, timeLimit: '9s' };
        const [local, docker] = await Promise.all([
          runOn('local', cluster, workload, nemesis, opts),
          runOn('docker', cluster, workload, nemesis, opts),
        ]);
        expect(docker.backend).toBe('docker');
        expect(docker.exitCode, docker.output).toBe(local.exitCode);
        expect(docker.exitCode, docker.output).toBe(0);
        expect(docker.valid).toBe(local.valid);
        expect(docker.claims).toEqual(local.claims);
        // The nemesis really acted on docker (start and stop of its fault), and clients got through.
        expect(docker.faults.length, docker.output).toBeGreaterThanOrEqual(2);
        expect(docker.faults.sort()).toEqual(local.faults.sort());
        expect(docker.ops).toBeGreaterThan(0);
      },
      240_000,
    );

    it('a SIGKILLed docker run leaves containers and a network that `faultline cleanup` removes', async () => {
      const reports = tempReports();
      const { child, runId } = await startRun([
        ...['--backend', 'docker', '--workload', 'set', '--nemesis', 'partition-halves'],
        ...['--time-limit', '5m', '--reports-dir', reports],
      ]);
      child.kill('SIGKILL');
      await child;
      const left = await findLeftovers(runId);
      expect(left.filter((l) => l.kind === 'container')).toHaveLength(6); // each node and its network holder
      expect(left.filter((l) => l.kind === 'network')).toHaveLength(1);
      const cleanup = await faultline(['cleanup', '--run-id', runId]);
      expect(cleanup.exitCode, cleanup.all).toBe(0);
      expect(cleanup.stdout).toMatch(/6 containers, 1 network, \d+ temp dirs? removed/);
      await expectNothingLeft(runId);
    }, 120_000);
  },
);

describe('docker backend: refused before anything starts', () => {
  const expectRejected = async (args: string[], message: RegExp, env: Record<string, string> = {}) => {
    const reports = tempReports();
    rmSync(reports, { recursive: true });
    const r = await execa(process.execPath, [BIN, 'run', '--backend', 'docker', ...args, '--reports-dir', reports], {
      reject: false,
      all: true,
      cwd: packagePath('.'),
      env: { FORCE_COLOR: '0', ...env },
    });
    expect(r.exitCode, r.all).toBe(3);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/phase: setup/);
    expect(existsSync(reports)).toBe(false);
  };

  it('no Docker engine answers: exit 3, saying how to get one', async () => {
    await expectRejected(
      [],
      /no Docker engine answers at unix:\/\/\/nonexistent\/docker\.sock.*apt-get install docker\.io.*dockerd.*DOCKER_HOST/s,
      {
        DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      },
    );
  });

  it('a DOCKER_HOST on another machine: exit 3, saying why the engine must be local', async () => {
    await expectRejected([], /DOCKER_HOST=tcp:\/\/192\.0\.2\.1:2375 is not a local socket/, {
      DOCKER_HOST: 'tcp://192.0.2.1:2375',
    });
  });

  it.skipIf(skipWithout('docker', dockerMissing()))(
    'a bad subnet backend option, named with its file and line',
    async () => {
      const file = yamlFile('run.yaml', 'backend: docker\nbackendOptions:\n  subnet: 10.0.0.0/33\n');
      await expectRejected(['--config', file], /run\.yaml:3: backendOptions\.subnet: expected an IPv4 subnet/);
    },
  );

  it.skipIf(skipWithout('docker', dockerMissing()))(
    'an image that is not on this machine: nothing is pulled',
    async () => {
      const cluster = yamlFile(
        'mine.yaml',
        'name: mine\nsystem: replica\nnodes: 3\nimage: faultline-test/absent:never\noptions:\n  topology: single-leader\n  replication: sync\n',
      );
      await expectRejected(
        ['--cluster', cluster],
        /mine\.yaml:4: image: image "faultline-test\/absent:never" .* not on this machine, and faultline pulls nothing/,
      );
    },
  );

  it.skipIf(skipWithout('docker', dockerMissing()) || netemMissing() === undefined)(
    'latency where the kernel has no tc netem: exit 3, saying why',
    async () => {
      const nemesis = yamlFile('slow.yaml', 'name: slow\nfaults:\n  - kind: shape\n    delay: 100ms\n');
      await expectRejected(
        ['--nemesis', nemesis],
        /slow\.yaml:3: faults\[0\]\.kind: the docker backend cannot inject delay faults here: .*tc netem/,
      );
    },
  );
});
