import type { ResolvedModel } from './model.ts';
import type { PartitionCheck, PartitionSearch } from './search.ts';
import type {
  CheckOutcome,
  DescribedOperation,
  ImpossibleOperation,
  LinearizationStep,
  Operation,
  PartialLinearization,
  PartitionResult,
  StuckOperation,
} from './types.ts';

/** Longer descriptions are cut (a state can be a whole map of long strings; reports show it on hover). */
export const MAX_DESCRIPTION_CHARS = 2_000;

const cut = (text: string): string =>
  text.length <= MAX_DESCRIPTION_CHARS
    ? text
    : `${text.slice(0, MAX_DESCRIPTION_CHARS)}… (${text.length - MAX_DESCRIPTION_CHARS} more characters)`;

export interface DescribeLimits {
  keepPartial: boolean;
  maxPartialLinearizations: number;
  maxPartialSteps: number;
}

/**
 * A partition's result, and with `keepPartial` the material for reports:
 * its operations described, its longest partial linearizations (capped)
 * with the states around each step, and the operations that could not come
 * next where the longest one stops.
 */
export const describePartition = <S, I, O>(
  index: number,
  key: string | undefined,
  check: PartitionCheck<S, I, O>,
  result: CheckOutcome,
  elapsedMs: number,
  limits: DescribeLimits,
): PartitionResult<I, O> => {
  if (check.impossible) {
    const { model, ops } = check.decided;
    return describeImpossible(index, key, model, ops, check.impossible, check.iterations, elapsedMs, limits);
  }
  const search = check.decided;
  const out: PartitionResult<I, O> = {
    index,
    ...(key === undefined ? {} : { key }),
    result,
    opCount: search.ops.length,
    stats: {
      steps: check.iterations,
      cacheEntries: check.searches.reduce((n, s) => n + s.cache.count, 0),
      states: search.space.size,
      elapsedMs,
    },
  };
  if (!limits.keepPartial) return out;

  const { model, ops, space } = search;
  const stateText = new Map<number, string>();
  const describeState = (id: number): string => {
    let s = stateText.get(id);
    if (s === undefined) {
      s = cut(model.describeState(space.states[id]!));
      stateText.set(id, s);
    }
    return s;
  };

  const prefixes: Int32Array[] =
    result === 'ok' ? [search.linearized()] : (search.partial?.prefixes() ?? [search.linearized()]);
  if (result === 'illegal' && prefixes.length === 0) prefixes.push(new Int32Array(0));

  // A full linearization is never cut short by what the search stopped recording along the way.
  let truncated = result === 'ok' ? false : (search.partial?.truncated ?? false);
  const linearizations: PartialLinearization[] = [];
  const longestFor: Record<number, number> = {};
  let budget = limits.maxPartialSteps;
  for (const seq of prefixes) {
    if (linearizations.length >= limits.maxPartialLinearizations || budget <= 0) {
      truncated = true;
      break;
    }
    const length = Math.min(seq.length, budget);
    if (length < seq.length) truncated = true;
    budget -= length;
    const steps: LinearizationStep[] = [];
    let state = search.initialState;
    for (let k = 0; k < length; k++) {
      const op = seq[k]!;
      const after = space.next(state, op);
      const id = ops[op]!.id;
      steps.push({ id, stateBefore: describeState(state), stateAfter: describeState(after) });
      if (longestFor[id] === undefined) longestFor[id] = linearizations.length;
      state = after;
    }
    linearizations.push({ steps });
  }

  const stuck = result === 'illegal' ? stuckAfter(search, prefixes[0]!) : undefined;
  const focus = stuck?.[0]?.id ?? linearizations[0]?.steps.at(-1)?.id;
  const shown = result === 'illegal' ? around(ops, focus, stuck ?? []) : { ops, window: undefined };
  out.operations = describeOperations(model, shown.ops);
  if (shown.window) out.operationsWindow = shown.window;
  out.initialState = describeState(search.initialState);
  out.linearizations = linearizations;
  out.longestFor = longestFor;
  if (stuck) out.stuck = stuck;
  out.truncated = truncated;
  return out;
};

/** Most operations of an illegal partition described: a person reads the failure where linearization stops. */
export const MAX_DESCRIBED_OPERATIONS = 10_000;

/**
 * The operations to describe of an illegal partition: all of them, or past
 * MAX_DESCRIBED_OPERATIONS those around `focus` in call order, and the stuck ones.
 * (Describing 200,000 operations of one key costs seconds and 30 MB of
 * results.json for a view that draws 2,000.)
 */
const around = <I, O>(
  ops: readonly Operation<I, O>[],
  focus: number | undefined,
  stuck: readonly StuckOperation[],
): { ops: readonly Operation<I, O>[]; window: PartitionResult['operationsWindow'] } => {
  if (ops.length <= MAX_DESCRIBED_OPERATIONS) return { ops, window: undefined };
  const sorted = isInCallOrder(ops) ? ops : [...ops].sort(byCall);
  let center = sorted.findIndex((o) => o.id === focus);
  if (center < 0) center = sorted.length - 1;
  const first = Math.max(0, Math.min(center - MAX_DESCRIBED_OPERATIONS / 2, sorted.length - MAX_DESCRIBED_OPERATIONS));
  const last = first + MAX_DESCRIBED_OPERATIONS;
  const kept = sorted.slice(first, last);
  const inWindow = new Set(kept.map((o) => o.id));
  const stuckIds = new Set(stuck.map((s) => s.id));
  for (const o of sorted) if (stuckIds.has(o.id) && !inWindow.has(o.id)) kept.push(o);
  return { ops: kept, window: { first, last, of: sorted.length } };
};

const byCall = (a: Operation<unknown, unknown>, b: Operation<unknown, unknown>): number =>
  a.call - b.call || a.id - b.id;

const isInCallOrder = (ops: readonly Operation<unknown, unknown>[]): boolean => {
  for (let i = 1; i < ops.length; i++) if (byCall(ops[i - 1]!, ops[i]!) > 0) return false;
  return true;
};

/** A partition's operations described, in call order. */
const describeOperations = <S, I, O>(
  model: ResolvedModel<S, I, O>,
  ops: readonly Operation<I, O>[],
): DescribedOperation<I, O>[] => {
  // A failing partition can hold 100,000s of operations: one object shape, no spread, no sort when in order.
  const out = ops.map(
    (o): DescribedOperation<I, O> => ({
      id: o.id,
      clientId: o.clientId,
      input: o.input,
      call: o.call,
      output: o.output,
      return: o.return,
      description: cut(model.describeOperation(o.input, o.output)),
    }),
  );
  return isInCallOrder(out) ? out : out.sort(byCall);
};

/**
 * The result of a partition its model's pre-check proved illegal (the search
 * had only begun): the operation and why, and with `keepPartial` the same material
 * as a search failure (no linearization, and that operation stuck, rejected
 * in whatever state comes first).
 */
const describeImpossible = <S, I, O>(
  index: number,
  key: string | undefined,
  model: ResolvedModel<S, I, O>,
  ops: readonly Operation<I, O>[],
  found: ImpossibleOperation,
  steps: number,
  elapsedMs: number,
  limits: DescribeLimits,
): PartitionResult<I, O> => ({
  index,
  ...(key === undefined ? {} : { key }),
  result: 'illegal',
  opCount: ops.length,
  stats: { steps, cacheEntries: 0, states: 0, elapsedMs },
  precheck: found,
  ...(limits.keepPartial ? impossibleMaterial(model, ops, found) : {}),
});

const impossibleMaterial = <S, I, O>(
  model: ResolvedModel<S, I, O>,
  ops: readonly Operation<I, O>[],
  found: ImpossibleOperation,
): Partial<PartitionResult<I, O>> => {
  const stuck: StuckOperation[] = [{ id: found.id, why: 'illegal' }];
  const shown = around(ops, found.id, stuck);
  return {
    operations: describeOperations(model, shown.ops),
    ...(shown.window ? { operationsWindow: shown.window } : {}),
    initialState: cut(model.describeState(model.init())),
    linearizations: [{ steps: [] }],
    longestFor: {},
    stuck,
    truncated: false,
  };
};

/**
 * The operations that could come next after `prefix` (calls before the
 * first remaining return) and why each did not: the model rejects it there,
 * or it leads nowhere (the search exhausted every continuation).
 */
const stuckAfter = <S, I, O>(search: PartitionSearch<S, I, O>, prefix: Int32Array): StuckOperation[] => {
  const { ops } = search;
  const done = new Uint8Array(ops.length);
  let state = search.initialState;
  for (const op of prefix) {
    done[op] = 1;
    state = search.space.next(state, op);
  }
  // The entry list after lifting the prefix, without building it: the first remaining return is
  // the earliest return of a determinate operation left, and the calls before it (calls come
  // first at equal times) are what could come next. Nothing when no such return is left.
  let firstReturn = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ops.length; i++) if (!done[i] && ops[i]!.return < firstReturn) firstReturn = ops[i]!.return;
  if (firstReturn === Number.POSITIVE_INFINITY) return [];
  const next: number[] = [];
  for (let i = 0; i < ops.length; i++) if (!done[i] && ops[i]!.call <= firstReturn) next.push(i);
  // In list order: by call time, ties by operation order.
  next.sort((a, b) => ops[a]!.call - ops[b]!.call || a - b);
  return next.map((op) => ({
    id: ops[op]!.id,
    why: search.space.next(state, op) < 0 ? 'illegal' : 'dead-end',
  }));
};
