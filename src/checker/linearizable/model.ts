import { deepEqual, deepHash } from './structural.ts';
import {
  type AnyModel,
  ILLEGAL,
  type Illegal,
  type ImpossibleOperation,
  type Model,
  type ModelSpec,
  type NondeterministicModel,
  type Operation,
} from './types.ts';

/**
 * A model with every optional hook filled in (porcupine's `fillDefault`), and
 * nondeterministic models turned into deterministic ones over sets of states.
 * The search only ever sees this shape.
 */
export interface ResolvedModel<S = unknown, I = unknown, O = unknown> {
  readonly name: string;
  readonly spec: ModelSpec | undefined;
  init(): S;
  step(state: S, input: I, output: O | undefined): S | Illegal;
  equal(a: S, b: S): boolean;
  hash(state: S): number;
  partitions(ops: readonly Operation<I, O>[]): Partition<I, O>[];
  /** The model's pre-check of one partition (see `ModelHooks.impossible`); undefined when it has none or finds nothing. */
  impossible(ops: readonly Operation<I, O>[]): ImpossibleOperation | undefined;
  describeOperation(input: I, output: O | undefined): string;
  describeState(state: S): string;
}

/** A group of operations checked on its own; `key` labels it when the model partitions by key. */
export interface Partition<I = unknown, O = unknown> {
  key: string | undefined;
  ops: Operation<I, O>[];
  /** Indeterminate operations of the group left out of `ops` (`ModelHooks.prune`). */
  leftOut: number;
}

/** Short, single-line rendering of a value for reports. */
export const showValue = (v: unknown): string => {
  if (v === undefined) return '?';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${showValue(k)}: ${showValue(x)}`).join(', ')}}`;
  if (v instanceof Set) return `#{${[...v].map(showValue).join(', ')}}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

export const resolveModel = <S, I, O>(model: AnyModel<S, I, O>): ResolvedModel<unknown, I, O> =>
  model.nondeterministic === true
    ? (resolveDeterministic(powersetModel(model)) as ResolvedModel<unknown, I, O>)
    : (resolveDeterministic(model) as ResolvedModel<unknown, I, O>);

const resolveDeterministic = <S, I, O>(model: Model<S, I, O>): ResolvedModel<S, I, O> => {
  const partitionKey = model.partitionKey?.bind(model);
  const partition = model.partition?.bind(model);
  const describeOperation = model.describeOperation?.bind(model);
  const describeState = model.describeState?.bind(model);
  const impossible = model.impossible?.bind(model);
  const prune = model.prune?.bind(model);
  const pruned = ({ key, ops }: { key: string | undefined; ops: Operation<I, O>[] }): Partition<I, O> => {
    const kept = prune ? prune(ops) : ops;
    return { key, ops: kept === ops ? ops : [...kept], leftOut: ops.length - kept.length };
  };
  return {
    name: model.name,
    spec: model.spec,
    init: () => model.init(),
    step: (s, i, o) => model.step(s, i, o),
    equal: model.equal ? model.equal.bind(model) : deepEqual,
    hash: model.hash ? model.hash.bind(model) : deepHash,
    partitions: (ops) => {
      if (partition) return partition(ops).map((group) => pruned({ key: undefined, ops: group }));
      if (partitionKey) return groupByKey(ops, partitionKey).map(pruned);
      return [pruned({ key: undefined, ops: [...ops] })];
    },
    impossible: impossible ?? (() => undefined),
    describeOperation: describeOperation ?? ((i, o) => `${showValue(i)} → ${showValue(o)}`),
    describeState: describeState ?? showValue,
  };
};

const groupByKey = <I, O>(
  ops: readonly Operation<I, O>[],
  keyOf: (input: I) => string,
): { key: string; ops: Operation<I, O>[] }[] => {
  const groups = new Map<string, Operation<I, O>[]>();
  for (const op of ops) {
    const key = keyOf(op.input);
    let group = groups.get(key);
    if (!group) {
      group = [];
      groups.set(key, group);
    }
    group.push(op);
  }
  return [...groups].map(([key, group]) => ({ key, ops: group }));
};

/**
 * The powerset construction: a nondeterministic model becomes a
 * deterministic one whose state is the set of states the object may be in.
 * An operation is legal when it is legal in at least one of them.
 */
export const powersetModel = <S, I, O>(model: NondeterministicModel<S, I, O>): Model<readonly S[], I, O> => {
  const equal = model.equal ? model.equal.bind(model) : deepEqual;
  const hash = model.hash ? model.hash.bind(model) : deepHash;
  const dedupe = (states: readonly S[]): S[] => {
    const out: S[] = [];
    for (const s of states) if (!out.some((t) => equal(s, t))) out.push(s);
    return out;
  };
  const describeState = model.describeState?.bind(model) ?? showValue;
  return {
    name: model.name,
    spec: model.spec,
    init: () => dedupe(model.init()),
    step: (states, input, output) => {
      const next: S[] = [];
      for (const s of states) for (const t of model.step(s, input, output)) next.push(t);
      return next.length === 0 ? ILLEGAL : dedupe(next);
    },
    equal: (a, b) => a.length === b.length && a.every((s) => b.some((t) => equal(s, t))),
    // Order-insensitive, so equal sets hash alike.
    hash: (states) => {
      let h = states.length;
      for (const s of states) h = (h + Math.imul(hash(s) | 0, 0x9e3779b1)) | 0;
      return h;
    },
    ...(model.partition ? { partition: model.partition.bind(model) } : {}),
    ...(model.partitionKey ? { partitionKey: model.partitionKey.bind(model) } : {}),
    ...(model.describeOperation ? { describeOperation: model.describeOperation.bind(model) } : {}),
    // Sound over sets too: an operation every reachable state rejects is rejected by every reachable set of them.
    ...(model.impossible ? { impossible: model.impossible.bind(model) } : {}),
    describeState: (states) =>
      states.length === 1 ? describeState(states[0]!) : `{${states.map(describeState).join(' | ')}}`,
  };
};

/** The partitions a check uses (empty ones dropped); `PartitionResult.index` points into this list. */
export const partitionOperations = <I, O>(
  model: AnyModel<unknown, I, O> | ResolvedModel<unknown, I, O>,
  ops: readonly Operation<I, O>[],
): Partition<I, O>[] => {
  const byModel = partitionMemo.get(ops);
  const known = byModel?.get(model);
  if (known !== undefined) return known as Partition<I, O>[];
  const resolved = 'partitions' in model ? model : resolveModel(model);
  const partitions = resolved.partitions(ops).filter((p) => p.ops.length > 0);
  if (byModel === undefined) partitionMemo.set(ops, new WeakMap([[model, partitions]]));
  else byModel.set(model, partitions);
  return partitions;
};

/**
 * Partitions by operations array and model: a failing check is explained by
 * checking its failing partition again, and partitioning a million
 * operations a second time costs half a second. Treated as read-only.
 */
const partitionMemo = new WeakMap<object, WeakMap<object, readonly object[]>>();

/** The same model checking everything as one partition (to re-check a single partition's operations). */
export const withoutPartitioning = <S, I, O>(model: AnyModel<S, I, O>): AnyModel<S, I, O> =>
  // Inherit rather than spread, so models written as classes keep their methods.
  Object.assign(Object.create(model) as AnyModel<S, I, O>, { partition: undefined, partitionKey: undefined });
