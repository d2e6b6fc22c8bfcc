import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import { createClock } from '../../src/base/time.ts';
import { createRecorder } from '../../src/history/recorder.ts';
import { resolveRunConfig } from '../../src/run/resolve.ts';
import type { Client, ClientOp, NodeAddress } from '../../src/systems/system.ts';
import { clientOptionsOf, getWorkload, systemClientOf, workloadNames } from '../../src/workload/index.ts';
import type { ResolvedWorkload, WorkloadPreset } from '../../src/workload/spec.ts';
import { rejection } from '../support/rejection.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const presetFile = (text: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-workload-'));
  dirs.push(dir);
  const file = join(dir, 'w.yaml');
  writeFileSync(file, text);
  return file;
};

const preset = (over: Partial<WorkloadPreset>): WorkloadPreset => ({
  name: 'w',
  client: 'register',
  keys: 3,
  mix: { write: 1, read: 1 },
  options: {},
  ...over,
});

describe('workload modules', () => {
  it('are registered by name, each with operations, default checkers and final phases', () => {
    expect(workloadNames()).toEqual(['register', 'set', 'counter', 'session', 'bank']);
    for (const name of workloadNames()) {
      const w = getWorkload(name);
      expect(Object.keys(w.ops).length).toBeGreaterThan(0);
      expect(w.checkers.length).toBeGreaterThan(0);
      expect(w.finals.length).toBeGreaterThan(0);
    }
    expect(systemClientOf({ client: 'session' })).toBe('register');
    expect(systemClientOf({ client: 'bank' })).toBe('bank');
  });

  it('session: each session writes a key, reads it back, then reads another key', () => {
    const src = getWorkload('session').opSource(
      preset({ client: 'session', mix: { write: 1 } }),
      createRandom(3),
      1,
      4,
    );
    const ops = Array.from({ length: 9 }, () => src.next());
    for (let i = 0; i < 9; i += 3) {
      expect(ops[i]).toMatchObject({ f: 'write' });
      expect(ops[i + 1]).toEqual({ f: 'read', key: ops[i]!.key, value: null });
      expect(ops[i + 2]).toMatchObject({ f: 'read' });
    }
    expect(new Set(ops.filter((o) => o.f === 'write').map((o) => o.value)).size).toBe(3);
  });

  it('bank: transfers between two different accounts of at most half an opening balance; the client gets the accounts', () => {
    const p = preset({ client: 'bank', keys: 4, initial: 20, mix: { transfer: 3, read: 1 } });
    const src = getWorkload('bank').opSource(p, createRandom(7), 0, 1);
    for (let i = 0; i < 200; i++) {
      const op = src.next();
      if (op.f === 'read') continue;
      const v = op.value as { from: string; to: string; amount: number };
      expect(v.from).not.toBe(v.to);
      expect(['a0', 'a1', 'a2', 'a3']).toContain(v.from);
      expect(v.amount).toBeGreaterThanOrEqual(1);
      expect(v.amount).toBeLessThanOrEqual(10);
    }
    expect(clientOptionsOf(p)).toEqual({ accounts: ['a0', 'a1', 'a2', 'a3'], initialBalance: 20 });
    expect(getWorkload('bank').checkerOptions?.(p)).toEqual({ accounts: ['a0', 'a1', 'a2', 'a3'], initialBalance: 20 });
  });
});

/** A node whose client answers from a script: `answers` per node, in order, then ok. */
const scriptedNodes = (answers: Record<string, ('fail' | 'ok')[]>) => {
  const opened: { node: string; localReads: boolean }[] = [];
  const open = async (node: NodeAddress, o: { localReads?: boolean } = {}): Promise<Client> => {
    opened.push({ node: node.id, localReads: o.localReads === true });
    return {
      invoke: async (op: ClientOp) => {
        const next = answers[node.id]?.shift() ?? 'ok';
        return next === 'ok'
          ? { type: 'ok', value: op.f === 'read' ? [1, 2] : op.value }
          : { type: 'fail', error: 'catching up' };
      },
      close: async () => {},
    };
  };
  return { open, opened };
};

const addresses: NodeAddress[] = ['n1', 'n2', 'n3'].map((id, i) => ({
  id,
  host: '127.0.0.1',
  port: 7000 + i,
  ports: { main: 7000 + i },
}));

describe('final phases', () => {
  const context = (preset: ResolvedWorkload, open: ReturnType<typeof scriptedNodes>['open']) => {
    const recorder = createRecorder({ clock: createClock() });
    // A worker's op already recorded: final ops must use higher process numbers.
    recorder.record({ type: 'invoke', process: 12, f: 'add', value: 1 });
    recorder.record({ type: 'ok', process: 12, f: 'add', value: 1 });
    return {
      recorder,
      ctx: { preset, addresses, open, recorder, signal: new AbortController().signal, opTimeoutMs: 100, quiesceMs: 1 },
    };
  };

  it('set: reads every node once with node-local reads, retrying a node that refuses at first', async () => {
    const nodes = scriptedNodes({ n2: ['fail', 'fail'] });
    const { recorder, ctx } = context(
      { ...preset({ client: 'set' }), final: 'read-each-node', checkers: ['set'] },
      nodes.open,
    );
    await getWorkload('set').finalPhase(ctx);
    expect(nodes.opened).toEqual(addresses.map((a) => ({ node: a.id, localReads: true })));
    const completions = recorder.ops.filter((o) => o.process !== 12 && o.type !== 'invoke');
    expect(completions.map((o) => `${o.node} ${o.type}`)).toEqual(['n1 ok', 'n2 fail', 'n2 fail', 'n2 ok', 'n3 ok']);
    expect(Math.min(...recorder.ops.filter((o) => o.process !== 12).map((o) => o.process as number))).toBe(13);
  });

  it('register with write-then-read: every key written through each node in turn, then every key read on every node', async () => {
    const nodes = scriptedNodes({});
    const p: ResolvedWorkload = { ...preset({ keys: 2 }), final: 'write-then-read-each-node', checkers: ['conflicts'] };
    const { recorder, ctx } = context(p, nodes.open);
    await getWorkload('register').finalPhase(ctx);
    const invokes = recorder.ops.filter((o) => o.type === 'invoke' && o.process !== 12);
    expect(invokes.map((o) => `${o.f} ${o.key} ${o.node}`)).toEqual([
      'write k0 n1',
      'write k1 n1',
      'write k0 n2',
      'write k1 n2',
      'write k0 n3',
      'write k1 n3',
      'read k0 n1',
      'read k1 n1',
      'read k0 n2',
      'read k1 n2',
      'read k0 n3',
      'read k1 n3',
    ]);
    expect(invokes.filter((o) => o.f === 'write').map((o) => o.value)).toEqual([-1, -2, -3, -4, -5, -6]);
    expect(nodes.opened.filter((o) => o.localReads).length).toBe(3);
  });
});

describe('workload presets against their module', () => {
  it('names an unknown workload and lists the known ones', async () => {
    const file = presetFile('name: x\nclient: queue\nmix: { push: 1 }\n');
    const e = await rejection(resolveRunConfig({ workload: file }));
    expect(e.message).toBe('unknown workload "queue"');
    expect(e.path).toBe('client');
    expect(e.line).toBe(2);
    expect(e.hint).toContain('register, set, counter, session, bank');
  });

  it('rejects a final phase the module does not have', async () => {
    const file = presetFile('name: x\nclient: set\nmix: { add: 1 }\nfinal: write-then-read-each-node\n');
    const e = await rejection(resolveRunConfig({ workload: file }));
    expect(e.message).toBe('the set workload has no final phase "write-then-read-each-node"');
    expect(e.path).toBe('final');
  });

  it("rejects an operation the module does not issue, and the bank's bad opening balance", async () => {
    const op = await rejection(resolveRunConfig({ workload: presetFile('name: x\nclient: bank\nmix: { add: 1 }\n') }));
    expect(op.message).toBe('unknown operation "add" for the bank workload');
    expect(op.hint).toBe('known operations: transfer, read');
    const bal = await rejection(
      resolveRunConfig({ workload: presetFile('name: x\nclient: bank\nmix: { transfer: 1 }\ninitial: -3\n') }),
    );
    expect(bal.message).toBe('the opening balance must be a positive integer');
    expect(bal.path).toBe('initial');
    expect(bal.line).toBe(4);
  });

  it("fills in the module's checkers, final phase and model when the preset does not say", async () => {
    const file = presetFile('name: x\nclient: register\nmix: { read: 1 }\n');
    const c = await resolveRunConfig({ workload: file });
    expect(c.workload).toMatchObject({
      final: 'none',
      checkers: ['linearizable', 'staleness', 'perf'],
      model: 'cas-register',
    });
    const bank = await resolveRunConfig({ workload: 'bank', cluster: 'single-leader-sync' });
    expect(bank.workload).toMatchObject({ final: 'read-each-node', checkers: ['bank', 'perf'] });
  });
});
