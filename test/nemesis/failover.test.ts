import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import { createClock } from '../../src/base/time.ts';
import { createRecorder } from '../../src/history/recorder.ts';
import { lostNodes } from '../../src/nemesis/failover.ts';
import { createNemesis } from '../../src/nemesis/index.ts';
import type { ActiveFault } from '../../src/nemesis/nemesis.ts';
import { grudgeOf, isolate, ringGrudge } from '../../src/nemesis/partition.ts';
import type { OperatorContext, System } from '../../src/systems/system.ts';
import { upToyCluster } from '../cluster/helpers.ts';
import { createToySystem } from '../fixtures/toy-system.ts';

const fault = (kind: ActiveFault['kind'], value: Record<string, unknown>): ActiveFault => ({
  kind,
  value,
  heal: async () => ({}),
});
const three = ['n1', 'n2', 'n3'];
const five = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('lostNodes: what an operator sees as failed after a fault', () => {
  it('the targets of a kill or a pause', () => {
    expect(lostNodes(fault('kill', { targets: ['n2'] }), three)).toEqual(['n2']);
    expect(lostNodes(fault('pause', { targets: ['n1', 'n3'] }), three)).toEqual(['n1', 'n3']);
  });

  it('for a partition, the nodes cut off from a majority; a majorities ring loses nobody', () => {
    expect(lostNodes(fault('partition', { grudge: grudgeOf(isolate('n2', three)) }), three)).toEqual(['n2']);
    expect(
      lostNodes(
        fault('partition', {
          grudge: grudgeOf([
            ['n1', 'n4'],
            ['n2', 'n3', 'n5'],
          ]),
        }),
        five,
      ),
    ).toEqual(['n1', 'n4']);
    expect(lostNodes(fault('partition', { grudge: ringGrudge(five, createRandom(3)) }), five)).toEqual([]);
  });

  it('clock and shape faults lose nobody', () => {
    expect(lostNodes(fault('clock', { targets: ['n1'] }), three)).toEqual([]);
    expect(lostNodes(fault('shape', { targets: ['n1'] }), three)).toEqual([]);
  });
});

/** A toy system whose operator fences what it is told and records one step, or throws. */
const withFailover = (calls: OperatorContext[], mode: 'fence' | 'throw'): System => ({
  ...createToySystem(),
  async failover(ctx) {
    calls.push(ctx);
    if (mode === 'throw') throw new Error('promotion refused');
    for (const n of ctx.lost) await ctx.fence(n);
    ctx.step('fence', { nodes: [...ctx.lost], running: [...ctx.running()] });
  },
});

const nemesisFor = async (system: System) => {
  const { backend } = await upToyCluster({ system });
  const recorder = createRecorder({ clock: createClock() });
  const nemesis = createNemesis(
    { backend, system, nodes: three, rng: createRandom(1), signal: new AbortController().signal },
    recorder,
  );
  return { backend, recorder, nemesis };
};

describe('the operator hook', () => {
  it('after a pause, the failover runs with the lost node, fences it (held down in the fault state), records its steps after the fault, and heal starts it again', async () => {
    const calls: OperatorContext[] = [];
    const { backend, recorder, nemesis } = await nemesisFor(withFailover(calls, 'fence'));
    const active = await nemesis.inject({ kind: 'pause', target: ['n2'] });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.lost).toEqual(['n2']);
    expect(backend.isRunning('n2')).toBe(false); // fenced: killed
    expect(recorder.ops.map((o) => `${o.type} ${o.f}`)).toEqual([
      'invoke start-pause',
      'info start-pause',
      'invoke fence',
      'info fence',
    ]);
    expect(recorder.ops[3]!.value).toEqual({ nodes: ['n2'], running: ['n1', 'n3'] });

    await nemesis.heal(active!);
    expect(backend.isRunning('n2')).toBe(true);
    expect(recorder.ops.at(-1)!.value).toEqual({ targets: ['n2'], releasedFenced: ['n2'] });
  }, 60_000);

  it('a failover that throws is recorded as failover-error; the fault stays in place and heals as usual', async () => {
    const calls: OperatorContext[] = [];
    const { backend, recorder, nemesis } = await nemesisFor(withFailover(calls, 'throw'));
    const active = await nemesis.inject({ kind: 'kill', target: ['n1'] });
    expect(active).toBeDefined();
    const error = recorder.ops.find((o) => o.f === 'failover-error' && o.type === 'info');
    expect(error).toMatchObject({ process: 'nemesis', value: { lost: ['n1'], error: 'promotion refused' } });
    await nemesis.heal(active!);
    expect(backend.isRunning('n1')).toBe(true);
  }, 60_000);

  it('a system without failover, or a fault that loses nobody, calls no operator', async () => {
    const calls: OperatorContext[] = [];
    const { recorder, nemesis } = await nemesisFor(withFailover(calls, 'fence'));
    await nemesis.inject({ kind: 'partition', grudge: ringGrudge(three, createRandom(1)) });
    expect(calls).toHaveLength(0);
    const plain = await nemesisFor(createToySystem());
    await plain.nemesis.inject({ kind: 'kill', target: ['n3'] });
    expect(plain.recorder.ops.map((o) => o.f)).toEqual(['start-kill', 'start-kill']);
    expect(recorder.ops.some((o) => o.f === 'fence')).toBe(false);
  }, 60_000);
});
