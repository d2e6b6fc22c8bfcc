import { ILLEGAL, type Model } from '../linearizable/types.ts';
import { KeyedState } from './keyed-state.ts';
import { casArgs, describeOpInput, type OpInput, sameValue, unknownFunction } from './op-input.ts';
import { neverWritten } from './precheck.ts';
import { nilReadsAreUnknown } from './register.ts';

export interface KvOptions {
  /** Every key's value before any write. Default null. */
  initial?: unknown;
  /** Check each key on its own (P-compositionality). Default true; false checks one map-valued state. */
  partition?: boolean;
  /** As for `cas-register`: whether a nil read means nil or "not known". */
  nilRead?: 'value' | 'unknown' | 'auto';
}

const requireKey = (model: string, input: OpInput): string => {
  if (typeof input.key !== 'string') {
    throw unknownFunction(model, { ...input, f: `${input.f} without a key` }, [
      'read',
      'write',
      'cas (each with a key)',
    ]);
  }
  return input.key;
};

/**
 * A compare-and-set register per key: `read`, `write(v)`, `cas([old, new])`
 * on `key`. Partitioned by key unless `partition: false`.
 */
export const kv = (options: KvOptions = {}): Model<KeyedState, OpInput, unknown> => {
  const initial = options.initial ?? null;
  const partition = options.partition ?? true;
  const nilUnknown = nilReadsAreUnknown(options, initial);
  return {
    name: 'kv',
    spec: { name: 'kv', options: { initial, partition, nilRead: nilUnknown ? 'unknown' : 'value' } },
    init: () => KeyedState.empty(initial),
    step: (state, input, output) => {
      const key = requireKey('kv', input);
      const current = state.get(key);
      switch (input.f) {
        case 'read':
          if (output === undefined || (output === null && nilUnknown)) return state;
          return sameValue(current, output) ? state : ILLEGAL;
        case 'write':
          return state.set(key, input.value);
        case 'cas': {
          const [from, to] = casArgs('kv', input);
          if (sameValue(current, from)) return state.set(key, to);
          return output === undefined ? state : ILLEGAL;
        }
        default:
          throw unknownFunction('kv', input, ['read', 'write', 'cas']);
      }
    },
    impossible: (ops) =>
      neverWritten(ops, {
        model: 'kv',
        functions: ['read', 'write', 'cas'],
        initial,
        nilUnknown,
        keyOf: (input) => requireKey('kv', input),
      }),
    equal: (a, b) => a.equals(b),
    hash: (s) => s.hash,
    ...(partition ? { partitionKey: (input: OpInput) => requireKey('kv', input) } : {}),
    describeOperation: (input, output) => describeOpInput(input, output, { showsOutput: input.f === 'read' }),
    describeState: (s) => s.describe(),
  };
};
