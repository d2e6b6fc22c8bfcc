import { showValue } from '../linearizable/model.ts';
import { deepHash } from '../linearizable/structural.ts';
import type { ImpossibleOperation, Operation } from '../linearizable/types.ts';
import { lowerBound, upperBound } from '../sorted.ts';
import { casArgs, type OpInput, sameValue, unknownFunction } from './op-input.ts';

/**
 * The models' pre-checks (`ModelHooks.impossible`): one pass over a
 * partition's operations that finds a definite operation no reachable state
 * accepts, before the search. A read of a value nothing wrote after
 * thousands of crashed writes is then illegal at once, where the search
 * would first try the crashed writes' interleavings.
 */

/** Values compared as the models compare them (`sameValue`): primitives by identity, the rest structurally. */
class ValueSet {
  private readonly primitives = new Set<unknown>();
  private readonly objects = new Map<number, unknown[]>();

  add(v: unknown): void {
    if (typeof v !== 'object' || v === null) {
      this.primitives.add(v);
      return;
    }
    const h = deepHash(v);
    const bucket = this.objects.get(h);
    if (bucket === undefined) this.objects.set(h, [v]);
    else if (!bucket.some((x) => sameValue(x, v))) bucket.push(v);
  }

  // A Set finds NaN where sameValue does not: then the search, not the pre-check, rejects it (sound either way).
  has(v: unknown): boolean {
    if (typeof v !== 'object' || v === null) return this.primitives.has(v);
    return this.objects.get(deepHash(v))?.some((x) => sameValue(x, v)) ?? false;
  }
}

export interface RegisterPrecheck {
  /** Model name, for errors. */
  model: string;
  /** Its functions: `cas` only for models that have it. */
  functions: readonly string[];
  initial: unknown;
  /** Whether a nil read means "not known" (it matches any state). */
  nilUnknown: boolean;
  /** The register an operation acts on, for `kv` (its key); absent for a single register. */
  keyOf?(input: OpInput): string;
}

/**
 * Registers (register, cas-register, kv per key): every state a register can
 * reach is its initial value or a value some operation on it wrote (a
 * `write`, or a `cas`'s new value; definite or crashed alike). A definite
 * read must return one of them, and a definite cas must expect one.
 */
export const neverWritten = (
  ops: readonly Operation<OpInput, unknown>[],
  o: RegisterPrecheck,
): ImpossibleOperation | undefined => {
  const hasCas = o.functions.includes('cas');
  const single = new ValueSet();
  const perKey = new Map<string, ValueSet>();
  const valuesOf = (input: OpInput): ValueSet | undefined =>
    o.keyOf === undefined ? single : perKey.get(o.keyOf(input));
  for (let i = 0; i < ops.length; i++) {
    const input = ops[i]!.input;
    let value: unknown;
    if (input.f === 'write') value = input.value;
    else if (input.f === 'cas' && hasCas) value = casArgs(o.model, input)[1];
    else if (input.f === 'read') continue;
    else throw unknownFunction(o.model, input, o.functions);
    let values = valuesOf(input);
    if (values === undefined) {
      values = new ValueSet();
      perKey.set(o.keyOf!(input), values);
    }
    values.add(value);
  }
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.output === undefined) continue; // indeterminate: the model accepts it anywhere
    const input = op.input;
    let expected: unknown;
    if (input.f === 'read') {
      if (op.output === null && o.nilUnknown) continue;
      expected = op.output;
    } else if (input.f === 'cas' && hasCas) expected = casArgs(o.model, input)[0];
    else continue;
    if (sameValue(o.initial, expected) || valuesOf(input)?.has(expected)) continue;
    const what = input.f === 'read' ? 'reads' : 'expects';
    return { id: op.id, why: `pre-check: it ${what} ${showValue(expected)}, ${NEVER}` };
  }
  return undefined;
};

const NEVER = 'which no operation of this partition could have written, nor is it the initial value';

/**
 * Registers (`ModelHooks.prune`): the crashed operations no other operation
 * could have observed. A crashed read observes and changes nothing. A
 * crashed write (or cas) of value v that no definite read returned and no
 * cas expects: had it taken effect, the register held v until the next
 * write, and every operation in between is a crashed read, or a crashed
 * cas that then did not swap (any cas that needs v is excluded); a
 * linearization without it is one with those crashed operations moved to
 * the end, where nothing sees them. And a linearization without it is one
 * with it, placed last. So the verdict stays, and the search no longer tries
 * thousands of crashed writes at every later point. Returns `ops` itself
 * when nothing is left out.
 */
export const unobservedLeftOut = (
  ops: readonly Operation<OpInput, unknown>[],
  o: RegisterPrecheck,
): readonly Operation<OpInput, unknown>[] => {
  const hasCas = o.functions.includes('cas');
  // One pass: what definite reads returned and what every cas expects, and where the crashed
  // operations are (those returning at infinity; a definite operation must take effect inside its
  // interval, so it is never left out).
  const observed = new ValueSet();
  const crashed: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const input = op.input;
    if (input.f === 'cas' && hasCas) observed.add(casArgs(o.model, input)[0]);
    if (op.return === Number.POSITIVE_INFINITY) crashed.push(i);
    else if (input.f === 'read' && op.output !== undefined && !(op.output === null && o.nilUnknown)) {
      observed.add(op.output);
    }
  }
  const left = new Set<number>();
  for (const i of crashed) {
    const input = ops[i]!.input;
    if (
      input.f === 'read' ||
      (input.f === 'write' && !observed.has(input.value)) ||
      (input.f === 'cas' && hasCas && !observed.has(casArgs(o.model, input)[1]))
    ) {
      left.add(i);
    }
    // Anything else (a function the model does not know) stays: its step will say so.
  }
  if (left.size === 0) return ops;
  const kept: Operation<OpInput, unknown>[] = [];
  for (let i = 0; i < ops.length; i++) if (!left.has(i)) kept.push(ops[i]!);
  return kept;
};

export interface AppendPrecheck {
  /** Every key's value before any put or append. */
  initial: string;
  /** The text an operation's value stands for. */
  text(v: unknown): string;
  keyOf(input: OpInput): string;
  functions: readonly string[];
}

/**
 * Work allowed per partition, in characters compared, for the concatenation
 * test below (its cost grows with the length of what is read): past it the
 * remaining gets are left to the search.
 */
const CHARS_PER_OP = 16;

/**
 * kv-append, per key: a key's value is its initial value or a put's value,
 * followed by appended texts. Two sound tests of each definite get:
 * - when the key has no put, its value only grows: it is at least as long as
 *   the initial value and every append that returned before the get was
 *   called (they precede it in every linearization), and at most as long as
 *   those plus every append called before the get returned;
 * - it must split into such a base and appended texts (each text allowed any
 *   number of times: weaker than the model, so never wrong), within a budget
 *   of work linear in the partition's size.
 */
export const neverAppended = (
  ops: readonly Operation<OpInput, unknown>[],
  o: AppendPrecheck,
): ImpossibleOperation | undefined => {
  const keys = new Map<string, KeyOps>();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const f = op.input.f;
    if (f !== 'get' && f !== 'put' && f !== 'append') throw unknownFunction('kv-append', op.input, o.functions);
    const key = o.keyOf(op.input);
    let k = keys.get(key);
    if (k === undefined) {
      k = { gets: [], puts: [], appends: [] };
      keys.set(key, k);
    }
    if (f === 'get') {
      if (op.output !== undefined) k.gets.push(op);
    } else (f === 'put' ? k.puts : k.appends).push(op);
  }
  for (const k of keys.values()) {
    if (k.puts.length > 0 || k.gets.length === 0) continue;
    const tooShortOrLong = outOfLength(k, o);
    if (tooShortOrLong) return tooShortOrLong;
  }
  let budget = CHARS_PER_OP * ops.length;
  for (const k of keys.values()) {
    const bases = [o.initial];
    for (const p of k.puts) bases.push(o.text(p.input.value));
    const appended = new Pieces(k.appends.map((a) => o.text(a.input.value)));
    for (const get of k.gets) {
      const read = o.text(get.output);
      const cost = splits(read, bases, appended, budget);
      if (cost === undefined) return undefined; // over budget: the search decides
      budget -= Math.abs(cost);
      if (cost < 0) {
        return {
          id: get.id,
          why: `pre-check: it reads ${showValue(read)}, which is no initial or put value followed by texts appended to the key`,
        };
      }
    }
  }
  return undefined;
};

interface KeyOps {
  /** Definite ones only. */
  gets: Operation<OpInput, unknown>[];
  puts: Operation<OpInput, unknown>[];
  appends: Operation<OpInput, unknown>[];
}

/** The first get of a key without puts whose value is shorter or longer than the appends around it allow. */
const outOfLength = (k: KeyOps, o: AppendPrecheck): ImpossibleOperation | undefined => {
  const returned = lengthsBy(k.appends, (a) => a.return, o);
  const called = lengthsBy(k.appends, (a) => a.call, o);
  const base = o.initial.length;
  for (const get of k.gets) {
    // Intervals are closed: an append that returned exactly when the get was called may still follow it.
    const must = base + returned.total[lowerBound(returned.times, get.call)]!;
    const may = base + called.total[upperBound(called.times, get.return)]!;
    const read = o.text(get.output).length;
    if (read < must || read > may) {
      return {
        id: get.id,
        why: `pre-check: it reads ${read} characters; the key has no put, and the appends that must precede it make at least ${must}, those that may at most ${may}`,
      };
    }
  }
  return undefined;
};

/** The appends' times in ascending order, and the total length of the first i of them in that order. */
const lengthsBy = (
  appends: readonly Operation<OpInput, unknown>[],
  time: (a: Operation<OpInput, unknown>) => number,
  o: AppendPrecheck,
): { times: Float64Array; total: Float64Array } => {
  const sorted = appends.map((a) => ({ at: time(a), n: o.text(a.input.value).length })).sort((x, y) => x.at - y.at);
  const times = new Float64Array(sorted.length);
  const total = new Float64Array(sorted.length + 1);
  for (let i = 0; i < sorted.length; i++) {
    times[i] = sorted[i]!.at;
    total[i + 1] = total[i]! + sorted[i]!.n;
  }
  return { times, total };
};

/** A key's appended texts, looked up by length and content. Empty texts change nothing and are left out. */
class Pieces {
  readonly texts: Set<string>;
  /** The distinct lengths, ascending. */
  readonly lengths: number[];

  constructor(texts: readonly string[]) {
    this.texts = new Set(texts.filter((t) => t !== ''));
    this.lengths = [...new Set([...this.texts].map((t) => t.length))].sort((a, b) => a - b);
  }
}

/**
 * Whether `s` is one of `bases` followed by texts of `pieces` (any number
 * of each). Returns the characters compared, negated when it is not;
 * undefined when that would take more than `budget`.
 */
const splits = (s: string, bases: readonly string[], pieces: Pieces, budget: number): number | undefined => {
  const reachable = new Uint8Array(s.length + 1);
  let cost = 0;
  for (const b of bases) {
    cost += b.length + 1;
    if (s.startsWith(b)) reachable[b.length] = 1;
  }
  for (let i = 0; i < s.length && cost <= budget; i++) {
    if (reachable[i] !== 1) continue;
    for (const n of pieces.lengths) {
      if (i + n > s.length) break;
      cost += n;
      if (pieces.texts.has(s.slice(i, i + n))) reachable[i + n] = 1;
    }
  }
  if (cost > budget) return undefined;
  return reachable[s.length] === 1 ? cost : -cost;
};
