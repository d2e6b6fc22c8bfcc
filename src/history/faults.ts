import type { Op } from './op.ts';

/** A fault window, derived from the nemesis ops of a history. */
export interface FaultWindow {
  f: string;
  /** ns since run start */
  start: number;
  /** ns since run start; Infinity when never healed in the history */
  end: number;
  value: unknown;
}

/**
 * Fault windows from the nemesis ops of a history.
 *
 * A nemesis op is an `invoke` and an `info` completion with the same `f`.
 * Faults start with `start-<kind>` and heal with `stop-<kind>`; a scheduled
 * fault's ops carry its `step` id, which pairs them. A window runs
 * from the start op's completion (the fault is in place) to the matching
 * stop's completion (it is healed); `end` is Infinity when the history never
 * heals it. A start that never completed (the run was interrupted while
 * injecting) opens its window at the invocation, since the fault may be in
 * place. A start completed with `fail` injected nothing and opens no window.
 *
 * `FaultWindow.f` is the kind ("kill", "partition", ...); `value` is the start
 * op's completion value, or its invocation value when the completion has none.
 */
export const faultWindows = (history: readonly Op[]): FaultWindow[] => {
  const windows: FaultWindow[] = [];
  const open: FaultWindow[] = [];
  const pendingInvokes = new Map<string, Op[]>();

  const onStart = (kind: string, invoke: Op, completion: Op | undefined) => {
    const value = completion?.value ?? invoke.value;
    const w: FaultWindow = { f: kind, start: (completion ?? invoke).time, end: Infinity, value };
    windows.push(w);
    open.push(w);
  };
  const onStop = (kind: string, invoke: Op, completion: Op) => {
    const sameKind = open.filter((w) => w.f === kind);
    // A scheduled fault names its step: it heals exactly that window (two
    // overlapping partitions are healed one at a time).
    const step = stepOf(completion.value) ?? stepOf(invoke.value);
    const ofStep = step === undefined ? [] : sameKind.filter((w) => stepOf(w.value) === step);
    if (ofStep.length > 0) {
      for (const w of ofStep) {
        w.end = completion.time;
        open.splice(open.indexOf(w), 1);
      }
      return;
    }
    // A stop that names its targets heals only the windows on those targets
    // (two nodes killed separately, restarted separately); otherwise all of that kind.
    const stopTargets = targetsOf(completion.value) ?? targetsOf(invoke.value);
    const matching = stopTargets
      ? sameKind.filter((w) => targetsOf(w.value)?.some((t) => stopTargets.includes(t)))
      : [];
    for (const w of matching.length > 0 ? matching : sameKind) {
      w.end = completion.time;
      open.splice(open.indexOf(w), 1);
    }
  };

  for (const op of history) {
    if (op.process !== 'nemesis') continue;
    if (op.type === 'invoke') {
      const list = pendingInvokes.get(op.f) ?? [];
      list.push(op);
      pendingInvokes.set(op.f, list);
      continue;
    }
    const invoke = pendingInvokes.get(op.f)?.shift() ?? op;
    if (op.type === 'fail') continue;
    if (op.f.startsWith('start-')) onStart(op.f.slice(6), invoke, op);
    else if (op.f.startsWith('stop-')) onStop(op.f.slice(5), invoke, op);
  }
  for (const [f, invokes] of pendingInvokes) {
    if (!f.startsWith('start-')) continue;
    for (const invoke of invokes) onStart(f.slice(6), invoke, undefined);
  }
  return windows.sort((a, b) => a.start - b.start);
};

/** A short human label for a window: "partition: isolate n1", "kill n2". */
export const describeFault = (w: FaultWindow): string => {
  const v = w.value;
  if (typeof v === 'object' && v !== null) {
    const d = (v as { description?: unknown }).description;
    if (typeof d === 'string' && d !== '') return clip(`${w.f}: ${d}`);
  }
  const targets = targetsOf(v);
  if (targets) return clip(`${w.f} ${targets.join(', ')}`);
  return w.f;
};

const stepOf = (v: unknown): number | undefined => {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = (v as { step?: unknown }).step;
  return typeof s === 'number' ? s : undefined;
};

const targetsOf = (v: unknown): string[] | undefined => {
  if (typeof v !== 'object' || v === null) return undefined;
  const t = (v as { targets?: unknown }).targets;
  if (!Array.isArray(t)) return undefined;
  const names = t.filter((x): x is string => typeof x === 'string');
  return names.length > 0 ? names : undefined;
};

const clip = (s: string, max = 80): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
