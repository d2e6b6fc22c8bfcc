import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatDuration, parseDuration } from '../base/duration.ts';
import { configError, EXIT, FaultlineError, isFaultlineError } from '../base/errors.ts';
import { printable } from '../base/terminal.ts';
import { checkExplained, resolveCheckerModel } from '../checker/linearizable/checker.ts';
import { fromHistory } from '../checker/linearizable/from-history.ts';
import type { CheckResult, PartitionResult } from '../checker/linearizable/types.ts';
import { getModel } from '../checker/models/index.ts';
import { parseEdn, toPlain } from '../history/formats/edn.ts';
import { HISTORY_FORMATS, type HistoryFormat, readHistory } from '../history/formats/index.ts';
import type { Op } from '../history/op.ts';
import { renderLinearizationHtml } from '../report/linearization/index.ts';

/**
 * `faultline check --history FILE`: checks a history recorded anywhere
 * (faultline, Jepsen, Knossos, porcupine) for linearizability against a
 * built-in model, prints the verdict and, when it is not linearizable, where
 * linearization fails. Exit codes as for a run: 0 linearizable, 1 not,
 * 2 unknown (timeout), 3 the history or the options could not be used.
 */

export interface CheckHistoryOptions {
  history: string;
  format: HistoryFormat | 'auto';
  model: string;
  /** The model's initial value as EDN text: `nil`, `0`, `""`; an empty string means the empty string. */
  initial?: string;
  /** Default 30 s; past it the verdict is unknown. */
  timeoutMs?: number;
  /** Also write the visual explanation to this HTML file. */
  html?: string;
  /** Where lines go; default stdout. */
  out?: (line: string) => void;
  /** Where errors go (default stderr). */
  err?: (line: string) => void;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

/** How many steps of the longest linearization to print before where it stops. */
const TAIL_STEPS = 5;
/** How many operations that could not come next to print. */
const MAX_STUCK = 20;

/**
 * `--initial` is EDN so that nil, numbers and strings are all expressible:
 * `nil` → null, `0` → 0, `""` → "", and an empty argument → "" too (what a
 * shell passes for `--initial ""`). Undefined keeps the model's default.
 */
export const parseInitial = (raw: string | undefined): unknown => {
  if (raw === undefined) return undefined;
  if (raw.trim() === '') return '';
  try {
    return toPlain(parseEdn(raw, '--initial'));
  } catch (e) {
    const why = isFaultlineError(e) ? e.message : String(e);
    throw configError(`--initial ${JSON.stringify(raw)} is not an EDN value: ${why}`, {
      hint: 'write nil for none, a number like 0, or a string like "" (quoted)',
    });
  }
};

export const runCheckHistory = async (options: CheckHistoryOptions): Promise<number> => {
  // Values come from the history file: shown escaped, line by line.
  const out =
    options.out ?? ((line: string) => process.stdout.write(`${line.split('\n').map(printable).join('\n')}\n`));
  try {
    return await checkHistory(options, out);
  } catch (e) {
    const err = isFaultlineError(e) ? e : new FaultlineError('FL_ERR_INTERNAL', String(e), { cause: e });
    (options.err ?? ((line: string) => process.stderr.write(`${line.split('\n').map(printable).join('\n')}\n`)))(
      `error: ${err.describe()}`,
    );
    return EXIT.harness;
  }
};

const checkHistory = async (options: CheckHistoryOptions, out: (line: string) => void): Promise<number> => {
  const initial = parseInitial(options.initial);
  // Options first (an unknown model is reported before the file is read).
  const named = getModel(options.model, initial === undefined ? {} : { initial });
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw configError(`--timeout must be positive; got ${timeoutMs} ms`);
  const { ops, format } = await readHistory(options.history, options.format);
  // As in a run: a register model on a history with keys checks each key as its own register.
  const model = resolveCheckerModel(ops, named, initial);
  const operations = fromHistory(ops);
  const nemesis = ops.filter((o) => o.process === 'nemesis').length;

  out(
    `history  ${options.history} (${format}): ${ops.length} ops, ${operations.length} client operations, ${nemesis} nemesis`,
  );
  out(`model    ${model.name}${initial === undefined ? '' : `, initial ${showInitial(initial)}`}`);
  // Partial linearizations are kept only for the failing partition, in a second pass (see checkExplained).
  const result = await checkExplained(model, operations, { timeoutMs });
  out(`verdict  ${verdictLine(result, timeoutMs)}`);
  const leftOut = result.leftOut ?? 0;
  if (leftOut > 0) {
    const what = `crashed operation${leftOut === 1 ? '' : 's'}`;
    out(`         ${leftOut} ${what} nobody observed left out of the search (the verdict holds either way)`);
  }
  if (result.result === 'illegal') printFailure(result, ops, out);

  if (options.html) {
    // Ops read from logs carry positions, not times: show them as such.
    const timeUnit = ops.some((o) => o.time !== o.index) ? 'ns' : 'ordinal';
    const html = renderLinearizationHtml({ result, title: `${options.history}: ${model.name}`, timeUnit });
    try {
      await writeFile(options.html, html);
    } catch (cause) {
      throw configError(`cannot write the HTML file: ${String(cause)}`, { file: options.html, cause });
    }
    out(`html     ${options.html}`);
  }
  return result.result === 'ok' ? EXIT.ok : result.result === 'illegal' ? EXIT.violated : EXIT.unknown;
};

/**
 * `faultline check --history FILE [options]` without the rest of the CLI:
 * bin/faultline.mjs runs it from a prebuilt bundle (bin/bundle.mjs), so a
 * one-off check does not pay for loading every command and the TypeScript
 * loader. `args` are the arguments after `check`. Returns undefined when
 * they are anything but a well-formed `--history` check (help, an unknown
 * or malformed option, a run folder): the full CLI then handles them, with
 * its own messages.
 */
export const checkHistoryMain = async (args: readonly string[]): Promise<number | undefined> => {
  let values: { history?: string; format?: string; model?: string; initial?: string; timeout?: string; html?: string };
  try {
    const parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        history: { type: 'string' },
        format: { type: 'string' },
        model: { type: 'string' },
        initial: { type: 'string' },
        timeout: { type: 'string' },
        html: { type: 'string' },
      },
    });
    values = parsed.values;
  } catch {
    return undefined;
  }
  const format = values.format ?? 'auto';
  if (values.history === undefined || !(format === 'auto' || HISTORY_FORMATS.includes(format as HistoryFormat))) {
    return undefined;
  }
  let timeoutMs: number | undefined;
  try {
    timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout);
  } catch {
    return undefined;
  }
  return runCheckHistory({
    history: values.history,
    format: format as HistoryFormat | 'auto',
    model: values.model ?? 'cas-register',
    ...(values.initial !== undefined ? { initial: values.initial } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(values.html ? { html: values.html } : {}),
  });
};

/** States can be whole maps: keep terminal lines readable (the HTML shows them in full). */
const clip = (s: string, max = 160): string => (s.length <= max ? s : `${s.slice(0, max)}…`);

const showInitial = (v: unknown): string => (v === null ? 'nil' : JSON.stringify(v));

const verdictLine = (r: CheckResult, timeoutMs: number): string => {
  const took = `checked in ${formatDuration(r.elapsedMs)}`;
  const parts = `${r.partitions.length} partition${r.partitions.length === 1 ? '' : 's'}`;
  if (r.result === 'ok') return `linearizable (${parts}, ${took})`;
  if (r.result === 'illegal') return `NOT linearizable (${parts}, ${took})`;
  const decided = r.partitions.filter((p) => p.result === 'ok').length;
  const why =
    r.reason === 'timeout'
      ? `timed out after ${formatDuration(timeoutMs)}`
      : r.reason === 'memory'
        ? 'stopped at its memory budget'
        : (r.reason ?? 'not decided');
  return `unknown: ${why}; ${decided} of ${r.partitions.length} partitions linearizable so far`;
};

/** The failing partition, the end of its longest linearization and the operations that could not come next. */
const printFailure = (r: CheckResult, ops: readonly Op[], out: (line: string) => void): void => {
  const p =
    r.partitions.find((x) => x.index === r.failingPartition) ?? r.partitions.find((x) => x.result === 'illegal');
  if (!p) return;
  const byId = new Map((p.operations ?? []).map((o) => [o.id, o]));
  const byIndex = new Map(ops.map((o) => [o.index, o]));
  const where = (id: number): string => {
    const op = byIndex.get(id); // an operation's id is its invoke's index
    return op ? `process ${op.process}, op #${id}` : `op #${id}`;
  };
  const describe = (id: number): string => byId.get(id)?.description ?? `operation ${id}`;
  out(
    `failing partition ${p.index}${p.key === undefined ? '' : ` (key ${JSON.stringify(p.key)})`}: ${p.opCount} operations`,
  );
  if (p.precheck) {
    // Refuted without a search: no linearization to show, only the operation no state accepts.
    out("  an operation no reachable state accepts, found by the model's pre-check:");
    out(`    ${describe(p.precheck.id)} — ${p.precheck.why}   (${where(p.precheck.id)})`);
    printOtherPartitions(r.partitions, p, out);
    return;
  }
  const lin = p.linearizations?.[0]?.steps ?? [];
  const endState = lin.length > 0 ? lin[lin.length - 1]!.stateAfter : (p.initialState ?? '?');
  out(
    `  the longest linearization covers ${lin.length} of ${p.opCount} operations and ends in state ${clip(endState)}`,
  );
  const from = Math.max(0, lin.length - TAIL_STEPS);
  if (from > 0) out('    ...');
  lin.slice(from).forEach((s, k) => {
    out(
      `    ${from + k + 1}. ${describe(s.id)}   state ${clip(s.stateBefore)} → ${clip(s.stateAfter)}   (${where(s.id)})`,
    );
  });
  const stuck = p.stuck ?? [];
  out(`  operations that could not be linearized next (${stuck.length}):`);
  for (const s of stuck.slice(0, MAX_STUCK)) {
    const why =
      s.why === 'illegal'
        ? `the model rejects it in state ${clip(endState)}`
        : 'the model accepts it, but nothing linearizes after it';
    out(`    ${describe(s.id)} — ${why}   (${where(s.id)})`);
  }
  if (stuck.length > MAX_STUCK) out(`    and ${stuck.length - MAX_STUCK} more`);
  if (p.truncated) out('  (only part of the partial linearizations was kept: memory cap)');
  printOtherPartitions(r.partitions, p, out);
};

const printOtherPartitions = (
  all: readonly PartitionResult[],
  failing: PartitionResult,
  out: (line: string) => void,
) => {
  const illegal = all.filter((x) => x !== failing && x.result === 'illegal').length;
  if (illegal > 0) out(`  ${illegal} other partition${illegal === 1 ? '' : 's'} also not linearizable`);
};
