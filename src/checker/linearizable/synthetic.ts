import { createRandom, type Random } from '../../base/random.ts';
import type { Op } from '../../history/op.ts';

/**
 * Synthetic histories with a known verdict, for benchmarks and tests of the
 * linearizability checker (and of models): N clients run operations against
 * one real sequential object (K independent keys), each operation taking
 * effect at one instant strictly inside its [invoke, completion] interval.
 * Such a history is linearizable by construction. With `violation`, one
 * read is changed to a value that no linearization allows (see
 * `staleValue`), which makes it certainly not linearizable.
 *
 * Two shapes:
 * - `kv`: porcupine's key-value test shape (`get`/`put`/`append` of string
 *   tokens "x P N y", initial ""), model `kv-append`;
 * - `register`: faultline's own register shape (`read`/`write`/`cas` of
 *   unique integers, initial nil, a failed cas completes with `fail`), model
 *   `cas-register` checked per key.
 *
 * Times are event ordinals (every invoke and completion has its own), so the
 * history reads the same in every format, with or without timestamps.
 */
export type SyntheticShape = 'kv' | 'register';

export interface SyntheticSpec {
  shape: SyntheticShape;
  /** Operations (invocations). */
  ops: number;
  /** Concurrent clients (Jepsen workers); a client that crashes continues under a new process number. */
  clients: number;
  /** Independent keys (partitions). Default 10, as porcupine's kv histories. */
  keys?: number;
  /**
   * Relative weights of reads, writes (put) and the third function (cas for
   * `register`, append for `kv`). Default: kv 45/5/50 (porcupine's kv
   * histories), register 50/25/25.
   */
  mix?: { read: number; write: number; update: number };
  /**
   * Fraction of its time a client has an operation in flight, in (0, 1].
   * 1 (default): it invokes again as soon as one completes, as Jepsen's
   * workers do; lower values add think time and so less concurrency.
   */
  overlap?: number;
  /**
   * How long operations take and where in its interval each takes effect.
   * `heavy-tailed` (default): most are quick and one in five is about 30
   * times slower, as in porcupine's 50-client kv histories (recorded from a
   * real service; median 13 events, 90th percentile 343), and each takes
   * effect within about one quick operation's time of its call (requests
   * are applied in about the order they arrive; a slow one mostly waits for
   * its reply). `uniform`: every operation lasts about as long as every
   * other and takes effect anywhere inside it, so each overlaps with every
   * client's: a much harder search, for both checkers (porcupine's Go
   * needs seconds to minutes at 50 clients and 2,000 operations).
   */
  latency?: 'heavy-tailed' | 'uniform';
  /** Fraction of operations that crash (complete with `info`, applied or not). Default 0. */
  info?: number;
  /** Change one read to a value no linearization allows. Default false. */
  violation?: boolean;
  /** Where the violating read is, as a fraction of the history (0..1). Default: drawn from the seed. */
  violationAt?: number;
  seed?: number;
}

export interface SyntheticHistory {
  spec: Required<Omit<SyntheticSpec, 'violationAt'>> & { violationAt: number | undefined };
  history: Op[];
  /** The model that checks it (`kv-append` or `cas-register` per key) and its initial value. */
  model: 'kv-append' | 'cas-register';
  initial: unknown;
  /** `valid` unless a violation was injected. */
  expected: 'valid' | 'invalid';
  /** The read that was changed: index of its completion in `history`, its key, the value it read and the one it now says. */
  violation?: { index: number; key: string; actual: unknown; stale: unknown };
}

const DEFAULT_MIX = {
  kv: { read: 45, write: 5, update: 50 },
  register: { read: 50, write: 25, update: 25 },
} as const;

type Phase = 'idle' | 'invoked' | 'applied';

interface Client {
  process: number;
  phase: Phase;
  /** When its next event happens (continuous simulated time). */
  at: number;
  /** Event ordinal of the current operation's invoke. */
  call: number;
  f: string;
  key: string;
  value: unknown;
  output: unknown;
  /** The current operation crashes at completion; `skip`: before taking effect. */
  crash: boolean;
  skip: boolean;
  casOk: boolean;
  /** The next token counter of this process (kv values "x P N y"). */
  counter: number;
  /** Position in `history` of the invoke. */
  invokeIndex: number;
  completeAt: number;
}

/** A definite (completed ok) change of a key: for finding values certainly overwritten. */
interface Mutation {
  call: number;
  ret: number;
  /** The key's value right after it took effect. */
  value: unknown;
}

interface Read {
  completion: number;
  key: string;
  call: number;
}

export const generateHistory = (input: SyntheticSpec): SyntheticHistory => {
  const spec = {
    shape: input.shape,
    ops: Math.max(0, Math.floor(input.ops)),
    clients: Math.max(1, Math.floor(input.clients)),
    keys: Math.max(1, Math.floor(input.keys ?? 10)),
    mix: input.mix ?? DEFAULT_MIX[input.shape],
    overlap: Math.min(1, Math.max(0.01, input.overlap ?? 1)),
    latency: input.latency ?? 'heavy-tailed',
    info: Math.min(1, Math.max(0, input.info ?? 0)),
    violation: input.violation ?? false,
    violationAt: input.violationAt,
    seed: input.seed ?? 1,
  };
  const rnd = createRandom(spec.seed);
  const kv = spec.shape === 'kv';
  const initial: unknown = kv ? '' : null;
  const store = new Map<string, unknown>();
  const history: Op[] = [];
  const mutations = new Map<string, Mutation[]>();
  const reads: Read[] = [];
  // Think time so that a client is in flight `overlap` of the time.
  const meanDuration = spec.latency === 'uniform' ? 1 : HEAVY_TAILED_MEAN;
  const think = (meanDuration * (1 - spec.overlap)) / spec.overlap;
  let tick = 0;
  let nextValue = 1;
  let nextProcess = spec.clients;
  let invoked = 0;
  const clients: Client[] = Array.from({ length: spec.clients }, (_, i) => ({
    process: i,
    phase: 'idle',
    at: rnd.next() * think,
    call: 0,
    f: 'read',
    key: '0',
    value: null,
    output: null,
    crash: false,
    skip: false,
    casOk: false,
    counter: 0,
    invokeIndex: 0,
    completeAt: 0,
  }));
  const emit = (c: Client, type: Op['type'], value: unknown): number => {
    const index = history.length;
    history.push({ index, time: tick++, type, process: c.process, f: c.f, key: c.key, value });
    return index;
  };

  for (;;) {
    // The client whose next event comes first (N is at most a few hundred: a scan is fine).
    let c: Client | undefined;
    for (const x of clients) {
      if (x.phase === 'idle' && invoked >= spec.ops) continue;
      if (c === undefined || x.at < c.at) c = x;
    }
    if (c === undefined) break;
    if (c.phase === 'idle') {
      invoke(c, rnd, spec, kv, store, initial, () => nextValue++);
      c.call = tick;
      c.invokeIndex = emit(c, 'invoke', c.value);
      invoked++;
      const duration = spec.latency === 'uniform' ? 0.2 + 1.6 * rnd.next() : heavyTailed(rnd);
      c.completeAt = c.at + duration;
      c.crash = rnd.next() < spec.info;
      c.skip = c.crash && rnd.next() < 0.5;
      // Takes effect strictly inside the interval: with heavy-tailed latency, soon after the call (requests are
      // applied in about the order they arrive; a slow operation mostly waits for its reply), else anywhere.
      c.at +=
        spec.latency === 'uniform'
          ? duration * (0.05 + 0.9 * rnd.next())
          : Math.min(0.95 * duration, 0.05 + rnd.next());
      c.phase = 'invoked';
    } else if (c.phase === 'invoked') {
      if (!c.skip) apply(c, store, initial);
      c.phase = 'applied';
      c.at = c.completeAt;
    } else {
      if (c.crash) {
        emit(c, 'info', c.value);
        c.process = nextProcess++;
        c.counter = 0;
      } else if (c.f === 'cas' && !c.casOk) {
        emit(c, 'fail', c.value);
      } else {
        const isRead = c.f === 'read' || c.f === 'get';
        const completion = emit(c, 'ok', isRead ? c.output : c.value);
        if (isRead) reads.push({ completion, key: c.key, call: c.call });
        else {
          const list = mutations.get(c.key) ?? [];
          mutations.set(c.key, list);
          list.push({ call: c.call, ret: tick - 1, value: c.output });
        }
      }
      c.phase = 'idle';
      c.at += think * 2 * rnd.next();
    }
  }

  const result: SyntheticHistory = {
    spec,
    history,
    model: kv ? 'kv-append' : 'cas-register',
    initial,
    expected: 'valid',
  };
  if (spec.violation) {
    const at = spec.violationAt ?? rnd.next();
    const injected = injectStaleRead(history, reads, mutations, initial, at);
    if (injected) {
      result.violation = injected;
      result.expected = 'invalid';
    }
  }
  return result;
};

const invoke = (
  c: Client,
  rnd: Random,
  spec: { keys: number; mix: { read: number; write: number; update: number } },
  kv: boolean,
  store: Map<string, unknown>,
  initial: unknown,
  fresh: () => number,
): void => {
  c.key = String(rnd.int(spec.keys));
  const roll = rnd.next() * (spec.mix.read + spec.mix.write + spec.mix.update);
  const kind = roll < spec.mix.read ? 0 : roll < spec.mix.read + spec.mix.write ? 1 : 2;
  if (kv) {
    c.f = kind === 0 ? 'get' : kind === 1 ? 'put' : 'append';
    c.value = kind === 0 ? null : `x ${c.process} ${c.counter++} y`;
    return;
  }
  c.f = kind === 0 ? 'read' : kind === 1 ? 'write' : 'cas';
  if (kind === 0) c.value = null;
  else if (kind === 1) c.value = fresh();
  else {
    // Half of the cas operations expect the value the client last could have seen, half an older guess.
    const current = store.has(c.key) ? store.get(c.key) : initial;
    const guess = rnd.next() < 0.5 || typeof current !== 'number' ? current : Math.max(1, current - 1 - rnd.int(3));
    c.value = [guess, fresh()];
  }
};

/** Log-normal around 1 (σ 0.5), times 30 for one operation in five; its mean is e^(σ²/2) (0.8 + 0.2 × 30). */
const HEAVY_TAILED_MEAN = Math.exp(0.125) * 6.8;
const heavyTailed = (rnd: Random): number => {
  const gauss = Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
  return Math.exp(0.5 * gauss) * (rnd.next() < 0.2 ? 30 : 1);
};

const apply = (c: Client, store: Map<string, unknown>, initial: unknown): void => {
  const current = store.has(c.key) ? store.get(c.key) : initial;
  switch (c.f) {
    case 'read':
    case 'get':
      c.output = current;
      return;
    case 'write':
    case 'put':
      store.set(c.key, c.value);
      c.output = c.value;
      return;
    case 'append':
      store.set(c.key, `${current as string}${c.value as string}`);
      c.output = store.get(c.key);
      return;
    default: {
      const [from, to] = c.value as [unknown, unknown];
      c.casOk = from === current;
      if (c.casOk) store.set(c.key, to);
      c.output = store.get(c.key);
    }
  }
};

/**
 * A value the read can certainly not return: the value right after a
 * definite change `p`, when another definite change `a` was invoked after `p`
 * completed and completed before the read was invoked (every linearization
 * orders p < a < read; values and tokens are unique, so the state at the read
 * has `a`'s mark and not `p`'s last one), or the initial value once any
 * definite change completed before the read. Undefined when there is none.
 */
const staleValue = (read: Read, changes: readonly Mutation[], initial: unknown): { value: unknown } | undefined => {
  // The change completed before the read with the latest invocation leaves the most room for p.
  let a: Mutation | undefined;
  for (const m of changes) if (m.ret < read.call && (a === undefined || m.call > a.call)) a = m;
  if (a === undefined) return undefined;
  let p: Mutation | undefined;
  for (const m of changes) if (m.ret < a.call && (p === undefined || m.ret > p.ret)) p = m;
  return { value: p === undefined ? initial : p.value };
};

const injectStaleRead = (
  history: Op[],
  reads: readonly Read[],
  mutations: ReadonlyMap<string, Mutation[]>,
  initial: unknown,
  at: number,
): SyntheticHistory['violation'] => {
  if (reads.length === 0) return undefined;
  // The read nearest the chosen position that has a stale value, looking both ways.
  const start = Math.min(reads.length - 1, Math.max(0, Math.floor(at * reads.length)));
  for (let d = 0; d < reads.length; d++) {
    for (const i of d === 0 ? [start] : [start + d, start - d]) {
      const read = reads[i];
      if (read === undefined) continue;
      const stale = staleValue(read, mutations.get(read.key) ?? [], initial);
      if (!stale) continue;
      const op = history[read.completion]!;
      history[read.completion] = { ...op, value: stale.value };
      return { index: read.completion, key: read.key, actual: op.value, stale: stale.value };
    }
  }
  return undefined;
};

/** porcupine's kv text format (`parsePorcupineKv` reads it; so does porcupine's own test parser). */
export const formatPorcupineKv = (history: readonly Op[]): string => {
  const lines = history.map((op) => {
    const value = op.value === null || op.value === undefined ? 'nil' : JSON.stringify(String(op.value));
    return `{:process ${String(op.process)}, :type :${op.type}, :f :${op.f}, :key ${JSON.stringify(op.key ?? '')}, :value ${value}}`;
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
};
