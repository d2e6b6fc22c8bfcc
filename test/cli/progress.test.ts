import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.ts';
import type { Op } from '../../src/history/op.ts';
import { resolveRunConfig } from '../../src/run/resolve.ts';

const fakeStream = (isTTY: boolean) => {
  let text = '';
  const write = (s: string): boolean => {
    text += s;
    return true;
  };
  const stream = { isTTY, columns: 200, write } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
};

const op = (o: Partial<Op>): Op => ({ index: 0, time: 0, type: 'ok', process: 0, f: 'write', value: 1, ...o });

describe('progress', () => {
  it('rewrites one status line in place on a TTY, with counts and active faults', async () => {
    const config = await resolveRunConfig({ seed: 1, timeLimit: '30s' });
    const { stream, text } = fakeStream(true);
    const p = createProgress(stream, config);
    p.onStart?.({ runId: 'r1', dir: '/tmp/x', config });
    p.onPhase?.('run');
    p.onOp?.(op({ type: 'ok' }));
    p.onOp?.(op({ type: 'info' }));
    p.onOp?.(op({ process: 'nemesis', type: 'info', f: 'start-kill', value: { targets: ['n2'] } }));
    p.onPhase?.('run'); // renders
    p.stop();
    expect(text()).toContain('faultline run r1: single-leader-sync × register × leader-kill, seed 1');
    const CLEAR_LINE = '\r\u001b[2K';
    expect(text()).toContain(CLEAR_LINE);
    expect(text()).toMatch(/\[0s\/30s\] \d+ ops\/s {2}ok 1 {2}fail 0 {2}info 1 {2}faults: kill n2/);
    expect(text()).not.toContain('phase: run\n');
  });

  it('shows overlapping faults of one kind apart, by step, and drops only the one healed', async () => {
    const config = await resolveRunConfig({ seed: 1, timeLimit: '30s' });
    const { stream, text } = fakeStream(true);
    const p = createProgress(stream, config);
    p.onStart?.({ runId: 'r3', dir: '/tmp/z', config });
    const nemesis = (f: string, value: unknown) => p.onOp?.(op({ process: 'nemesis', type: 'info', f, value }));
    nemesis('start-partition', { step: 1, description: 'isolate n1' });
    nemesis('start-partition', { step: 2, description: 'isolate n2' });
    p.onPhase?.('run');
    expect(text()).toContain('faults: partition (isolate n1), partition (isolate n2)');
    nemesis('stop-partition', { step: 1 });
    p.onPhase?.('run');
    p.stop();
    expect(text()).toMatch(/faults: partition \(isolate n2\)(?!,)/);
  });

  it('prints plain lines when not a TTY', async () => {
    const config = await resolveRunConfig({ seed: 1 });
    const { stream, text } = fakeStream(false);
    const p = createProgress(stream, config);
    p.onStart?.({ runId: 'r2', dir: '/tmp/y', config });
    p.onPhase?.('run');
    p.onIncident?.('node n3 did not restart');
    p.onOp?.(op({ process: 'nemesis', type: 'invoke', f: 'start-pause', value: null }));
    p.onOp?.(op({ process: 'nemesis', type: 'info', f: 'start-pause', value: { targets: ['n1'] } }));
    p.onOp?.(op({ process: 'nemesis', type: 'info', f: 'stop-pause', value: { targets: ['n1'] } }));
    p.stop();
    expect(text()).toContain('phase: run\n');
    expect(text()).toContain('fault: start pause n1\nfault: heal pause n1\n');
    expect(text().match(/fault: /g)).toHaveLength(2); // the invocation is not a line of its own
    expect(text()).toContain('warning: node n3 did not restart\n');
    expect(text()).not.toContain('\u001b[');
  });
});
