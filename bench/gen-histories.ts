/**
 * The generated histories of `npm run bench:lin`: the grid of shapes, sizes,
 * client counts and verdicts, written once to a directory with a manifest
 * that the bench and porcupine's Go harness (docs/linearizability.md) both
 * read. Every file is a pure function of its name (fixed seeds).
 *
 *   npx tsx bench/gen-histories.ts [--out DIR] [--max-ops N]
 *
 * kv histories are written in porcupine's kv text format (porcupine's own
 * tests read it with CheckEvents), register histories as faultline
 * history.jsonl (timestamps; CheckOperations).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashString } from '../src/base/random.ts';
import {
  formatPorcupineKv,
  generateHistory,
  type SyntheticShape,
  type SyntheticSpec,
} from '../src/checker/linearizable/synthetic.ts';
import { formatHistoryLine } from '../src/history/jsonl.ts';

export interface GeneratedRow {
  name: string;
  file: string;
  format: 'porcupine-kv' | 'jsonl';
  model: 'kv-append' | 'cas-register';
  /** EDN text of the initial value, as EXPECTED.tsv and `faultline check --initial` take it. */
  initial: string;
  expected: 'valid' | 'invalid';
  shape: SyntheticShape;
  ops: number;
  clients: number;
  info: number;
  /** Which tables it belongs to. */
  groups: ('grid' | 'size' | 'clients' | 'info' | 'memory')[];
}

export const SIZES = [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000];
export const CLIENTS = [1, 2, 5, 10, 20, 50, 100];
/** Sizes and client counts every cell of which must meet the targets; the curves go beyond. */
export const GRID_SIZES = [100, 500, 1000, 2000];
export const GRID_CLIENTS = [1, 5, 10, 20, 50];
/** The size curve's client count and the client curve's size. */
export const CURVE_CLIENTS = 10;
export const CURVE_OPS = 2000;

interface Cell {
  shape: SyntheticShape;
  ops: number;
  clients: number;
  info: number;
  bad: boolean;
  group: GeneratedRow['groups'][number];
}

const nameOf = (c: Omit<Cell, 'group'>): string =>
  `${c.shape === 'kv' ? 'kv' : 'reg'}-n${c.ops}-c${c.clients}${c.info > 0 ? '-info' : ''}-${c.bad ? 'bad' : 'ok'}`;

/** Every generated history of the bench, by name. */
export const benchCells = (maxOps = Number.POSITIVE_INFINITY): Map<string, Cell & { groups: Set<Cell['group']> }> => {
  const cells = new Map<string, Cell & { groups: Set<Cell['group']> }>();
  const add = (c: Cell) => {
    if (c.ops > maxOps) return;
    const name = nameOf(c);
    const had = cells.get(name);
    if (had) had.groups.add(c.group);
    else cells.set(name, { ...c, groups: new Set([c.group]) });
  };
  for (const shape of ['kv', 'register'] as const) {
    for (const bad of [false, true]) {
      for (const ops of GRID_SIZES)
        for (const clients of GRID_CLIENTS) add({ shape, ops, clients, info: 0, bad, group: 'grid' });
      for (const ops of SIZES) add({ shape, ops, clients: CURVE_CLIENTS, info: 0, bad, group: 'size' });
      for (const clients of CLIENTS) add({ shape, ops: CURVE_OPS, clients, info: 0, bad, group: 'clients' });
      // Crashed clients (info operations, 1%): they can take effect anywhere after their call.
      for (const ops of [500, 2000])
        for (const clients of [10, 50]) add({ shape, ops, clients, info: 0.01, bad, group: 'info' });
    }
  }
  // The memory budget: a 100,000-operation register history and a 20,000-operation kv history.
  add({ shape: 'register', ops: 100_000, clients: 10, info: 0, bad: false, group: 'memory' });
  add({ shape: 'register', ops: 100_000, clients: 10, info: 0, bad: true, group: 'memory' });
  add({ shape: 'kv', ops: 20_000, clients: 50, info: 0, bad: false, group: 'memory' });
  add({ shape: 'kv', ops: 20_000, clients: 50, info: 0, bad: true, group: 'memory' });
  return cells;
};

/** Writes the histories (all, or those `keep` accepts) to `dir` and returns their rows. */
export const writeHistories = (
  dir: string,
  options: { maxOps?: number; keep?: (name: string) => boolean } = {},
): GeneratedRow[] => {
  mkdirSync(dir, { recursive: true });
  const rows: GeneratedRow[] = [];
  for (const [name, cell] of benchCells(options.maxOps)) {
    if (options.keep && !options.keep(name)) continue;
    const spec: SyntheticSpec = {
      shape: cell.shape,
      ops: cell.ops,
      clients: cell.clients,
      info: cell.info,
      violation: cell.bad,
      seed: hashString(name),
    };
    const g = generateHistory(spec);
    const kv = cell.shape === 'kv';
    const file = join(dir, `${name}.${kv ? 'txt' : 'jsonl'}`);
    writeFileSync(file, kv ? formatPorcupineKv(g.history) : g.history.map(formatHistoryLine).join(''));
    rows.push({
      name,
      file,
      format: kv ? 'porcupine-kv' : 'jsonl',
      model: g.model,
      initial: kv ? '""' : 'nil',
      expected: g.expected,
      shape: cell.shape,
      ops: cell.ops,
      clients: cell.clients,
      info: cell.info,
      groups: [...cell.groups],
    });
  }
  writeFileSync(
    join(dir, 'MANIFEST.tsv'),
    `${['name', 'file', 'format', 'model', 'initial', 'expected', 'groups'].join('\t')}\n${rows
      .map((r) => [r.name, r.file, r.format, r.model, r.initial, r.expected, r.groups.join(',')].join('\t'))
      .join('\n')}\n`,
  );
  return rows;
};

export const DEFAULT_HISTORY_DIR = join(tmpdir(), 'faultline-lin-histories');

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: DEFAULT_HISTORY_DIR }, 'max-ops': { type: 'string' } },
  });
  const rows = writeHistories(values.out, values['max-ops'] ? { maxOps: Number(values['max-ops']) } : {});
  console.log(`${rows.length} histories in ${values.out} (MANIFEST.tsv lists them)`);
}
