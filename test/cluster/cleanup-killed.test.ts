import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, onTestFinished, test } from 'vitest';
import { connectEngine } from '../../src/cluster/docker/engine.ts';
import { ensureBaseImage } from '../../src/cluster/docker/image.ts';
import { LABEL_RUN, LABEL_TOKEN } from '../../src/cluster/markers.ts';
import { cleanupLeftovers, findLeftovers } from '../../src/cluster/registry.ts';
import { chainNameFor } from '../../src/net/iptables.ts';
import { faultline } from '../e2e/helpers.ts';
import { dockerMissing, rootMissing, skipWithout } from '../support/environment.ts';
import { isAlive, newRunId, runAndKillController } from './helpers.ts';

/**
 * A controller SIGKILLed in the middle of a run gets no chance to tear
 * down. `faultline cleanup` must then remove everything of that run —
 * containers, networks, processes, firewall chains, temp dirs — and
 * nothing that is not faultline's: a container and a network without its
 * labels, or with a run id but no valid token, survive.
 */

const kinds = (items: readonly { kind: string }[]) => items.map((l) => l.kind).sort();

describe.skipIf(skipWithout('docker', dockerMissing()) || skipWithout('root', rootMissing()))(
  'cleanup after a SIGKILLed docker run',
  () => {
    test('removes its containers, network and temp dir; a container and a network without valid labels survive', async () => {
      const runId = newRunId();
      onTestFinished(() => cleanupLeftovers({ runId, force: true }).then(() => {}));
      const engine = await connectEngine();
      // Not faultline's: no labels at all, or a run id without its token.
      const image = await ensureBaseImage(engine);
      const tag = randomUUID().slice(0, 8);
      const strangers = [
        await engine.createContainer({ name: `stranger-${tag}`, Image: image, Cmd: ['/bin/true'] }),
        await engine.createContainer({
          name: `forged-${tag}`,
          Image: image,
          Cmd: ['/bin/true'],
          Labels: { [LABEL_RUN]: runId, [LABEL_TOKEN]: 'not-the-token' },
        }),
      ];
      const strangerNet = await engine.createNetwork({ Name: `stranger-${tag}`, Internal: true });
      const forgedNet = await engine.createNetwork({
        Name: `forged-${tag}`,
        Internal: true,
        Labels: { [LABEL_RUN]: runId },
      });
      onTestFinished(async () => {
        for (const c of strangers) await c.remove({ force: true }).catch(() => {});
        for (const n of [strangerNet, forgedNet]) await n.remove().catch(() => {});
      });

      const report = await runAndKillController(runId, ['docker']);
      const containerIds = Object.values(report.containers ?? {});
      expect(containerIds).toHaveLength(3);
      // The run outlives its controller: that is the problem cleanup solves.
      const left = await findLeftovers(runId);
      expect(kinds(left)).toEqual([...Array(6).fill('container'), 'network', 'temp dir']); // per node: its container and its network holder
      expect(left.every((l) => !l.controllerAlive)).toBe(true);

      const r = await faultline(['cleanup', '--run-id', runId]);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain('6 containers, 1 network, 1 temp dir removed');

      expect(await findLeftovers(runId)).toEqual([]);
      const all = await engine.listContainers({ all: true });
      for (const id of containerIds) expect(all.some((c) => c.Id === id)).toBe(false);
      expect((await engine.listNetworks()).some((n) => n.Name === report.network)).toBe(false);
      expect(existsSync(report.runDir)).toBe(false);
      // What is not faultline's is still there.
      for (const c of strangers) await expect(c.inspect()).resolves.toBeTruthy();
      for (const n of [strangerNet, forgedNet]) await expect(n.inspect()).resolves.toBeTruthy();
      // And a sweep of every orphaned run would not touch them either.
      const dry = await faultline(['cleanup', '--dry-run']);
      expect(dry.stdout).not.toContain(tag);
    }, 180_000);

    test('a controller that exits without going down (an uncaught error): a detached reaper removes its containers and network', async () => {
      const runId = newRunId();
      onTestFinished(() => cleanupLeftovers({ runId, force: true }).then(() => {}));
      await runAndKillController(runId, ['docker', '--exit']);
      let left = await findLeftovers(runId);
      for (let i = 0; i < 300 && left.some((l) => l.kind === 'container' || l.kind === 'network'); i++) {
        await new Promise((r) => setTimeout(r, 200));
        left = await findLeftovers(runId);
      }
      // (Its temp dir is left for `faultline cleanup`.)
      expect(left.filter((l) => l.kind === 'container' || l.kind === 'network')).toEqual([]);
    }, 180_000);
  },
);

const iptablesSave = async (table: string) => (await execa('iptables-save', ['-t', table])).stdout;

describe.skipIf(skipWithout('root', rootMissing()))(
  'cleanup after a SIGKILLed local run of a direct-addressing system',
  () => {
    test('removes its processes, firewall chains and temp dir; a rule that only pretends to be faultline’s survives', async () => {
      const runId = newRunId();
      onTestFinished(() => cleanupLeftovers({ runId, force: true }).then(() => {}));
      // A jump that names the run id but carries no valid token, into a chain that is not ours.
      const forgedChain = `FORGED-${randomUUID().slice(0, 8)}`;
      const forgedComment = `faultline run=${runId} token=bogus controller=1:0`;
      await execa('iptables', ['-w', '-N', forgedChain]);
      await execa('iptables', [
        '-w',
        '-A',
        'INPUT',
        '-i',
        'lo',
        '-m',
        'comment',
        '--comment',
        forgedComment,
        '-j',
        forgedChain,
      ]);
      onTestFinished(async () => {
        await execa(
          'iptables',
          ['-w', '-D', 'INPUT', '-i', 'lo', '-m', 'comment', '--comment', forgedComment, '-j', forgedChain],
          {
            reject: false,
          },
        );
        await execa('iptables', ['-w', '-X', forgedChain], { reject: false });
      });

      const report = await runAndKillController(runId, ['local', '--direct', '--partition']);
      const pids = Object.values(report.pids).filter((p): p is number => p !== undefined);
      expect(pids).toHaveLength(3);
      const chain = chainNameFor(runId);
      expect(await iptablesSave('filter')).toContain(`-A ${chain} -s `); // the partition is in force
      expect(await iptablesSave('nat')).toContain(`-A ${chain} -o lo -m owner`);
      const left = await findLeftovers(runId);
      expect(kinds(left)).toEqual(['firewall chain', 'firewall chain', 'process', 'process', 'process', 'temp dir']);

      const r = await faultline(['cleanup', '--run-id', runId]);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain('3 processes, 2 firewall chains, 1 temp dir removed');

      expect(await findLeftovers(runId)).toEqual([]);
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
      expect(existsSync(report.runDir)).toBe(false);
      for (const table of ['filter', 'nat']) {
        const rules = await iptablesSave(table);
        expect(rules).not.toContain(chain);
        // The only rule left that names the run is the forged one.
        const naming = rules.split('\n').filter((l) => l.includes(`run=${runId}`));
        expect(naming.every((l) => l.includes('token=bogus'))).toBe(true);
      }
      expect(await iptablesSave('filter')).toContain(`-j ${forgedChain}`);
    }, 120_000);
  },
);
