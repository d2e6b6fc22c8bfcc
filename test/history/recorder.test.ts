import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClock } from '../../src/base/time.ts';
import { invokeRecorded } from '../../src/generator/recorded-client.ts';
import { parseJsonlHistory } from '../../src/history/jsonl.ts';
import { createRecorder } from '../../src/history/recorder.ts';
import type { Client } from '../../src/systems/system.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('recorder', () => {
  it('writes each op to disk as it is recorded, with increasing index and time', () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-test-'));
    const file = join(dir, 'history.jsonl');
    const r = createRecorder({ file, clock: createClock() });
    r.record({ type: 'invoke', process: 0, f: 'write', key: 'k0', value: 1 });
    // Already on disk before close: a SIGKILLed run keeps what it recorded.
    expect(parseJsonlHistory(readFileSync(file, 'utf8')).ops).toHaveLength(1);
    r.record({ type: 'ok', process: 0, f: 'write', key: 'k0', value: 1 });
    r.close();
    const { ops } = parseJsonlHistory(readFileSync(file, 'utf8'));
    expect(ops.map((o) => o.index)).toEqual([0, 1]);
    expect(ops[1]!.time).toBeGreaterThanOrEqual(ops[0]!.time);
  });

  it('records a throwing client as info, never fail', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-test-'));
    const r = createRecorder({ clock: createClock() });
    const client: Client = { invoke: async () => Promise.reject(new Error('ECONNRESET')), close: async () => {} };
    const { completion } = await invokeRecorded(
      r,
      client,
      { process: 3, op: { f: 'write', key: 'k', value: 5 }, node: 'n1', timeoutMs: 1000 },
      new AbortController().signal,
    );
    expect(completion).toMatchObject({
      type: 'info',
      process: 3,
      f: 'write',
      value: 5,
      error: 'ECONNRESET',
      node: 'n1',
    });
  });

  it('records a client that never answers as info after the timeout', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-test-'));
    const r = createRecorder({ clock: createClock() });
    const client: Client = { invoke: () => new Promise(() => {}), close: async () => {} };
    const { completion } = await invokeRecorded(
      r,
      client,
      { process: 0, op: { f: 'read', value: null }, node: 'n2', timeoutMs: 50 },
      new AbortController().signal,
    );
    expect(completion.type).toBe('info');
    expect(r.ops).toHaveLength(2);
  });
});
