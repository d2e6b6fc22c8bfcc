import type { Op } from '../../../src/history/op.ts';

/**
 * Histories recorded from a real sequential object: clients invoke
 * operations concurrently, each operation takes effect on the object at
 * one instant strictly between its invoke and its completion, and clients
 * may crash (the operation becomes `info`, applied or not, and the client
 * continues under a new process number, as in Jepsen). Such a history is
 * linearizable by construction. Written values are unique, so changing one
 * read to a value that was certainly overwritten before the read began
 * makes it certainly not linearizable.
 */

export interface Exec {
  history: Op[];
  /** Per key: definitely-applied writes (ok write or ok cas) with their interval and value. */
  writes: Map<string, { call: number; ret: number; value: number }[]>;
  /** Indexes (in history) of ok read completions, with their key and invoke time. */
  reads: { completion: number; key: string; call: number }[];
}

type Phase = 'idle' | 'invoked' | 'applied';

interface Client {
  process: number;
  phase: Phase;
  f: 'read' | 'write' | 'cas';
  key: string;
  value: unknown;
  invokeTime: number;
  output: unknown;
  casOk: boolean;
}

export const INITIAL = 0;

/**
 * Runs `choices` as a schedule over `clients` clients and `keys` keys against
 * a map of registers. A client in flight crashes on about one step in
 * `crashEvery` (0: never).
 */
export const execute = (choices: readonly number[], clients: number, keys: number, crashEvery: number): Exec => {
  const store = new Map<string, number>();
  const history: Op[] = [];
  const writes: Exec['writes'] = new Map();
  const reads: Exec['reads'] = [];
  let time = 0;
  let nextValue = 1;
  let nextProcess = clients;
  const cs: Client[] = Array.from({ length: clients }, (_, i) => ({
    process: i,
    phase: 'idle',
    f: 'read',
    key: 'k0',
    value: null,
    invokeTime: 0,
    output: null,
    casOk: false,
  }));
  const emit = (c: Client, type: Op['type'], value: unknown) => {
    history.push({ index: history.length, time: time++, type, process: c.process, f: c.f, key: c.key, value });
  };
  for (const choice of choices) {
    const c = cs[choice % clients]!;
    const sub = Math.floor(choice / clients);
    if (c.phase === 'idle') {
      c.key = `k${sub % keys}`;
      const kind = Math.floor(sub / keys) % 4;
      c.f = kind === 0 || kind === 1 ? 'read' : kind === 2 ? 'write' : 'cas';
      const current = store.get(c.key) ?? INITIAL;
      // A cas guesses the current value half of the time.
      c.value =
        c.f === 'read' ? null : c.f === 'write' ? nextValue++ : [sub % 8 < 4 ? current : current + 1, nextValue++];
      c.invokeTime = time;
      emit(c, 'invoke', c.value);
      c.phase = 'invoked';
    } else if (crashEvery > 0 && sub % crashEvery === 0) {
      // Crash before or after taking effect: indeterminate either way.
      emit(c, 'info', c.value);
      c.process = nextProcess++;
      c.phase = 'idle';
    } else if (c.phase === 'invoked') {
      const current = store.get(c.key) ?? INITIAL;
      if (c.f === 'read') c.output = current;
      else if (c.f === 'write') store.set(c.key, c.value as number);
      else {
        const [from, to] = c.value as [number, number];
        c.casOk = from === current;
        if (c.casOk) store.set(c.key, to);
      }
      time++; // the instant it took effect, strictly inside the interval
      c.phase = 'applied';
    } else {
      if (c.f === 'cas' && !c.casOk) emit(c, 'fail', c.value);
      else {
        const completion = history.length;
        emit(c, 'ok', c.f === 'read' ? c.output : c.value);
        if (c.f === 'read') reads.push({ completion, key: c.key, call: c.invokeTime });
        else {
          const value = c.f === 'write' ? (c.value as number) : (c.value as [number, number])[1];
          const list = writes.get(c.key) ?? [];
          list.push({ call: c.invokeTime, ret: time - 1, value });
          writes.set(c.key, list);
        }
      }
      c.phase = 'idle';
    }
  }
  return { history, writes, reads };
};

/**
 * A value the read at `r` certainly cannot return: one overwritten before
 * the read began (an applied write w_old, then an applied write w_new
 * invoked after w_old completed and completed before the read began), or
 * the initial value once any write completed before it. Undefined if none.
 */
const staleValueFor = (exec: Exec, r: Exec['reads'][number]): number | undefined => {
  const ws = exec.writes.get(r.key) ?? [];
  const before = ws.filter((w) => w.ret < r.call);
  if (before.length === 0) return undefined;
  for (const wNew of before) {
    const wOld = before.find((w) => w.ret < wNew.call);
    if (wOld) return wOld.value;
  }
  return INITIAL;
};

/** The history with one read changed to a stale value, or undefined if no read has one. */
export const withStaleRead = (exec: Exec, pick: number): Op[] | undefined => {
  const candidates = exec.reads.flatMap((r) => {
    const stale = staleValueFor(exec, r);
    const actual = exec.history[r.completion]!.value;
    return stale !== undefined && stale !== actual ? [{ r, stale }] : [];
  });
  if (candidates.length === 0) return undefined;
  const { r, stale } = candidates[pick % candidates.length]!;
  return exec.history.map((op, i) => (i === r.completion ? { ...op, value: stale } : op));
};
