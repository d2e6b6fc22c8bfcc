import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../../src/base/errors.ts';
import { check } from '../../../src/checker/linearizable/check.ts';
import { getModel, independent, modelNames, register } from '../../../src/checker/models/index.ts';

describe('model registry', () => {
  it('knows every built-in model', () => {
    expect(modelNames()).toEqual(['register', 'cas-register', 'kv', 'kv-append', 'set', 'queue', 'mutex']);
    for (const name of modelNames()) expect(getModel(name).name).toBe(name);
  });

  it('passes the initial value on', () => {
    expect(getModel('cas-register', { initial: 7 }).init()).toBe(7);
  });

  it('throws FL_ERR_CONFIG naming the unknown model and the known ones', () => {
    let error: unknown;
    try {
      getModel('nope');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FaultlineError);
    expect((error as FaultlineError).code).toBe('FL_ERR_CONFIG');
    expect((error as FaultlineError).message).toBe(
      'unknown model "nope"; known models: register, cas-register, kv, kv-append, set, queue, mutex',
    );
  });

  it('does not resolve names from the object prototype', () => {
    expect(() => getModel('toString')).toThrow(/unknown model "toString"/);
  });

  it('independent() checks each key as its own register', async () => {
    const ops = [
      { id: 0, clientId: 0, input: { f: 'write', key: 'a', value: 1 }, call: 0, output: 1, return: 1 },
      { id: 1, clientId: 1, input: { f: 'read', key: 'b', value: null }, call: 2, output: 0, return: 3 },
    ];
    const r = await check(independent(register({ initial: 0 })), ops);
    expect(r.result).toBe('ok');
    expect(r.partitions.map((p) => p.key)).toEqual(['a', 'b']);
    // Without it, the read of b would see a's write.
    expect((await check(register({ initial: 0 }), ops)).result).toBe('illegal');
  });
});
