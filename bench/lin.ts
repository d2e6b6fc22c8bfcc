/**
 * npm run bench:lin — the linearizability checker beside porcupine (Go).
 *
 * Inputs: every history of the shared corpus (Go times from its
 * TIMINGS.md), and generated histories (bench/gen-histories.ts: porcupine's
 * kv shape and faultline's register shape, 100 to 20,000 operations, 1 to
 * 100 clients, both verdicts, with and without crashed clients).
 *
 * Times, in ms, minimum of several repetitions (the machine is shared and
 * noisy; the minimum is the least disturbed run):
 *  - warm: in this process, after a first check of the same history, at
 *    least --runs times (V8 has optimised the search by then, as Go is
 *    compiled ahead of time);
 *  - cold: a fresh process per repetition, the first check in it
 *    (bench/lin-once.ts; reading and parsing not timed, as for Go): what a
 *    one-off `faultline check` pays;
 *  - Go: porcupine's CheckEvents/CheckOperations through the harness named
 *    by --porcupine (docs/linearizability.md says how to build it), run in
 *    the same session, interleaved with ours: warm = min of its repetitions
 *    in one process, cold = its first check in a fresh process; or read
 *    from a file (--go FILE, the harness's output lines).
 *  - cli: `faultline check --history` on the 2,000-operation 50-client
 *    histories, wall time of the whole process (start included).
 *  - memory: the 100,000-operation register and 20,000-operation kv
 *    histories, checked in a child process under a heap cap; peak RSS.
 *
 * Options: --runs N (warm, default 5), --cold N (fresh processes, default 3;
 * 0 skips), --filter TEXT, --max-ops N, --corpus DIR (default: where
 * test/corpus.ts finds it), --histories DIR,
 * --porcupine BIN, --go FILE, --no-corpus, --no-generated, --no-cli,
 * --no-memory, --timeout MS (per check, default 60,000).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packagePath, tsNodeArgs } from '../src/base/ts-node.ts';
import { check } from '../src/checker/linearizable/check.ts';
import { resolveCheckerModel } from '../src/checker/linearizable/checker.ts';
import { fromHistory } from '../src/checker/linearizable/from-history.ts';
import type { AnyModel, Operation } from '../src/checker/linearizable/types.ts';
import { getModel, type OpInput } from '../src/checker/models/index.ts';
import { parseInitial } from '../src/cli/check-history.ts';
import { type HistoryFormat, readHistoryFile } from '../src/history/formats/index.ts';
import { CORPUS_DIR } from '../test/corpus.ts';
import {
  CURVE_CLIENTS,
  CURVE_OPS,
  DEFAULT_HISTORY_DIR,
  type GeneratedRow,
  GRID_CLIENTS,
  GRID_SIZES,
  writeHistories,
} from './gen-histories.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    cold: { type: 'string', default: '3' },
    filter: { type: 'string', default: '' },
    'max-ops': { type: 'string' },
    corpus: { type: 'string', default: CORPUS_DIR },
    histories: { type: 'string', default: DEFAULT_HISTORY_DIR },
    porcupine: { type: 'string' },
    go: { type: 'string' },
    'no-corpus': { type: 'boolean', default: false },
    'no-generated': { type: 'boolean', default: false },
    'no-cli': { type: 'boolean', default: false },
    'no-memory': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '60000' },
  },
});
const runs = Math.max(1, Number(args.runs));
const coldRuns = Math.max(0, Number(args.cold));
const timeoutMs = Number(args.timeout);
const maxOps = args['max-ops'] ? Number(args['max-ops']) : Number.POSITIVE_INFINITY;
/** Targets of issue 12: at most this ratio to Go, on every generated history up to this size and client count. */
const TARGET = { warm: 1.0, cold: 1.5, ops: 2000, clients: 50 };

const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);
const fmt = (ms: number | undefined): string =>
  ms === undefined ? '-' : ms >= timeoutMs ? `>${Math.round(timeoutMs / 1000)}s` : ms.toFixed(ms < 10 ? 3 : 1);
const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a / Math.max(b, 0.001);
const fmtRatio = (q: number | undefined): string => (q === undefined ? '-' : q.toFixed(2));
const verdictOf = (r: string): string => (r === 'ok' ? 'valid' : r === 'illegal' ? 'invalid' : 'unknown');
const min = (xs: number[]): number | undefined => (xs.length === 0 ? undefined : Math.min(...xs));

let mismatches = 0;
/** Generated histories that neither verdict was reached for within --timeout (beyond the targets: Go neither). */
let undecided = 0;

// ---------------------------------------------------------------- Go side

interface GoTime {
  verdict: string;
  coldMs: number;
  warmMs: number;
  /** CPU time of the process (every thread) for the same checks, when the harness reports it. */
  coldCpuMs: number | undefined;
  warmCpuMs: number | undefined;
}

/** The harness's line: file, verdict, cold ms, warm ms, ops[, cold CPU ms, warm CPU ms]. */
const parseGoLines = (text: string): Map<string, GoTime> => {
  const out = new Map<string, GoTime>();
  for (const line of text.split('\n')) {
    const [file, verdict, cold, warm, , coldCpu, warmCpu] = line.split('\t');
    if (!file || !warm) continue;
    out.set(file, {
      verdict: verdict!,
      coldMs: Number(cold),
      warmMs: Number(warm),
      coldCpuMs: coldCpu ? Number(coldCpu) : undefined,
      warmCpuMs: warmCpu ? Number(warmCpu) : undefined,
    });
  }
  return out;
};
const goFromFile = args.go ? parseGoLines(readFileSync(args.go, 'utf8')) : new Map<string, GoTime>();

const goSpec = (row: { format: string; model: string; file: string }): string =>
  `${row.format}:${row.model === 'kv-append' ? 'kv' : 'cas-register'}:${row.file}`;

/** Runs porcupine's harness: `reps` checks in one process (its first is a cold check). */
const runGo = (row: { format: string; model: string; file: string }, reps: number): GoTime | undefined => {
  if (!args.porcupine) return goFromFile.get(row.file);
  const out = spawnSync(args.porcupine, ['-reps', String(reps), '-timeout-ms', String(timeoutMs), goSpec(row)], {
    encoding: 'utf8',
    timeout: 10 * timeoutMs,
  });
  return parseGoLines(out.stdout ?? '').get(row.file);
};

// ---------------------------------------------------------------- our side

const coldCheck = (row: {
  file: string;
  format: string;
  model: string;
  initial: string;
}): { ms: number; cpuMs: number } | undefined => {
  const out = spawnSync(
    process.execPath,
    [...tsNodeArgs(packagePath('bench/lin-once.ts')), row.file, row.format, row.model, row.initial, String(timeoutMs)],
    { encoding: 'utf8', timeout: 10 * timeoutMs },
  );
  try {
    return JSON.parse(out.stdout.trim().split('\n').pop()!) as { ms: number; cpuMs: number };
  } catch {
    return undefined;
  }
};

const warmCheck = async (
  model: AnyModel<unknown, OpInput, unknown>,
  ops: Operation<OpInput, unknown>[],
): Promise<{ first: number; warm: number; warmCpu: number; verdict: string }> => {
  let t = performance.now();
  let r = await check(model, ops, { timeoutMs });
  const first = performance.now() - t;
  let warm = Number.POSITIVE_INFINITY;
  let warmCpu = Number.POSITIVE_INFINITY;
  const started = performance.now();
  // At least `runs` times and about 300 ms (a noisy machine needs many tries for a clean one), but never more
  // than 5 s for one history, and twice in all when one check takes seconds.
  const wanted = first > 2000 ? 1 : runs;
  for (let i = 0; i < wanted || (performance.now() - started < 300 && i < 5000); i++) {
    if (i >= wanted && performance.now() - started > 5000) break;
    const cpu = process.cpuUsage();
    t = performance.now();
    r = await check(model, ops, { timeoutMs });
    warm = Math.min(warm, performance.now() - t);
    const used = process.cpuUsage(cpu);
    warmCpu = Math.min(warmCpu, (used.user + used.system) / 1000);
  }
  return { first, warm, warmCpu, verdict: verdictOf(r.result) };
};

// ---------------------------------------------------------------- corpus

const corpusSection = async (): Promise<void> => {
  const corpus = args.corpus;
  if (!existsSync(join(corpus, 'EXPECTED.tsv'))) {
    console.log(`corpus not found: ${join(corpus, 'EXPECTED.tsv')} is missing (pass --corpus DIR); skipped\n`);
    return;
  }
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
  interface Row {
    name: string;
    expected: string;
    model: AnyModel<unknown, OpInput, unknown>;
    ops: Operation<OpInput, unknown>[];
    goMs: number | undefined;
  }
  const rows: Row[] = [];
  const tsv = readFileSync(join(corpus, 'EXPECTED.tsv'), 'utf8').trim().split('\n').slice(1);
  for (const line of tsv) {
    const [path, format, modelName, initial, expected] = line.split('\t') as [string, string, string, string, string];
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
    const wanted = variants.filter((v) => !args.filter || v.name.includes(args.filter));
    if (wanted.length === 0) continue;
    const ops = fromHistory(await readHistoryFile(join(corpus, path), format as HistoryFormat));
    for (const v of wanted) {
      const model = getModel(modelName, { initial: parseInitial(initial), partition: v.partition });
      rows.push({ name: v.name, expected, model, ops, goMs: goTimes.get(v.name) });
    }
  }
  console.log('## shared corpus (Go: TIMINGS.md, 2 threads)\n');
  console.log(
    `${pad('history', 34)}${lpad('ops', 5)}  ${pad('expected', 8)}  ${pad('verdict', 8)}${lpad('first ms', 11)}${lpad('ours ms', 11)}${lpad('Go ms', 11)}${lpad('ratio', 8)}`,
  );
  let ours = 0;
  let go = 0;
  let oursNoGo = 0;
  let worst = { name: '', ratio: 0 };
  const hard: string[] = [];
  for (const row of rows) {
    const { first, warm, verdict } = await warmCheck(row.model, row.ops);
    if (verdict !== row.expected) mismatches++;
    let q: number | undefined;
    if (row.goMs !== undefined) {
      ours += warm;
      go += row.goMs;
      q = warm / row.goMs;
      if (q > worst.ratio) worst = { name: row.name, ratio: q };
      if (row.goMs > 50) hard.push(`${row.name} ${q.toFixed(2)}`);
    } else {
      oursNoGo += warm;
    }
    console.log(
      `${pad(row.name, 34)}${lpad(String(row.ops.length), 5)}  ${pad(row.expected, 8)}  ${pad(verdict === row.expected ? verdict : `${verdict}!`, 8)}${lpad(first.toFixed(3), 11)}${lpad(warm.toFixed(3), 11)}${lpad(row.goMs?.toFixed(3) ?? '-', 11)}${lpad(fmtRatio(q), 8)}`,
    );
  }
  console.log('');
  console.log(
    `total (histories with a Go time): ours ${ours.toFixed(1)} ms, Go ${go.toFixed(1)} ms, ratio ${(ours / go).toFixed(3)}`,
  );
  console.log(`knossos histories (no Go time): ours ${oursNoGo.toFixed(1)} ms`);
  console.log(`hard histories (Go > 50 ms), ratio: ${hard.join(', ')}`);
  console.log(`slowest relative to Go: ${worst.name} ×${worst.ratio.toFixed(2)}\n`);
};

// ---------------------------------------------------------------- generated

interface Measured {
  row: GeneratedRow;
  verdict: string;
  first: number;
  warm: number;
  warmCpu: number;
  cold: number | undefined;
  coldCpu: number | undefined;
  go: GoTime | undefined;
  goCold: number | undefined;
  goColdCpu: number | undefined;
}

const generatedSection = async (): Promise<Measured[]> => {
  const all = writeHistories(args.histories, { maxOps, keep: (name) => !args.filter || name.includes(args.filter) });
  const rows = all.filter((r) => !r.groups.includes('memory') || r.groups.length > 1);
  const goLabel = args.porcupine ? `porcupine harness ${args.porcupine}` : args.go ? `file ${args.go}` : 'none';
  console.log(`## generated histories (${rows.length}, in ${args.histories}; Go: ${goLabel})\n`);
  console.log(
    `${pad('history', 24)}${lpad('ops', 6)}${lpad('cl', 4)}  ${pad('expected', 8)}  ${pad('verdict', 8)}${lpad('warm', 10)}${lpad('Go warm', 10)}${lpad('ratio', 7)}${lpad('cold', 10)}${lpad('Go cold', 10)}${lpad('ratio', 7)}${lpad('cpu w', 7)}${lpad('cpu c', 7)}`,
  );
  const measured: Measured[] = [];
  for (const row of rows) {
    const history = await readHistoryFile(row.file, row.format);
    const model = resolveCheckerModel(history, row.model, parseInitial(row.initial));
    const ops = fromHistory(history);
    const { first, warm, warmCpu, verdict } = await warmCheck(model, ops);
    // Cold runs interleaved with Go's, so that both see the same load.
    const colds: number[] = [];
    const coldCpus: number[] = [];
    const goColds: number[] = [];
    const goColdCpus: number[] = [];
    let go: GoTime | undefined;
    const goWarmReps = Math.max(runs, 10);
    for (let i = 0; i < coldRuns; i++) {
      // A check that takes seconds is timed once.
      if (i > 0 && first > 2000) break;
      const c = coldCheck(row);
      if (c !== undefined) {
        colds.push(c.ms);
        coldCpus.push(c.cpuMs);
      }
      if (args.porcupine) {
        const g = runGo(row, i === 0 ? (first > 2000 ? 2 : goWarmReps) : 1);
        if (g) {
          goColds.push(g.coldMs);
          if (g.coldCpuMs !== undefined) goColdCpus.push(g.coldCpuMs);
          if (i === 0) go = g;
        }
      }
    }
    if (!args.porcupine) {
      go = runGo(row, runs);
      if (go) goColds.push(go.coldMs);
      if (go?.coldCpuMs !== undefined) goColdCpus.push(go.coldCpuMs);
    } else if (coldRuns === 0) {
      go = runGo(row, goWarmReps);
    }
    const m: Measured = {
      row,
      verdict,
      first,
      warm,
      warmCpu,
      cold: min(colds),
      coldCpu: min(coldCpus),
      go,
      goCold: min(goColds),
      goColdCpu: min(goColdCpus),
    };
    measured.push(m);
    if (verdict === 'unknown') undecided++;
    else if (verdict !== row.expected) mismatches++;
    console.log(
      `${pad(row.name, 24)}${lpad(String(row.ops), 6)}${lpad(String(row.clients), 4)}  ${pad(row.expected, 8)}  ${pad(verdict === row.expected ? verdict : `${verdict}!`, 8)}${lpad(fmt(warm), 10)}${lpad(fmt(go?.warmMs), 10)}${lpad(fmtRatio(ratio(warm, go?.warmMs)), 7)}${lpad(fmt(m.cold), 10)}${lpad(fmt(m.goCold), 10)}${lpad(fmtRatio(ratio(m.cold, m.goCold)), 7)}${lpad(fmtRatio(ratio(m.warmCpu, go?.warmCpuMs)), 7)}${lpad(fmtRatio(ratio(m.coldCpu, m.goColdCpu)), 7)}`,
    );
  }
  console.log(
    '\n(cpu w, cpu c: the same ratios in CPU time of the whole process, every thread; the machine is shared, so these say more about work done, the wall times about waiting)\n',
  );
  curves(measured);
  targets(measured);
  return measured;
};

const curves = (measured: Measured[]): void => {
  const table = (title: string, pick: (m: Measured) => boolean, x: (m: Measured) => number, label: string) => {
    const rows = measured.filter(pick).sort((a, b) => x(a) - x(b));
    if (rows.length === 0) return;
    console.log(`### ${title}\n`);
    console.log(
      `${pad('shape', 10)}${lpad(label, 7)}${lpad('verdict', 9)}${lpad('warm', 10)}${lpad('Go warm', 10)}${lpad('ratio', 7)}${lpad('cold', 10)}${lpad('Go cold', 10)}${lpad('ratio', 7)}`,
    );
    for (const m of rows) {
      console.log(
        `${pad(m.row.shape, 10)}${lpad(String(x(m)), 7)}${lpad(m.row.expected, 9)}${lpad(fmt(m.warm), 10)}${lpad(fmt(m.go?.warmMs), 10)}${lpad(fmtRatio(ratio(m.warm, m.go?.warmMs)), 7)}${lpad(fmt(m.cold), 10)}${lpad(fmt(m.goCold), 10)}${lpad(fmtRatio(ratio(m.cold, m.goCold)), 7)}`,
      );
    }
    console.log('');
  };
  table(
    `scaling over size (${CURVE_CLIENTS} clients)`,
    (m) => m.row.groups.includes('size'),
    (m) => m.row.ops,
    'ops',
  );
  table(
    `scaling over clients (${CURVE_OPS} operations)`,
    (m) => m.row.groups.includes('clients'),
    (m) => m.row.clients,
    'clients',
  );
};

const targets = (measured: Measured[]): void => {
  const inScope = measured.filter((m) => m.row.ops <= TARGET.ops && m.row.clients <= TARGET.clients && m.go);
  const over = (q: number | undefined, limit: number) => q !== undefined && q > limit;
  const warmOver = inScope.filter((m) => over(ratio(m.warm, m.go?.warmMs), TARGET.warm));
  const coldOver = inScope.filter((m) => over(ratio(m.cold, m.goCold), TARGET.cold));
  const worst = (pick: (m: Measured) => number | undefined) =>
    inScope.reduce<{ name: string; q: number }>(
      (w, m) => {
        const q = pick(m);
        return q !== undefined && q > w.q ? { name: m.row.name, q } : w;
      },
      { name: '-', q: 0 },
    );
  const ww = worst((m) => ratio(m.warm, m.go?.warmMs));
  const wc = worst((m) => ratio(m.cold, m.goCold));
  const sum = (pick: (m: Measured) => number | undefined) => inScope.reduce((s, m) => s + (pick(m) ?? 0), 0);
  console.log(
    `### targets (histories up to ${TARGET.ops} operations and ${TARGET.clients} clients: ${inScope.length} with a Go time; sizes ${GRID_SIZES.join(', ')} × clients ${GRID_CLIENTS.join(', ')} and the curves)\n`,
  );
  console.log(
    `warm: ${warmOver.length} over ${TARGET.warm}× Go; worst ${ww.name} ×${ww.q.toFixed(2)}; total ours ${sum((m) => m.warm).toFixed(1)} ms, Go ${sum((m) => m.go?.warmMs).toFixed(1)} ms`,
  );
  if (warmOver.length > 0) console.log(`  over: ${warmOver.map((m) => m.row.name).join(', ')}`);
  console.log(
    `cold: ${coldOver.length} over ${TARGET.cold}× Go; worst ${wc.name} ×${wc.q.toFixed(2)}; total ours ${sum((m) => m.cold).toFixed(1)} ms, Go ${sum((m) => m.goCold).toFixed(1)} ms`,
  );
  if (coldOver.length > 0) console.log(`  over: ${coldOver.map((m) => m.row.name).join(', ')}`);
  const warmCpuOver = inScope.filter((m) => over(ratio(m.warmCpu, m.go?.warmCpuMs), TARGET.warm));
  const coldCpuOver = inScope.filter((m) => over(ratio(m.coldCpu, m.goColdCpu), TARGET.cold));
  console.log(
    `in CPU time: warm ${warmCpuOver.length} over ${TARGET.warm}× (total ours ${sum((m) => m.warmCpu).toFixed(1)} ms, Go ${sum((m) => m.go?.warmCpuMs).toFixed(1)} ms); cold ${coldCpuOver.length} over ${TARGET.cold}× (total ours ${sum((m) => m.coldCpu).toFixed(1)} ms, Go ${sum((m) => m.goColdCpu).toFixed(1)} ms)`,
  );
  console.log('');
};

// ---------------------------------------------------------------- CLI, process start included

const cliSection = (): void => {
  const names = ['kv-n2000-c50-ok', 'kv-n2000-c50-bad', 'reg-n2000-c50-ok', 'reg-n2000-c50-bad'];
  const rows = writeHistories(args.histories, { keep: (n) => names.includes(n) });
  console.log('## faultline check --history, whole process (wall ms, min of repetitions)\n');
  console.log(`${pad('history', 24)}${lpad('exit', 5)}${lpad('ours', 10)}${lpad('Go process', 12)}`);
  const bin = packagePath('bin/faultline.mjs');
  for (const row of rows) {
    const ours: number[] = [];
    const go: number[] = [];
    let code: number | null = null;
    for (let i = 0; i < Math.max(3, coldRuns); i++) {
      let t = performance.now();
      const r = spawnSync(
        process.execPath,
        [bin, 'check', '--history', row.file, '--model', row.model, '--initial', row.initial],
        {
          encoding: 'utf8',
        },
      );
      ours.push(performance.now() - t);
      code = r.status;
      if (args.porcupine) {
        t = performance.now();
        spawnSync(args.porcupine, ['-reps', '1', goSpec(row)], { encoding: 'utf8' });
        go.push(performance.now() - t);
      }
    }
    const expectedCode = row.expected === 'valid' ? 0 : 1;
    if (code !== expectedCode) mismatches++;
    console.log(
      `${pad(row.name, 24)}${lpad(`${code}${code === expectedCode ? '' : '!'}`, 5)}${lpad(fmt(min(ours)), 10)}${lpad(fmt(min(go)), 12)}`,
    );
  }
  console.log('');
};

// ---------------------------------------------------------------- memory

/** Heap cap for the memory histories (MB), and the child that checks one of them and reports its peak RSS. */
const HEAP_CAP_MB = 1024;
const memorySection = (): void => {
  const rows = writeHistories(args.histories, {
    keep: (n) => ['reg-n100000-c10-ok', 'reg-n100000-c10-bad', 'kv-n20000-c50-ok', 'kv-n20000-c50-bad'].includes(n),
  });
  console.log(`## memory: checked in a child process with --max-old-space-size=${HEAP_CAP_MB}\n`);
  console.log(
    `${pad('history', 24)}${lpad('ops', 7)}  ${pad('expected', 8)}  ${pad('verdict', 8)}${lpad('ms', 10)}${lpad('peak RSS MB', 13)}  reason`,
  );
  const script = packagePath('bench/lin-once.ts');
  for (const row of rows) {
    let out = '';
    try {
      out = execFileSync(
        process.execPath,
        [
          `--max-old-space-size=${HEAP_CAP_MB}`,
          ...tsNodeArgs(script),
          row.file,
          row.format,
          row.model,
          row.initial,
          String(timeoutMs),
        ],
        {
          encoding: 'utf8',
          timeout: 10 * timeoutMs,
        },
      );
    } catch (e) {
      out = (e as { stdout?: string }).stdout ?? '';
    }
    const line = out.trim().split('\n').pop() ?? '';
    let r: { ms: number; result: string; reason?: string; peakRssMb: number } | undefined;
    try {
      r = JSON.parse(line) as typeof r;
    } catch {
      r = undefined;
    }
    if (!r) {
      mismatches++;
      console.log(`${pad(row.name, 24)}${lpad(String(row.ops), 7)}  ${pad(row.expected, 8)}  crashed: ${line}`);
      continue;
    }
    const verdict = verdictOf(r.result);
    if (verdict !== row.expected && verdict !== 'unknown') mismatches++;
    console.log(
      `${pad(row.name, 24)}${lpad(String(row.ops), 7)}  ${pad(row.expected, 8)}  ${pad(verdict, 8)}${lpad(fmt(r.ms), 10)}${lpad(r.peakRssMb.toFixed(0), 13)}  ${r.reason ?? ''}`,
    );
  }
  console.log('');
};

// ---------------------------------------------------------------- main

console.log(
  `node ${process.version}, ${(await import('node:os')).cpus().length} cores; warm: min of at least ${runs} runs; cold: min of ${coldRuns} fresh processes\n`,
);
if (!args['no-corpus']) await corpusSection();
if (!args['no-generated']) await generatedSection();
if (!args['no-cli'] && !args.filter) cliSection();
if (!args['no-memory'] && !args.filter) memorySection();
console.log(
  `verdict mismatches: ${mismatches}; undecided within ${timeoutMs} ms (unknown, not a mismatch): ${undecided}`,
);
if (mismatches > 0) process.exitCode = 1;
