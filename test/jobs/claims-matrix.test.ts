import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellStatus, claimCell, planClaims, probesFor } from '../../src/jobs/claims-matrix.ts';
import {
  BEGIN_MARKER,
  END_MARKER,
  parseClaimsMarkdown,
  renderClaimsMarkdown,
  spliceMarkdown,
} from '../../src/report/claims-markdown.ts';
import type { ClaimsMatrix } from '../../src/report/job-results.ts';
import type { ClaimResult, RunResults } from '../../src/report/results.ts';
import { resolveRunConfig } from '../../src/run/resolve.ts';

describe('probes', () => {
  it('run each claim under a workload and nemesis that can show it, each pair once', () => {
    const p = (claims: Record<string, unknown>) => probesFor(claims).map((x) => `${x.workload}×${x.nemesis}`);
    expect(p({ linearizable: true, lostWrites: 'none', staleReads: 'none', convergence: true })).toEqual([
      'set×leader-kill',
      'set×kill-all',
      'register×isolate-leader',
    ]);
    // The conflicts workload reads every node after healing: no extra run for convergence.
    expect(p({ lostUpdates: 'none', convergence: true })).toEqual(['conflicts×clock-skew']);
    // Stale reads want a partition, which clock skew alone is not.
    expect(p({ staleReads: 'allowed', lostUpdates: 'none' })).toEqual([
      'conflicts×clock-skew',
      'register×isolate-leader',
    ]);
    expect(p({ convergence: true })).toEqual(['set×partition-halves']);
    // Session guarantees under the session workload; split brain and fencing under a partition.
    expect(p({ readYourWrites: true, monotonicReads: false })).toEqual(['session×none']);
    expect(p({ splitBrain: 'none', fencing: true, linearizable: true })).toEqual(['register×isolate-leader']);
    expect(p({ totalConserved: true })).toEqual(['bank×leader-kill']);
    // A claim the table does not know (a new one) is judged under the register probe.
    expect(p({ someNewClaim: true })).toEqual(['register×isolate-leader']);
    expect(p({})).toEqual([]);
  });
});

describe('cells', () => {
  it('are held, violated, allowed, unknown or untested from the runs that judged them', () => {
    expect(cellStatus(undefined, [true])).toBe('not-claimed');
    expect(cellStatus('none', [true, true])).toBe('held');
    expect(cellStatus('none', [true, false])).toBe('violated');
    expect(cellStatus('none', [true, 'unknown'])).toBe('unknown');
    expect(cellStatus('allowed', [true, true])).toBe('allowed');
    expect(cellStatus(false, [true])).toBe('allowed');
    expect(cellStatus('none', ['untested'])).toBe('untested');
    expect(cellStatus('none', [])).toBe('untested');
    // Nobody claims to invent data: a phantom element violates even an "allowed" claim.
    expect(cellStatus('allowed', [false])).toBe('violated');
  });

  it('sum the figure over runs and link the run that shows it best', async () => {
    const config = await resolveRunConfig({ cluster: 'single-leader-async', workload: 'set', seed: 1 });
    const results = (lost: number, held: ClaimResult['held']): RunResults =>
      ({
        valid: held !== false,
        claims: [{ name: 'lostWrites', expected: 'allowed', held, detail: `${lost} lost` }],
        checkers: { set: { valid: lost === 0, acked: 100, lost, lostElements: [] } },
      }) as unknown as RunResults;
    const runs = [
      { dir: '/r/t/a', config, results: results(2, true) },
      { dir: '/r/t/b', config, results: results(9, true) },
      { dir: '/r/t/c', config, results: results(0, true) },
    ];
    const cell = claimCell('lostWrites', 'allowed', runs, '/r');
    expect(cell).toMatchObject({
      status: 'allowed',
      count: 11,
      figure: '11 of 300 acknowledged writes lost (3.7%)',
      shownBy: 't/b',
    });
    expect(cell.runs).toHaveLength(3);
    const violated = claimCell(
      'lostWrites',
      'none',
      [...runs, { dir: '/r/t/d', config, results: results(1, false) }],
      '/r',
    );
    expect(violated).toMatchObject({ status: 'violated', shownBy: 't/d' });
    const notClaimed = claimCell('lostUpdates', undefined, runs, '/r');
    expect(notClaimed).toMatchObject({ status: 'not-claimed', figure: '', count: null, shownBy: null });
  });
});

const matrix = (): ClaimsMatrix => ({
  faultline: 'claims',
  version: 1,
  id: 'x',
  startedAt: '2026-01-01T00:00:00Z',
  durationMs: 1,
  valid: true,
  interrupted: false,
  backend: 'local',
  timeLimitMs: 10_000,
  seeds: [1],
  columns: ['lostWrites', 'staleReads', 'availability'],
  rows: [
    {
      cluster: 'a|b',
      description: 'One leader',
      system: 'replica',
      claims: { lostWrites: 'none' },
      valid: true,
      cells: [
        {
          claim: 'lostWrites',
          expected: 'none',
          status: 'held',
          figure: '0 of 10 lost',
          count: 0,
          shownBy: 'x/y',
          runs: [],
        },
        { claim: 'staleReads', status: 'not-claimed', figure: '', count: null, shownBy: null, runs: [] },
      ],
      availability: { inside: 0.5, outside: 1 },
      runs: [],
    },
    {
      cluster: 'async',
      description: 'Async',
      system: 'replica',
      claims: { lostWrites: 'allowed', staleReads: 'none' },
      valid: false,
      cells: [
        {
          claim: 'lostWrites',
          expected: 'allowed',
          status: 'allowed',
          figure: '3 of 10 lost',
          count: 3,
          shownBy: null,
          runs: [],
        },
        {
          claim: 'staleReads',
          expected: 'none',
          status: 'violated',
          figure: '4 stale',
          count: 4,
          shownBy: null,
          runs: [],
        },
      ],
      availability: { inside: null, outside: null },
      runs: [],
    },
  ],
});

describe('Markdown table', () => {
  it('renders between markers and parses back to the same statuses', () => {
    const md = renderClaimsMarkdown(matrix(), { command: 'npx faultline claims --seeds 1' });
    expect(md.startsWith(BEGIN_MARKER)).toBe(true);
    expect(md).toContain('| `a\\|b` | One leader | **held** · 0 of 10 lost | — | 50% ok in faults, 100% outside |');
    expect(md).toContain('| `async` | Async | allowed · 3 of 10 lost | **VIOLATED** · 4 stale | – |');
    const parsed = parseClaimsMarkdown(md);
    expect(parsed.get('a\\|b')?.get('lost writes')).toBe('held');
    expect(parsed.get('async')).toEqual(
      new Map([
        ['lost writes', 'allowed'],
        ['stale reads', 'violated'],
      ]),
    );
  });

  it('replaces only what is between the markers, and refuses a file without them', () => {
    const doc = `# Title\n\nintro\n\n${BEGIN_MARKER}\nold table\n${END_MARKER}\n\n## After\n`;
    const table = renderClaimsMarkdown(matrix(), { command: 'c' });
    const out = spliceMarkdown(doc, table, 'doc.md');
    expect(out.startsWith('# Title\n\nintro\n\n')).toBe(true);
    expect(out.endsWith(`${END_MARKER}\n\n## After\n`)).toBe(true);
    expect(out).not.toContain('old table');
    expect(spliceMarkdown(out, table, 'doc.md')).toBe(out);
    expect(() => spliceMarkdown('# no markers\n', table, 'doc.md')).toThrow(/doc.md has no claims table markers/);
  });
});

describe('planning the matrix', () => {
  it("takes a user's own preset by path and plans the probes its claims need, N seeds each", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-claims-plan-'));
    try {
      const file = join(dir, 'mine.yaml');
      await writeFile(
        file,
        'name: mine\nsystem: replica\nnodes: 3\noptions: { topology: single-leader, replication: sync }\nclaims: { lostWrites: none, convergence: true }\n',
      );
      const plan = await planClaims({ cluster: file, seeds: 2, reportsDir: dir });
      expect(plan.presets.map((p) => p.config.cluster.name)).toEqual(['mine']);
      expect(plan.presets[0]!.probes.map((p) => `${p.workload}×${p.nemesis}`)).toEqual([
        'set×leader-kill',
        'set×kill-all',
      ]);
      expect(plan.runs).toHaveLength(4);
      expect(new Set(plan.runs.map((r) => r.config.seed)).size).toBe(2);
      // The same seeds for every preset and probe: the matrix reproduces from --seed alone.
      const again = await planClaims({ cluster: file, seeds: 2, reportsDir: dir });
      expect(again.seeds).toEqual(plan.seeds);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
