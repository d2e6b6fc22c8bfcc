import { showValue } from '../linearizable/model.ts';
import { hashString } from '../linearizable/structural.ts';
import { ILLEGAL, type Model } from '../linearizable/types.ts';
import { describeOpInput, type OpInput, unknownFunction } from './op-input.ts';

/** A set's contents: the canonical text (JSON) of each element, sorted, and the elements. */
export interface SetState {
  readonly keys: readonly string[];
  readonly elements: readonly unknown[];
  readonly hash: number;
}

const canonical = (v: unknown): string => JSON.stringify(v) ?? String(v);

const EMPTY: SetState = { keys: [], elements: [], hash: 0x5e7 };

const add = (s: SetState, v: unknown): SetState => {
  const k = canonical(v);
  let lo = 0;
  let hi = s.keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.keys[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  if (s.keys[lo] === k) return s;
  return {
    keys: [...s.keys.slice(0, lo), k, ...s.keys.slice(lo)],
    elements: [...s.elements.slice(0, lo), v, ...s.elements.slice(lo)],
    hash: (s.hash + hashString(k)) | 0,
  };
};

/** The elements a read returned, as canonical sorted distinct keys; undefined if it is not a collection. */
const readKeys = (output: unknown): string[] | undefined => {
  const items = Array.isArray(output) ? output : output instanceof Set ? [...output] : undefined;
  if (!items) return undefined;
  return [...new Set(items.map(canonical))].sort();
};

/** A grow-only set: `add(v)`, `read` → every element (an array, any order). */
export const set = (): Model<SetState, OpInput, unknown> => ({
  name: 'set',
  spec: { name: 'set' },
  init: () => EMPTY,
  step: (state, input, output) => {
    switch (input.f) {
      case 'add':
        return add(state, input.value);
      case 'read': {
        if (output === undefined) return state;
        const keys = readKeys(output);
        if (!keys || keys.length !== state.keys.length) return ILLEGAL;
        for (let i = 0; i < keys.length; i++) if (keys[i] !== state.keys[i]) return ILLEGAL;
        return state;
      }
      default:
        throw unknownFunction('set', input, ['add', 'read']);
    }
  },
  equal: (a, b) => a.hash === b.hash && a.keys.length === b.keys.length && a.keys.every((k, i) => k === b.keys[i]),
  hash: (s) => s.hash,
  describeOperation: (input, output) => describeOpInput(input, output, { showsOutput: input.f === 'read' }),
  describeState: (s) => `#{${s.elements.map(showValue).join(', ')}}`,
});
