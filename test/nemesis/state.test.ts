import { describe, expect, it } from 'vitest';
import type { Backend, Grudge, Link, LinkShape } from '../../src/cluster/backend.ts';
import { combineShapes, createFaultState } from '../../src/nemesis/state.ts';

/**
 * The composition logic alone, against a backend that only records what it
 * is asked (the integration tests in overlap-local.test.ts measure the same
 * on real nodes). What matters here is the exact sequence of primitives:
 * `partition` replaces, `heal` lifts shapes too, `start` is not `resume`.
 */
const recordingBackend = () => {
  const calls: string[] = [];
  const running = new Set(['n1', 'n2', 'n3']);
  const backend = {
    name: 'recording',
    async kill(n: string) {
      running.delete(n);
      calls.push(`kill ${n}`);
    },
    async start(n: string) {
      running.add(n);
      calls.push(`start ${n}`);
    },
    async pause(n: string) {
      calls.push(`pause ${n}`);
    },
    async resume(n: string) {
      calls.push(`resume ${n}`);
    },
    async partition(g: Grudge) {
      calls.push(`partition ${JSON.stringify(g)}`);
    },
    async heal() {
      calls.push('heal');
    },
    async shape(links: readonly Link[], s: LinkShape) {
      calls.push(`shape ${links.map((l) => `${l.from}>${l.to}`).join(',')} ${JSON.stringify(s)}`);
    },
    async clock(n: string, ms: number) {
      calls.push(`clock ${n} ${ms}`);
    },
    isRunning: (n: string) => running.has(n),
  } as unknown as Backend;
  return { backend, calls };
};

const signal = new AbortController().signal;

describe('fault state', () => {
  it('kills once and restarts only when the last fault holding a node down lets go', async () => {
    const { backend, calls } = recordingBackend();
    const state = createFaultState(backend, signal);
    const a = await state.down(['n1']);
    const b = await state.down(['n1', 'n2']);
    await a();
    await a(); // idempotent
    expect(state.snapshot().down).toEqual(['n1', 'n2']);
    await b();
    expect(calls).toEqual(['kill n1', 'kill n2', 'start n1', 'start n2']);
  });

  it('composes grudges as a union and heals one by recomputing the rest; heal() only when nothing is left', async () => {
    const { backend, calls } = recordingBackend();
    const state = createFaultState(backend, signal);
    const a = await state.cut({ n1: ['n2'] });
    const b = await state.cut({ n3: ['n2'], n1: ['n3'] });
    await a();
    await b();
    expect(calls).toEqual([
      'partition {"n1":["n2"]}',
      'partition {"n1":["n2","n3"],"n3":["n2"]}',
      'partition {"n1":["n3"],"n3":["n2"]}',
      'heal',
    ]);
  });

  it('keeps shapes when a cut heals, and cuts when a shape goes (an empty shape, not heal())', async () => {
    const { backend, calls } = recordingBackend();
    const state = createFaultState(backend, signal);
    const slow = await state.shape([{ from: 'n1', to: 'n2' }], { delayMs: 100 });
    const cut = await state.cut({ n3: ['n1'] });
    await cut();
    const cut2 = await state.cut({ n3: ['n2'] });
    await slow();
    await cut2();
    expect(calls).toEqual([
      'shape n1>n2 {"delayMs":100}',
      'partition {"n3":["n1"]}',
      'partition {}',
      'partition {"n3":["n2"]}',
      'shape n1>n2 {}',
      'heal',
    ]);
  });

  it('adds shapes on a shared link and recomputes it when one goes', async () => {
    const { backend, calls } = recordingBackend();
    const state = createFaultState(backend, signal);
    const a = await state.shape([{ from: 'n1', to: 'n2' }], { delayMs: 100, jitterMs: 10 });
    await state.shape(
      [
        { from: 'n1', to: 'n2' },
        { from: 'n2', to: 'n3' },
      ],
      { delayMs: 50, loss: 0.5 },
    );
    await a();
    expect(calls.slice(1)).toEqual([
      'shape n1>n2 {"delayMs":150,"jitterMs":10,"loss":0.5}',
      'shape n2>n3 {"delayMs":50,"loss":0.5}',
      'shape n1>n2 {"delayMs":50,"loss":0.5}',
    ]);
    expect(combineShapes([{ loss: 0.5 }, { loss: 0.5 }]).loss).toBeCloseTo(0.75);
  });

  it('gives a restarted node back its pause and its clock, and tells a paused node its clock only on resume', async () => {
    const { backend, calls } = recordingBackend();
    const state = createFaultState(backend, signal);
    const p = await state.pause(['n1']);
    const c = await state.skew('n1', 5000);
    const k = await state.down(['n1']);
    await k();
    await p();
    await c.set(7000);
    await c.release();
    expect(calls).toEqual([
      'pause n1',
      'kill n1',
      'start n1',
      'pause n1',
      'resume n1',
      'clock n1 5000',
      'clock n1 7000',
      'clock n1 0',
    ]);
  });

  it('sets the clock of a node restarted after its clock fault ended (a backend may have kept the offset)', async () => {
    const { backend, calls } = recordingBackend();
    const state = createFaultState(backend, signal);
    const c = await state.skew('n1', 5000);
    const k = await state.down(['n1']);
    await c.release(); // while n1 is down: nothing to tell yet
    await k();
    expect(calls).toEqual(['clock n1 5000', 'kill n1', 'start n1', 'clock n1 0']);
  });

  it('sums clock offsets on one node', async () => {
    const { backend, calls } = recordingBackend();
    const state = createFaultState(backend, signal);
    const a = await state.skew('n2', 1000);
    const b = await state.skew('n2', -300);
    await a.release();
    await b.release();
    expect(calls).toEqual(['clock n2 1000', 'clock n2 700', 'clock n2 -300', 'clock n2 0']);
  });

  it('heals everything at once, after which earlier releases do nothing', async () => {
    const { backend, calls } = recordingBackend();
    const state = createFaultState(backend, signal);
    const k = await state.down(['n1']);
    const p = await state.pause(['n2']);
    const c = await state.skew('n3', 100);
    const x = await state.cut({ n2: ['n3'] });
    calls.length = 0;
    await state.healAll();
    expect(calls).toEqual(['heal', 'resume n2', 'start n1', 'clock n3 0']);
    await Promise.all([k(), p(), c.release(), x()]);
    expect(calls).toHaveLength(4);
    expect(state.snapshot()).toEqual({ down: [], paused: [], grudge: {}, clocks: {}, shapedLinks: 0 });
  });
});
