import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  campaignExitCode,
  expandMatrix,
  matrixHash,
  mergeShards,
  planCampaign,
  type ShardFile,
  shardEntries,
  summariseTests,
} from '../../src/jobs/campaign.ts';
import { campaignSchema, loadCampaign } from '../../src/jobs/campaign-file.ts';
import type { CampaignResults, CampaignRun } from '../../src/report/job-results.ts';
import { rejection } from '../support/rejection.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});
const file = async (text: string): Promise<string> => {
  dir ??= await mkdtemp(join(tmpdir(), 'faultline-campaign-'));
  const f = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(f, text);
  return f;
};

const spec = (over: Record<string, unknown> = {}) =>
  campaignSchema.parse({
    name: 'nightly',
    clusters: ['single-leader-sync', 'single-leader-async'],
    workloads: ['set', 'register'],
    nemeses: ['leader-kill', 'none'],
    runs: 2,
    ...over,
  });

describe('campaign file', () => {
  it('names the file and line of a malformed file, an unknown key and an unknown preset', async () => {
    const malformed = await rejection(loadCampaign(await file('name: x\nclusters: [a\nworkloads: [set]\n')));
    expect(malformed.code).toBe('FL_ERR_CONFIG');
    expect(malformed.describe()).toMatch(/c\w+\.yaml:\d+: malformed YAML/);

    const unknownKey = await rejection(
      loadCampaign(await file('name: x\nclusters: [single-leader-sync]\nworkloads: [set]\nnemeses: [none]\nrunz: 3\n')),
    );
    expect(unknownKey.describe()).toMatch(/\.yaml:5: runz: unknown key "runz"/);

    const unknownPreset = await rejection(
      loadCampaign(
        await file(
          'name: x\nclusters:\n  - single-leader-sync\n  - no-such-cluster\nworkloads: [set]\nnemeses: [none]\n',
        ),
      ),
    );
    expect(unknownPreset.describe()).toMatch(/\.yaml:4: clusters\[1\]: unknown cluster preset "no-such-cluster"/);
    expect(unknownPreset.hint).toMatch(/single-leader-async/);

    const both = await rejection(
      loadCampaign(
        await file('name: x\nclusters: [single-leader-sync]\nworkloads: [set]\nnemeses: [none]\nruns: 2\nseeds: [1]\n'),
      ),
    );
    expect(both.message).toMatch(/either runs or seeds/);
  });

  it('resolves preset paths against the campaign file', async () => {
    const f = await file('name: x\nclusters: [./mine.yaml]\nworkloads: [set]\nnemeses: [none]\n');
    const e = await rejection(loadCampaign(f));
    expect(e.message).toContain(join(dir!, 'mine.yaml'));
  });
});

describe('matrix', () => {
  it('expands clusters × workloads × nemeses × runs, minus exclude, plus include', () => {
    const s = spec({
      exclude: [{ cluster: 'single-leader-async', workload: 'register' }],
      include: [
        { cluster: 'multi-leader-lww', workload: 'conflicts', nemesis: 'clock-skew', timeLimit: '5s', runs: 1 },
      ],
      timeLimit: '20s',
    });
    const m = expandMatrix(s, 1);
    expect(m).toHaveLength(2 * 2 * 2 * 2 - 4 + 1);
    expect(m.map((e) => e.index)).toEqual(m.map((_, i) => i));
    expect(m.some((e) => e.cluster === 'single-leader-async' && e.workload === 'register')).toBe(false);
    expect(m.at(-1)).toMatchObject({ cluster: 'multi-leader-lww', timeLimitMs: 5000, origin: ['include', 0] });
    expect(m[0]).toMatchObject({ timeLimitMs: 20_000, origin: ['clusters', 0] });
  });

  it('gives every cluster of a cell the same seeds, different per repetition and per campaign seed', () => {
    const m = expandMatrix(spec(), 1);
    const seedsOf = (c: string) => m.filter((e) => e.cluster === c && e.workload === 'set' && e.nemesis === 'none');
    expect(seedsOf('single-leader-sync').map((e) => e.seed)).toEqual(seedsOf('single-leader-async').map((e) => e.seed));
    expect(new Set(seedsOf('single-leader-sync').map((e) => e.seed)).size).toBe(2);
    expect(expandMatrix(spec(), 2).map((e) => e.seed)).not.toEqual(m.map((e) => e.seed));
    expect(expandMatrix(spec(), 1)).toEqual(m);
    const fixed = expandMatrix(spec({ runs: undefined, seeds: [5, 6] }), 1);
    expect(fixed.map((e) => e.seed)).toEqual(Array.from({ length: 8 }, () => [5, 6]).flat());
  });

  it('splits into shards that are disjoint and together are the whole matrix (property)', () => {
    const m = expandMatrix(spec({ runs: 3 }), 9);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: m.length }), (n) => {
        const shards = Array.from({ length: n }, (_, i) => shardEntries(m, { index: i + 1, count: n }));
        const all = shards.flat().map((e) => e.index);
        expect(all.sort((a, b) => a - b)).toEqual(m.map((e) => e.index));
        expect(Math.max(...shards.map((s) => s.length)) - Math.min(...shards.map((s) => s.length))).toBeLessThanOrEqual(
          1,
        );
      }),
    );
    expect(matrixHash(m)).toBe(matrixHash(expandMatrix(spec({ runs: 3 }), 9)));
    expect(matrixHash(m)).not.toBe(matrixHash(expandMatrix(spec({ runs: 3 }), 10)));
  });

  it('refuses more shards than runs before anything starts', async () => {
    const f = await file('name: x\nclusters: [single-leader-sync]\nworkloads: [set]\nnemeses: [none]\nruns: 2\n');
    const e = await rejection(planCampaign(f, { shard: { index: 1, count: 3 } }));
    expect(e.path).toBe('--shard');
    const plan = await planCampaign(f, { shard: { index: 2, count: 2 }, id: 'n1' });
    expect(plan.runs).toHaveLength(1);
    expect(plan.entries[0]!.index).toBe(1);
    expect(plan.matrixSize).toBe(2);
  });
});

// ------------------------------------------------------------------ merge

const run = (index: number, valid: CampaignRun['valid'], over: Partial<CampaignRun> = {}): CampaignRun => ({
  index,
  test: `t${index % 3}`,
  cluster: `c${index % 3}`,
  workload: 'set',
  nemesis: 'none',
  seed: 100 + index,
  status: 'done',
  valid,
  runId: `r${index}`,
  dir: `t${index % 3}/r${index}`,
  claims: [{ name: 'lostWrites', expected: 'none', held: valid === true, detail: 'x' }],
  lost: valid === true ? 0 : 3,
  acked: 100,
  staleReads: null,
  throughput: 50,
  durationMs: 1000,
  replay: `npx faultline run --seed ${100 + index}`,
  ...over,
});

const campaign = (runs: CampaignRun[], over: Partial<CampaignResults> = {}): CampaignResults => ({
  faultline: 'campaign',
  version: 1,
  name: 'nightly',
  id: 'n1',
  file: 'c.yaml',
  seed: 1,
  matrixHash: 'abc',
  matrixSize: 7,
  shards: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 7000,
  budgetMs: null,
  valid: !runs.some((r) => r.valid === false),
  interrupted: false,
  exitCode: campaignExitCode(runs),
  runs,
  tests: summariseTests(runs),
  ...over,
});

const shardsOf = (whole: CampaignResults, n: number): ShardFile[] =>
  Array.from({ length: n }, (_, i) => {
    const runs = shardEntries(whole.runs, { index: i + 1, count: n });
    return {
      file: `/r${i}/campaigns/nightly/n1/shard-${i + 1}-of-${n}.json`,
      root: `/r${i}`,
      results: { ...campaign(runs), shard: { index: i + 1, count: n }, startedAt: `2026-01-01T00:00:0${i}.000Z` },
    };
  });

describe('merging shards', () => {
  const whole = campaign(Array.from({ length: 7 }, (_, i) => run(i, i !== 4)));

  it('gives the unsharded campaign back, in matrix order, whatever the order of the shard files', () => {
    for (const n of [1, 2, 3, 7]) {
      const shards = shardsOf(whole, n).reverse();
      const merged = mergeShards(shards);
      expect(merged.runs).toEqual(whole.runs);
      expect(merged.tests).toEqual(whole.tests);
      expect(merged).toMatchObject({ valid: false, exitCode: 1, shards: n, matrixSize: 7 });
      expect(merged.shard).toBeUndefined();
    }
  });

  it('refuses a missing shard, a shard given twice, another matrix and another campaign', () => {
    const [a, b, c] = shardsOf(whole, 3);
    expect(() => mergeShards([a!, c!])).toThrow(/shard 2 of 3 missing/);
    expect(() => mergeShards([a!, b!, b!, c!])).toThrow(/shard 2 of 3 given twice/);
    const other = { ...c!, results: { ...c!.results, matrixHash: 'def' } };
    expect(() => mergeShards([a!, b!, other])).toThrow(/different matrix/);
    const elsewhere = { ...c!, results: { ...c!.results, id: 'n2' } };
    expect(() => mergeShards([a!, b!, elsewhere])).toThrow(/belong to 2 campaigns/);
    expect(() => mergeShards([])).toThrow(/no shard files/);
    expect(() => mergeShards([{ ...a!, results: { ...whole } }])).toThrow(/not a shard file/);
  });
});
