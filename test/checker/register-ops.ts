import type { Op } from '../../src/history/op.ts';

/**
 * Hand-made register and counter histories with exact intervals. Each call
 * runs under its own process number, so calls may overlap freely; times are
 * in ms (fractions allowed). `end: undefined` leaves the call without a
 * completion (an interrupted run).
 */
interface Call {
  f: string;
  key: string | undefined;
  invokeValue: unknown;
  type: 'ok' | 'fail' | 'info';
  completionValue: unknown;
  at: number;
  end: number | undefined;
  node: string;
}

export class RegisterHistory {
  private readonly calls: Call[] = [];
  private readonly nemesisOps: { at: number; f: string }[] = [];

  write(
    key: string,
    value: unknown,
    at: number,
    end: number | undefined,
    type: Call['type'] = 'ok',
    node = 'n1',
  ): this {
    this.calls.push({ f: 'write', key, invokeValue: value, type, completionValue: value, at, end, node });
    return this;
  }

  cas(key: string, from: unknown, to: unknown, at: number, end: number, type: Call['type'] = 'ok', node = 'n1'): this {
    this.calls.push({ f: 'cas', key, invokeValue: [from, to], type, completionValue: [from, to], at, end, node });
    return this;
  }

  read(key: string | undefined, value: unknown, at: number, end: number, node = 'n1'): this {
    this.calls.push({ f: 'read', key, invokeValue: null, type: 'ok', completionValue: value, at, end, node });
    return this;
  }

  /** A counter add (no key). */
  add(delta: unknown, at: number, end: number | undefined, type: Call['type'] = 'ok', node = 'n1'): this {
    this.calls.push({ f: 'add', key: undefined, invokeValue: delta, type, completionValue: delta, at, end, node });
    return this;
  }

  nemesis(f: string, at: number): this {
    this.nemesisOps.push({ at, f });
    return this;
  }

  get ops(): Op[] {
    const events: { time: number; seq: number; op: Omit<Op, 'index'> }[] = [];
    const ns = (ms: number): number => Math.round(ms * 1_000_000);
    this.calls.forEach((c, process) => {
      const base = { process, f: c.f, node: c.node, ...(c.key !== undefined ? { key: c.key } : {}) };
      events.push({
        time: ns(c.at),
        seq: 2 * process,
        op: { ...base, time: ns(c.at), type: 'invoke', value: c.invokeValue },
      });
      if (c.end !== undefined)
        events.push({
          time: ns(c.end),
          seq: 2 * process + 1,
          op: { ...base, time: ns(c.end), type: c.type, value: c.completionValue },
        });
    });
    for (const n of this.nemesisOps) {
      const op = { time: ns(n.at), process: 'nemesis' as const, f: n.f, value: null };
      events.push({ time: ns(n.at), seq: -1, op: { ...op, type: 'invoke' } });
      events.push({ time: ns(n.at), seq: -1, op: { ...op, type: 'info' } });
    }
    events.sort((a, b) => a.time - b.time || a.seq - b.seq);
    return events.map((e, index) => ({ index, ...e.op }));
  }
}
