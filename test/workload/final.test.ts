import { describe, expect, it } from 'vitest';
import { createClock } from '../../src/base/time.ts';
import { createRecorder } from '../../src/history/recorder.ts';
import type { Client, Completion, NodeAddress } from '../../src/systems/system.ts';
import { readEachNode } from '../../src/workload/final.ts';
import type { FinalPhaseContext } from '../../src/workload/workload.ts';

/** Nodes whose local reads answer from a script: each read takes the next answer (the last one repeats). */
const scripted = (answers: Record<string, Completion[]>, signal = new AbortController().signal) => {
  const addresses: NodeAddress[] = Object.keys(answers).map((id, i) => ({
    id,
    host: '127.0.0.1',
    port: 7000 + i,
    ports: { client: 7000 + i },
  }));
  const recorder = createRecorder({ clock: createClock() });
  const served: Record<string, number> = {};
  const open = async (node: NodeAddress): Promise<Client> => ({
    async invoke() {
      const n = served[node.id] ?? 0;
      served[node.id] = n + 1;
      const script = answers[node.id]!;
      return script[Math.min(n, script.length - 1)]!;
    },
    async close() {},
  });
  const ctx = { addresses, open, recorder, signal, opTimeoutMs: 100, quiesceMs: 0 } as unknown as FinalPhaseContext;
  return { ctx, served, recorder };
};

const ok = (value: unknown): Completion => ({ type: 'ok', value });

describe('readEachNode', () => {
  it('reads every node once when their answers agree (a set in any order is the same set)', async () => {
    const { ctx, served } = scripted({ n1: [ok([1, 2, 3])], n2: [ok([3, 1, 2])], n3: [ok([2, 3, 1])] });
    await readEachNode(ctx, [{ f: 'read', value: null }]);
    expect(served).toEqual({ n1: 1, n2: 1, n3: 1 });
  });

  it('reads every node again while a node answers from behind, until they agree', async () => {
    // n2 was restarted late: its first two answers miss what it has not yet applied.
    const { ctx, served, recorder } = scripted({ n1: [ok([1, 2])], n2: [ok([]), ok([1]), ok([2, 1])] });
    await readEachNode(ctx, [{ f: 'read', value: null }]);
    expect(served).toEqual({ n1: 3, n2: 3 });
    const last = recorder.ops.filter((o) => o.type === 'ok' && o.node === 'n2').at(-1);
    expect(last?.value).toEqual([2, 1]);
  });

  it('retries a read that fails, and stops at once when the run is interrupted', async () => {
    const stop = new AbortController();
    const { ctx, served } = scripted(
      { n1: [{ type: 'fail', error: 'not ready' }, ok([1])], n2: [ok([])] },
      stop.signal,
    );
    const done = readEachNode(ctx, [{ f: 'read', value: null }]);
    setTimeout(() => stop.abort(), 1000); // n1 and n2 never agree
    await done;
    expect(served.n1).toBeGreaterThanOrEqual(2); // the failed read was retried
    expect(served.n2).toBeGreaterThanOrEqual(1);
  });
});
