import { ILLEGAL, type Model } from '../linearizable/types.ts';
import { KeyedState } from './keyed-state.ts';
import type { KvOptions } from './kv.ts';
import { describeOpInput, type OpInput, unknownFunction } from './op-input.ts';
import { neverAppended } from './precheck.ts';

const FUNCTIONS = ['get', 'put', 'append'] as const;

const requireKey = (input: OpInput): string => {
  if (typeof input.key !== 'string')
    throw unknownFunction('kv-append', { ...input, f: `${input.f} without a key` }, FUNCTIONS);
  return input.key;
};

const text = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

/**
 * porcupine's key-value model: string values per key, `put(k, v)` sets,
 * `append(k, v)` concatenates, `get(k)` → value. Initial value "" unless
 * given. Partitioned by key unless `partition: false` (porcupine's
 * kvNoPartitionModel, the hard case).
 */
export const kvAppend = (options: KvOptions = {}): Model<KeyedState, OpInput, unknown> => {
  const initial = text(options.initial ?? '');
  const partition = options.partition ?? true;
  return {
    name: 'kv-append',
    spec: { name: 'kv-append', options: { initial, partition } },
    init: () => KeyedState.empty(initial),
    step: (state, input, output) => {
      const key = requireKey(input);
      switch (input.f) {
        case 'get':
          return output === undefined || state.get(key) === text(output) ? state : ILLEGAL;
        case 'put':
          return state.set(key, text(input.value));
        case 'append':
          return state.append(key, text(input.value));
        default:
          throw unknownFunction('kv-append', input, FUNCTIONS);
      }
    },
    impossible: (ops) => neverAppended(ops, { initial, text, keyOf: requireKey, functions: FUNCTIONS }),
    equal: (a, b) => a.equals(b),
    hash: (s) => s.hash,
    ...(partition ? { partitionKey: requireKey } : {}),
    describeOperation: (input, output) => describeOpInput(input, output, { showsOutput: input.f === 'get' }),
    describeState: (s) => s.describe(),
  };
};
