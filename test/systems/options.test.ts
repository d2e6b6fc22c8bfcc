import { describe, expect, test } from 'vitest';
import { pickOptions, readOptions } from '../../src/systems/options.ts';

const SPECS = {
  mode: { kind: 'enum', values: ['a', 'b'] },
  count: { kind: 'int', min: 1, max: 5 },
  delayMs: { kind: 'ms', min: 0 },
  on: { kind: 'bool' },
} as const;

describe('system options', () => {
  test('typed values, durations in ms, absent keys left out', () => {
    expect(readOptions('system x', SPECS, { mode: 'b', count: 5, delayMs: '1.5s', on: false })).toEqual({
      mode: 'b',
      count: 5,
      delayMs: 1500,
      on: false,
    });
    expect(readOptions('system x', SPECS, { delayMs: 200, mode: null })).toEqual({ delayMs: 200 });
  });

  test('a bad value names the key, what was expected and what was given', () => {
    const at = (options: Record<string, unknown>) => () => readOptions('system x', SPECS, options);
    expect(at({ mode: 'c' })).toThrow('options.mode: expected one of a, b; got "c"');
    expect(at({ count: 6 })).toThrow('options.count: expected an integer from 1 to 5; got 6');
    expect(at({ count: 1.5 })).toThrow('options.count: expected an integer');
    expect(at({ delayMs: 'soon' })).toThrow(
      'options.delayMs: expected milliseconds >= 0 (a number or "200ms"); got "soon"',
    );
    expect(at({ on: 'yes' })).toThrow('options.on: expected true or false; got "yes"');
    expect(at({ delay: 1 })).toThrow(
      expect.objectContaining({ message: 'options.delay: unknown option for system x', path: 'options.delay' }),
    );
    expect(at({ 'delay-ms': 1 })).toThrow(expect.objectContaining({ hint: 'options are camelCase: write delayMs' }));
  });

  test('pickOptions reads only its own keys and leaves the rest to their owner', () => {
    expect(pickOptions('the client', SPECS, { mode: 'a', readFrom: 'local' })).toEqual({ mode: 'a' });
    expect(() => pickOptions('the client', SPECS, { mode: 'z' })).toThrow('options.mode');
  });
});
