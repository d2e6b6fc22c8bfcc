import { describe, expect, it } from 'vitest';
import * as faultline from '../src/index.ts';

describe('the library entry point', () => {
  it('checks a history from code with a built-in model', async () => {
    const ops = faultline.linearizable.fromHistory([
      { index: 0, time: 0, type: 'invoke', process: 0, f: 'write', value: 1 },
      { index: 1, time: 1, type: 'ok', process: 0, f: 'write', value: 1 },
      { index: 2, time: 2, type: 'invoke', process: 1, f: 'read', value: null },
      { index: 3, time: 3, type: 'ok', process: 1, f: 'read', value: 0 },
    ]);
    const result = await faultline.linearizable.check(faultline.getModel('register', { initial: 0 }), ops);
    expect(result.result).toBe('illegal');
  });

  it('exposes the run API and every checker by name', () => {
    expect(typeof faultline.runTest).toBe('function');
    expect(typeof faultline.resolveRunConfig).toBe('function');
    expect([...faultline.KNOWN_CHECKERS].sort()).toEqual([
      'bank',
      'conflicts',
      'counter',
      'linearizable',
      'perf',
      'session',
      'set',
      'split-brain',
      'staleness',
    ]);
    expect(faultline.workloadNames()).toEqual(['register', 'set', 'counter', 'session', 'bank']);
  });
});
