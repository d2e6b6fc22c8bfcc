import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import { createClock, deadlineSignal } from '../../src/base/time.ts';
import { runWorkers } from '../../src/generator/workers.ts';
import { createRecorder } from '../../src/history/recorder.ts';
import type { Client } from '../../src/systems/system.ts';
import { createOpSource } from '../../src/workload/ops.ts';
import type { WorkloadPreset } from '../../src/workload/spec.ts';

const workload: WorkloadPreset = {
  name: 'set',
  client: 'set',
  keys: 1,
  mix: { add: 1 },
  checkers: ['set'],
  final: 'none',
  options: {},
};

const run = async (client: Client, options: { rate: number; ms: number; concurrency?: number }) => {
  const recorder = createRecorder({ clock: createClock() });
  const stop = deadlineSignal(new AbortController().signal, options.ms);
  await runWorkers({
    source: (w, rng) => createOpSource(workload, rng, w, options.concurrency ?? 3),
    concurrency: options.concurrency ?? 3,
    rate: options.rate,
    opTimeoutMs: 1000,
    addresses: [
      { id: 'n1', host: '127.0.0.1', port: 1, ports: { main: 1 } },
      { id: 'n2', host: '127.0.0.1', port: 2, ports: { main: 2 } },
    ],
    open: async () => client,
    recorder,
    stop: stop.signal,
    interrupt: new AbortController().signal,
    rng: createRandom(1),
  });
  stop.clear();
  return recorder.ops;
};

describe('runWorkers', () => {
  it('stops at the time limit even with no rate limit and a client that answers from memory', async () => {
    const ops = await run({ invoke: async () => ({ type: 'ok' }), close: async () => {} }, { rate: 0, ms: 150 });
    // It ends (the test would time out otherwise) having done work; how much depends on the machine's load.
    expect(ops.length).toBeGreaterThan(0);
  });

  it('keeps to the rate limit across workers', async () => {
    const ops = await run({ invoke: async () => ({ type: 'ok' }), close: async () => {} }, { rate: 50, ms: 400 });
    const invokes = ops.filter((o) => o.type === 'invoke').length;
    expect(invokes).toBeGreaterThanOrEqual(15);
    expect(invokes).toBeLessThanOrEqual(25);
  });

  it('binds worker w to node w mod N and gives a new process number after info', async () => {
    let calls = 0;
    const client: Client = {
      invoke: async () => (++calls % 2 === 0 ? { type: 'info', error: 'timeout' } : { type: 'ok' }),
      close: async () => {},
    };
    const ops = await run(client, { rate: 0, ms: 50, concurrency: 2 });
    const nodesByProcess = new Map(ops.map((o) => [o.process, o.node]));
    for (const [p, node] of nodesByProcess) expect(node).toBe(Number(p) % 2 === 0 ? 'n1' : 'n2');
    // After an info its process is never used again; the worker goes on as process + concurrency.
    const infos = ops.filter((o) => o.type === 'info');
    expect(infos.length).toBeGreaterThan(2);
    for (const info of infos) expect(ops.some((o) => o.index > info.index && o.process === info.process)).toBe(false);
    expect(nodesByProcess.size).toBeGreaterThan(4);
  });
});
