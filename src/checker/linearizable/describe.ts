import { buildEntryList, CALL, candidates, INFO_CALL, lift } from './entries.ts';
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

  const operations = describeOperations(model, ops);

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

  out.operations = operations;
  out.initialState = describeState(search.initialState);
  out.linearizations = linearizations;
  out.longestFor = longestFor;
  if (result === 'illegal') out.stuck = stuckAfter(search, prefixes[0]!);
  out.truncated = truncated;
  return out;
};

/** A partition's operations described, in call order. */
const describeOperations = <S, I, O>(
  model: ResolvedModel<S, I, O>,
  ops: readonly Operation<I, O>[],
): DescribedOperation<I, O>[] =>
  ops
    .map((o) => ({ ...o, description: cut(model.describeOperation(o.input, o.output)) }))
    .sort((a, b) => a.call - b.call || a.id - b.id);

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
  ...(limits.keepPartial
    ? {
        operations: describeOperations(model, ops),
        initialState: cut(model.describeState(model.init())),
        linearizations: [{ steps: [] }],
        longestFor: {},
        stuck: [{ id: found.id, why: 'illegal' as const }],
        truncated: false,
      }
    : {}),
});

/**
 * The operations that could come next after `prefix` (calls before the
 * first remaining return) and why each did not: the model rejects it there,
 * or it leads nowhere (the search exhausted every continuation).
 */
const stuckAfter = <S, I, O>(search: PartitionSearch<S, I, O>, prefix: Int32Array): StuckOperation[] => {
  const list = buildEntryList(search.ops as never);
  const callNode = new Int32Array(list.n);
  for (let node = 0; node < 2 * list.n; node++) {
    if (list.kind[node] === CALL || list.kind[node] === INFO_CALL) callNode[list.opOf[node]!] = node;
  }
  let state = search.initialState;
  for (const op of prefix) {
    lift(list, callNode[op]!);
    state = search.space.next(state, op);
  }
  return candidates(list).map((op) => ({
    id: search.ops[op]!.id,
    why: search.space.next(state, op) < 0 ? 'illegal' : 'dead-end',
  }));
};
