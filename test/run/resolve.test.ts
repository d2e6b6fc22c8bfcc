import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../src/run/resolve.ts';
import { rejection } from '../support/rejection.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = (name: string, text: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-test-'));
  dirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('resolveRunConfig', () => {
  it('resolves the embedded default to a frozen config', async () => {
    const config = await resolveRunConfig({ seed: 7 });
    expect(config.cluster.name).toBe('single-leader-sync');
    expect(config.workload.name).toBe('register');
    expect(config.nemesis.name).toBe('leader-kill');
    expect(config.nodes).toEqual(['n1', 'n2', 'n3']);
    expect(config.timeLimitMs).toBe(30_000);
    expect(config.seed).toBe(7);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.cluster.claims)).toBe(true);
  });

  it('takes flags as strings with units', async () => {
    const config = await resolveRunConfig({
      timeLimit: '12s',
      concurrency: '3',
      rate: '0',
      opTimeout: '500ms',
      nodes: '5',
    });
    expect(config).toMatchObject({ timeLimitMs: 12_000, concurrency: 3, rate: 0, opTimeoutMs: 500 });
    expect(config.nodes).toHaveLength(5);
  });

  it('names an unknown preset and lists the known ones', async () => {
    const e = await rejection(resolveRunConfig({ cluster: 'single-leader-snyc' }));
    expect(e.code).toBe('FL_ERR_CONFIG');
    expect(e.message).toBe('unknown cluster preset "single-leader-snyc"');
    expect(e.path).toBe('--cluster');
    expect(e.hint).toContain('single-leader-sync');
  });

  it('rejects a negative time limit, naming the flag', async () => {
    const e = await rejection(resolveRunConfig({ timeLimit: '-5' }));
    expect(e.path).toBe('--time-limit');
    expect(e.message).toMatch(/non-negative|greater than 0/);
  });

  it('rejects a non-integer concurrency', async () => {
    const e = await rejection(resolveRunConfig({ concurrency: 'lots' }));
    expect(e.path).toBe('--concurrency');
    expect(e.message).toContain('"lots"');
  });

  it('reports malformed YAML with its file and line', async () => {
    const file = tempFile('broken.yaml', 'name: x\nsystem: replica\nnodes: [3\nclaims: {}\n');
    const e = await rejection(resolveRunConfig({ cluster: file }));
    expect(e.file).toBe(file);
    expect(e.line).toBeGreaterThanOrEqual(3);
    expect(e.message).toMatch(/^malformed YAML/);
  });

  it('names the key path and line of a bad value in a preset', async () => {
    const file = tempFile('c.yaml', 'name: x\nsystem: replica\nnodes: 3\nclaims:\n  lostWrites: sometimes\n');
    const e = await rejection(resolveRunConfig({ cluster: file }));
    expect(e.file).toBe(file);
    expect(e.path).toBe('claims.lostWrites');
    expect(e.line).toBe(5);
    expect(e.describe()).toContain(`${file}:5: claims.lostWrites:`);
  });

  it('rejects an unknown key, naming it', async () => {
    const file = tempFile('w.yaml', 'name: w\nclient: set\nmix: {add: 1}\nchekers: [set]\ncheckers: [set]\n');
    const e = await rejection(resolveRunConfig({ workload: file }));
    expect(e.message).toBe('unknown key "chekers"');
    expect(e.path).toBe('chekers');
  });

  it('rejects a grudge naming a node the cluster does not have', async () => {
    const file = tempFile(
      'n.yaml',
      'name: five\nfaults:\n  - kind: partition\n    grudge: { n1: [n4, n5], n5: [n1] }\n',
    );
    const e = await rejection(resolveRunConfig({ nemesis: file }));
    expect(e.code).toBe('FL_ERR_CONFIG');
    expect(e.file).toBe(file);
    expect(e.path).toMatch(/^faults\[0\]\.grudge\.n[15]$/);
    expect(e.message).toMatch(/grudge names node n[45], but the cluster has 3 nodes/);
  });

  it('rejects an operation the workload client does not know', async () => {
    const file = tempFile('w.yaml', 'name: w\nclient: set\nmix: {add: 1, delete: 1}\ncheckers: [set]\n');
    const e = await rejection(resolveRunConfig({ workload: file }));
    expect(e.path).toBe('mix.delete');
    expect(e.hint).toContain('add, read');
  });

  it('rejects an unknown checker', async () => {
    const file = tempFile('w.yaml', 'name: w\nclient: set\nmix: {add: 1}\ncheckers: [set, sett]\n');
    const e = await rejection(resolveRunConfig({ workload: file }));
    expect(e.path).toBe('checkers[1]');
  });

  it('accepts a run file with inline presets, and flags override it', async () => {
    const file = tempFile(
      'run.yaml',
      [
        'test: inline-test',
        'cluster: single-leader-async',
        'workload: { name: tiny-set, client: set, mix: { add: 1 }, final: read-each-node, checkers: [set] }',
        'nemesis: none',
        'timeLimit: 10s',
        'seed: 3',
      ].join('\n'),
    );
    const config = await resolveRunConfig({ config: file, seed: '4' });
    expect(config.test).toBe('inline-test');
    expect(config.workload.name).toBe('tiny-set');
    expect(config.cluster.name).toBe('single-leader-async');
    expect(config.timeLimitMs).toBe(10_000);
    expect(config.seed).toBe(4);
  });

  it('names the line of a bad inline preset inside a run file', async () => {
    const file = tempFile(
      'run.yaml',
      'cluster: single-leader-sync\nworkload:\n  name: w\n  client: queue\n  mix: {add: 1}\n  checkers: [set]\n',
    );
    const e = await rejection(resolveRunConfig({ config: file }));
    expect(e.file).toBe(file);
    expect(e.path).toBe('workload.client');
    expect(e.line).toBe(4);
  });
});

describe('cross-checks name the preset line', () => {
  it('points at the grudge line of a nemesis preset', async () => {
    const file = tempFile(
      'n.yaml',
      'name: n\nfaults:\n  - kind: kill\n  - kind: partition\n    grudge:\n      n1: [n7]\n',
    );
    const e = await rejection(resolveRunConfig({ nemesis: file }));
    expect(e.describe()).toMatch(new RegExp(`^${file}:6: faults\\[1\\]\\.grudge\\.n1: grudge names node n7`));
  });

  it('points at an inline workload inside a run file', async () => {
    const file = tempFile(
      'run.yaml',
      'workload:\n  name: w\n  client: set\n  mix: {add: 1}\n  checkers: [set, nope]\n',
    );
    const e = await rejection(resolveRunConfig({ config: file }));
    expect(e.path).toBe('workload.checkers[1]');
    expect(e.line).toBe(5);
  });
});
