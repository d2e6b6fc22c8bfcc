/**
 * npm run bench:lin — the linearizability checker on every shared corpus
 * history, beside porcupine's Go times (../shared/corpora/TIMINGS.md).
 *
 * Each history is parsed once (not timed). A warm-up pass checks every
 * history once: its time is the "first" column (V8 has not optimised the
 * search yet: closer to a one-off `faultline check`). Then each history is
 * checked at least RUNS times and until about 100 ms were spent on it (V8
 * compiles the hot loop after enough iterations, as Go does ahead of
 * time); the minimum is kept, as for porcupine's figures. The kv histories
 * are checked twice, as porcupine's suite does: partitioned by key ("kv")
 * and as one map-valued state ("kv-nopart", the hard case).
 *
 * Options: --runs N (default 5), --filter TEXT (rows whose name contains it),
 * --corpus DIR.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packagePath } from '../src/base/ts-node.ts';
import { fromHistory } from '../src/checker/linearizable/from-history.ts';
import { check } from '../src/checker/linearizable/index.ts';
import type { AnyModel, Operation } from '../src/checker/linearizable/types.ts';
import { getModel, type OpInput } from '../src/checker/models/index.ts';
import { type HistoryFormat, readHistoryFile } from '../src/history/formats/index.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    filter: { type: 'string', default: '' },
    corpus: { type: 'string', default: join(packagePath('.'), '..', 'shared', 'corpora') },
  },
});
const runs = Math.max(1, Number(args.runs));
const corpus = args.corpus;

if (!existsSync(join(corpus, 'EXPECTED.tsv'))) {
  console.error(`corpus not found: ${join(corpus, 'EXPECTED.tsv')} is missing (pass --corpus DIR)`);
  process.exit(3);
}

interface Row {
  name: string;
  path: string;
  expected: string;
  model: AnyModel<unknown, OpInput, unknown>;
  ops: Operation<OpInput, unknown>[];
  goMs: number | undefined;
}

/** "nil" → null, '""' → "", numbers as numbers: the initial column of EXPECTED.tsv (EDN). */
const parseInitial = (text: string): unknown => {
  if (text === 'nil') return null;
  if (text === '""' || text === '') return '';
  const n = Number(text);
  return Number.isNaN(n) ? text : n;
};

/** Go times (2 threads column) by history name, from TIMINGS.md. */
const goTimes = new Map<string, number>();
const timingsFile = join(corpus, 'TIMINGS.md');
if (existsSync(timingsFile)) {
  for (const line of readFileSync(timingsFile, 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 7 || !/^\d/.test(cells[3] ?? '')) continue;
    const ms = Number(cells[5]);
    if (Number.isFinite(ms)) goTimes.set(cells[1]!, ms);
  }
}

const rows: Row[] = [];
const tsv = readFileSync(join(corpus, 'EXPECTED.tsv'), 'utf8').trim().split('\n').slice(1);
for (const line of tsv) {
  const [path, format, modelName, initial, expected] = line.split('\t') as [string, string, string, string, string];
  const ops = fromHistory(await readHistoryFile(join(corpus, path), format as HistoryFormat));
  const base = path
    .split('/')
    .pop()!
    .replace(/\.(log|txt|edn)$/, '');
  const variants: { name: string; partition: boolean }[] =
    modelName === 'kv-append'
      ? [
          { name: `kv ${base}`, partition: true },
          { name: `kv-nopart ${base}`, partition: false },
        ]
      : [{ name: path.startsWith('knossos/') ? `knossos ${base}` : base, partition: true }];
  for (const v of variants) {
    if (args.filter && !v.name.includes(args.filter)) continue;
    const model = getModel(modelName, { initial: parseInitial(initial), partition: v.partition });
    rows.push({ name: v.name, path, expected, model, ops, goMs: goTimes.get(v.name) });
  }
}

const verdictOf = (r: string): string => (r === 'ok' ? 'valid' : r === 'illegal' ? 'invalid' : 'unknown');

// Warm-up pass, timed as "first".
const first = new Map<Row, number>();
for (const row of rows) {
  const t = performance.now();
  await check(row.model, row.ops, { timeoutMs: 120_000 });
  first.set(row, performance.now() - t);
}

const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);
console.log(
  `${pad('history', 34)}${lpad('ops', 5)}  ${pad('expected', 8)}  ${pad('verdict', 8)}${lpad('first ms', 11)}${lpad('ours ms', 11)}${lpad('Go ms', 11)}${lpad('ratio', 8)}`,
);
let ours = 0;
let go = 0;
let oursNoGo = 0;
let worst = { name: '', ratio: 0 };
let mismatches = 0;
const hard: string[] = [];
for (const row of rows) {
  let best = Number.POSITIVE_INFINITY;
  let verdict = '';
  const started = performance.now();
  for (let i = 0; i < runs || (performance.now() - started < 100 && i < 2000); i++) {
    const t = performance.now();
    const r = await check(row.model, row.ops, { timeoutMs: 120_000 });
    best = Math.min(best, performance.now() - t);
    verdict = verdictOf(r.result);
  }
  if (verdict !== row.expected) mismatches++;
  let ratio = '';
  if (row.goMs !== undefined) {
    ours += best;
    go += row.goMs;
    const q = best / row.goMs;
    ratio = q.toFixed(2);
    if (q > worst.ratio) worst = { name: row.name, ratio: q };
    if (row.goMs > 50) hard.push(`${row.name} ${q.toFixed(2)}`);
  } else {
    oursNoGo += best;
  }
  console.log(
    `${pad(row.name, 34)}${lpad(String(row.ops.length), 5)}  ${pad(row.expected, 8)}  ${pad(verdict === row.expected ? verdict : `${verdict}!`, 8)}${lpad(first.get(row)!.toFixed(3), 11)}${lpad(best.toFixed(3), 11)}${lpad(row.goMs?.toFixed(3) ?? '-', 11)}${lpad(ratio, 8)}`,
  );
}
console.log('');
console.log(
  `total (histories with a Go time): ours ${ours.toFixed(1)} ms, Go ${go.toFixed(1)} ms, ratio ${(ours / go).toFixed(3)}`,
);
console.log(`knossos histories (no Go time): ours ${oursNoGo.toFixed(1)} ms`);
console.log(`hard histories (Go > 50 ms), ratio: ${hard.join(', ')}`);
console.log(`slowest relative to Go: ${worst.name} ×${worst.ratio.toFixed(2)}`);
console.log(
  `verdict mismatches: ${mismatches}; runs per history: at least ${runs} and 100 ms (min kept), node ${process.version}`,
);
if (mismatches > 0) process.exitCode = 1;
