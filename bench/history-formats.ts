/**
 * Reading speed of the history formats: a synthetic 100,000-op history written
 * as EDN (faultline's writer), as Jepsen log lines and as faultline JSONL,
 * each parsed 5 times, the minimum kept. Prints ops/s and MB/s.
 *
 *   npx tsx bench/history-formats.ts
 */
import { formatEdnHistory, parseEdnHistory } from '../src/history/formats/edn.ts';
import { parseJepsenLog } from '../src/history/formats/jepsen-log.ts';
import { formatHistoryLine, parseJsonlHistory } from '../src/history/jsonl.ts';
import type { Op } from '../src/history/op.ts';

const N = 100_000;
const ops: Op[] = [];
for (let i = 0; i < N; i += 2) {
  const process = (i / 2) % 20;
  const f = ['read', 'write', 'cas'][i % 3]!;
  const value = f === 'cas' ? [i % 5, (i + 1) % 5] : f === 'write' ? i % 5 : null;
  ops.push({ index: i, time: i * 1000, type: 'invoke', process, f, value });
  ops.push({ index: i + 1, time: i * 1000 + 500, type: 'ok', process, f, value: f === 'read' ? i % 5 : value });
}

const edn = formatEdnHistory(ops);
const show = (v: unknown): string => (v === null ? 'nil' : Array.isArray(v) ? `[${v.join(' ')}]` : String(v));
const log = ops.map((o) => `INFO  jepsen.util - ${o.process}\t:${o.type}\t:${o.f}\t${show(o.value)}`).join('\n');
const jsonl = ops.map(formatHistoryLine).join('');

const time = (fn: () => unknown): number => {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
};

const rows: Array<[string, string, () => unknown]> = [
  ['edn (one map a line)', edn, () => parseEdnHistory(edn)],
  ['jepsen-log', log, () => parseJepsenLog(log)],
  ['jsonl (reference)', jsonl, () => parseJsonlHistory(jsonl)],
  ['edn write', edn, () => formatEdnHistory(ops)],
];
console.log(`${N} ops`);
console.log('format                  MB      ms     ops/s      MB/s');
for (const [name, text, fn] of rows) {
  const ms = time(fn);
  const mb = Buffer.byteLength(text) / 1e6;
  console.log(
    `${name.padEnd(22)} ${mb.toFixed(1).padStart(5)} ${ms.toFixed(0).padStart(7)} ${Math.round(N / (ms / 1000))
      .toLocaleString('en')
      .padStart(10)} ${(mb / (ms / 1000)).toFixed(1).padStart(8)}`,
  );
}
